"""The examples run end to end with tiny budgets."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from botorch.test_functions import Branin

from gennes_bo.test_functions import Wave1D

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def example_env() -> dict[str, str]:
    """The environment of an example: this checkout's gennes_bo first, whatever else is installed."""
    return {**os.environ, "MPLBACKEND": "Agg",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def test_botorch_drop_in_example_runs():
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / "botorch_drop_in.py"), "--iterations", "1", "--n-init", "4", "--seed", "1"],
        capture_output=True, text=True, timeout=300, check=False, env=example_env(),
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    initial = float(re.search(r"4 initial points, best (-?\d+\.\d+)", lines[0]).group(1))
    iteration = re.compile(r"iteration +\d+: best value (-?\d+\.\d+)")
    per_iteration = [float(m.group(1)) for line in lines if (m := iteration.match(line))]
    assert len(per_iteration) == 1
    best = [initial, *per_iteration]
    assert best == sorted(best)  # best so far never decreases
    final = re.match(r"best value (-?\d+\.\d+) at \[(\S+), (\S+)\] after 6 evaluations", lines[-1])
    assert final and float(final.group(1)) == per_iteration[-1]
    x = torch.tensor([[float(final.group(2)), float(final.group(3))]], dtype=torch.float64)
    assert float(Branin(negate=True)(x)) == pytest.approx(per_iteration[-1], abs=5e-3)  # the value of that point


def run_example(name: str, *args: str) -> list[str]:
    """Run `examples/<name>` with CLI args; return its stdout lines (fails with its stderr on a nonzero exit)."""
    completed = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True,
                               timeout=300, check=False, env=example_env())
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.splitlines()


def saved_figures(lines: list[str], out: Path) -> list[Path]:
    """Figures the example says it saved; each must be a non-empty PNG under `out`."""
    paths = [Path(m.group(1)) for line in lines if (m := re.match(r"figure saved to (.+)$", line))]
    assert paths, "the example printed no figure path"
    for path in paths:
        assert path.parent == out and path.suffix == ".png"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return paths


def test_constrained_acqf_example():
    lines = run_example("constrained_acqf.py", "--seeds", "1", "--q", "1", "--problems", "simplex", "--n-train", "8",
                        "--num-restarts", "2", "--raw-samples", "16")
    row = re.match(r"simplex +1 +(\d)/(\d)/(\d) +(\d+\.\d+) +\S+ +\S+ +(\S+) +(\S+)$", lines[1])
    assert row, lines
    assert sum(int(row.group(i)) for i in (1, 2, 3)) == 1  # one paired run
    assert float(row.group(4)) > 0
    assert float(row.group(5)) <= 1e-6 and float(row.group(6)) <= 1e-6  # both optimizers' candidates are feasible
    assert re.match(r"GENNES at least BoTorch's value in [01] of 1 runs; median time ratio \d+\.\d+$", lines[-1])


def test_wave_1d_example(tmp_path):
    lines = run_example("wave_1d.py", "--max-evals", "150", "--seed", "1", "--out", str(tmp_path))
    maximum = float(re.search(r"global maximum (\d+\.\d+)", lines[0]).group(1))
    assert abs(maximum - 1.967784) < 1e-6
    pattern = re.compile(r"(\w+) +best O = (-?\d+\.\d+) at x = (\S+) \((\d+) evaluations")
    best = {m.group(1): (float(m.group(2)), float(m.group(3)), int(m.group(4)))
            for line in lines if (m := pattern.match(line))}
    assert set(best) == {"ga", "actor_critic", "neurogenetic"}
    for value, x, n_evals in best.values():
        assert n_evals == 150
        assert value > 1.0  # 150 points always find a peak above 1
        o_at_x = float(Wave1D(negate=True)(torch.tensor([[x]], dtype=torch.float64)))
        assert o_at_x == pytest.approx(value, abs=1e-5)  # the value belongs to the printed point
    assert [p.name for p in saved_figures(lines, tmp_path)] == ["wave_1d.png"]


def test_ideal_digits_example(tmp_path):
    lines = run_example("ideal_digits.py", "--max-evals", "150", "--trees", "8", "--out", str(tmp_path))
    rows = [line for line in lines if "confidence per digit" in line]
    assert [row.split(":")[0] for row in rows] == ["random forest", "ensemble"]
    for row in rows:
        scores = [float(s) for s in re.findall(r"\d:(\d\.\d\d)", row)]
        assert len(scores) == 10 and all(0.1 < s <= 1.0 for s in scores)  # chance level is 0.1
    names = [p.name for p in saved_figures(lines, tmp_path)]
    assert names == ["ideal_digits_random_forest.png", "ideal_digits_ensemble.png"]


def test_hpo_digits_example(tmp_path):
    lines = run_example("hpo_digits.py", "--iterations", "1", "--n-init", "3", "--out", str(tmp_path))
    initial = float(re.search(r"best test error (\d\.\d+)", lines[0]).group(1))
    final = re.search(r"test error (\d\.\d+) after 4 evaluations", "\n".join(lines))
    assert final and float(final.group(1)) <= initial
    settings = re.search(r"learning_rate = (\S+), l2 = (\S+), l1 = (\S+), epochs = (\d+)", "\n".join(lines))
    assert settings, "no hyperparameters printed"
    assert all(1e-5 * (1 - 1e-9) <= float(settings.group(i)) <= 1.0 for i in (1, 2, 3))
    assert 5 <= int(settings.group(4)) <= 50
    assert [p.name for p in saved_figures(lines, tmp_path)] == ["hpo_digits.png"]


def test_compare_optimizers_example(tmp_path):
    lines = run_example("compare_optimizers.py", "--function", "rastrigin", "--dim", "3", "--max-evals", "200",
                        "--methods", "gennes", "ga", "es", "random", "--out", str(tmp_path))
    regrets = {m.group(1): float(m.group(2)) for line in lines if (m := re.match(r"(\w+) +regret +(\S+) ", line))}
    assert set(regrets) == {"gennes", "ga", "es", "random"}
    assert all(r < 20.0 for r in regrets.values())  # a uniform point of [-3, 3]^3 averages 39 (at most 79)
    assert [p.name for p in saved_figures(lines, tmp_path)] == ["compare_optimizers_rastrigin3.png"]


@pytest.mark.slow  # ~25 s: Ax start-up and two GP fits
def test_ax_plugin_example(tmp_path):
    pytest.importorskip("ax")
    lines = run_example("ax_plugin.py", "--n-sobol", "4", "--trials", "2", "--out", str(tmp_path))
    final = re.search(r"best hartmann6 (-?\d+\.\d+) \(optimum -3\.3224\) after 6 trials; "
                      r"gen_candidates_gennes called (\d+) times", "\n".join(lines))
    assert final, "no final line"
    assert int(final.group(2)) == 2  # one call per BoTorch trial: Ax went through GENNES
    trials = [(float(m.group(1)), float(m.group(2)))
              for line in lines if (m := re.match(r"trial +\d+: hartmann6 = (-?\d+\.\d+), best (-?\d+\.\d+)", line))]
    assert len(trials) == 6
    assert [best for _, best in trials] == [min(v for v, _ in trials[: i + 1]) for i in range(6)]
    assert float(final.group(1)) == trials[-1][1]
    assert [p.name for p in saved_figures(lines, tmp_path)] == ["ax_plugin.png"]


@pytest.mark.slow  # ~30 s: Ax start-up and two GP fits
def test_ax_plugin_mixed_example(tmp_path):
    pytest.importorskip("ax")
    lines = run_example("ax_plugin.py", "--space", "mixed", "--n-sobol", "5", "--trials", "2", "--out", str(tmp_path))
    final = re.search(r"after 7 trials; 2 GennesAcquisition calls \(optimize_acqf_mixed_gennes\)", "\n".join(lines))
    assert final, "Ax did not route the mixed space to optimize_acqf_mixed_gennes"
    assert [p.name for p in saved_figures(lines, tmp_path)] == ["ax_plugin_mixed.png"]


def test_failing_region_example():
    lines = run_example("failing_region.py", "--seeds", "1", "--budget-scale", "0.2")
    rows = [re.match(r"(\w+) +seed 0: best +(-?\d+\.\d+) .*?(\d+) of (\d+) evaluations failed", line) for line in lines]
    assert [row.group(1) for row in rows] == ["sphere", "rastrigin"]
    failed_share = {row.group(1): int(row.group(3)) / int(row.group(4)) for row in rows}
    # The masked loss (before the stand-ins) failed 150 of 200 and 274 of 400 evaluations here.
    assert failed_share["sphere"] < 0.6 and failed_share["rastrigin"] < 0.3


def test_optuna_sklearn_example():
    pytest.importorskip("optuna")
    pytest.importorskip("sklearn")
    lines = run_example("optuna_sklearn.py", "--trials", "3", "--n-startup", "2", "--folds", "2")
    pattern = re.compile(r"(\w+) +best accuracy (\d\.\d+) after (\d+) trials \(\d+ s\): n_components = (\d+), "
                         r"kernel = (\w+), C = (\S+), gamma = (\S+)$")
    rows = {m.group(1): m.groups()[1:] for line in lines if (m := pattern.match(line))}
    assert set(rows) == {"gennes", "tpe"}
    for accuracy, n_trials, n_components, kernel, C, gamma in rows.values():
        assert 0.1 < float(accuracy) <= 1.0 and n_trials == "3"  # chance level is 0.1
        assert 4 <= int(n_components) <= 64 and kernel in {"rbf", "sigmoid", "poly"}
        assert 1e-2 <= float(C) <= 1e3 and 1e-6 <= float(gamma) <= 1e-1  # printed to 4 digits


def test_mixed_acqf_example():
    lines = run_example("mixed_acqf.py", "--problems", "hartmann6-disc", "--seeds", "1", "--q", "1", "2",
                        "--raw-samples", "32", "--num-restarts", "2")
    runs = [re.match(r"hartmann6-disc +(\d) +0 +-?\d+\.\d+ .* ([WTL])$", line) for line in lines[1:3]]
    assert [(run.group(1), run.group(2)) for run in runs]  # one run per q, each marked
    cells = [re.match(r"hartmann6-disc +(\d) +(\d)/(\d)/(\d) +\d+\.\d+ +\d+\.\d+$", line) for line in lines
             if line.startswith("hartmann6-disc") and "/" in line]
    marks = ["WTL"[[int(cell.group(i)) for i in (2, 3, 4)].index(1)] for cell in cells]
    assert [cell.group(1) for cell in cells] == [run.group(1) for run in runs] == ["1", "2"]
    assert marks == [run.group(2) for run in runs]  # the summary counts the printed runs
    at_least = sum(mark != "L" for mark in marks)
    assert lines[-1].startswith(f"value at least BoTorch's in {at_least} of 2 runs")
