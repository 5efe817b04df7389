"""Tests of the `gennes-bo` command line."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from gennes_bo.cli import COMMANDS, build_parser, demo_verdict, main

# Sphinx / reStructuredText markup that a terminal shows verbatim: roles like :func:`x`, ``literals``, ~targets.
MARKUP = re.compile(r":[a-z]+:`|``|`~")


def test_help_exits_zero_and_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: gennes-bo" in out
    assert "demo" in out and "bench-acqf" in out


def test_top_level_help_imports_neither_torch_nor_a_command_module():
    code = ("import sys\nfrom gennes_bo.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit as exit:\n"
            "    assert exit.code == 0\nprint(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'botorch', 'gennes_bo')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "usage: gennes-bo" in result.stdout
    assert result.stdout.splitlines()[-1] == "['gennes_bo', 'gennes_bo.cli']"


def test_top_level_help_is_the_same_with_each_command_registered():
    # COMMANDS' static one-line help is what each command module registers itself
    expected = build_parser().format_help()
    for command in COMMANDS:
        assert build_parser(command).format_help() == expected, command


@pytest.mark.parametrize("command", list(COMMANDS))
def test_subcommand_help_is_plain_text(capsys, command):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: gennes-bo {command}" in out
    assert not MARKUP.findall(out), [line for line in out.splitlines() if MARKUP.search(line)]


BENCHMARKS = {"bench-acqf": "docs/benchmarks/acquisition.md", "bench-standalone": "docs/benchmarks/standalone.md",
              "bench-mixed": "docs/benchmarks/mixed.md",
              "table1": "docs/results/table1.md", "bo": "docs/results/bo.md",
              "compare-acqf": "results/compare_acqf.md", "bo-batch": "docs/results/bo_batch.md",
              "hpo": "docs/results/hpo.md"}


@pytest.mark.parametrize(("command", "report"), BENCHMARKS.items())
def test_benchmark_commands_share_their_options(command, report):
    parser = build_parser(command)
    args = parser.parse_args([command, "--report"])
    assert args.report == report  # --report alone: the committed report
    assert (args.seeds, args.workers, args.scheduler, args.out.startswith("results/")) == (None, 1, None, True)
    assert (args.estimate, args.yes) == (False, False)
    args = parser.parse_args([command, "--seeds", "2", "--workers", "0", "--scheduler", "tcp://h:1", "--out", "o.jsonl",
                              "--report", "r.md"])
    assert (args.seeds, args.workers, args.scheduler, args.out, args.report) == (2, 0, "tcp://h:1", "o.jsonl", "r.md")


# Every grid command's options of the shared concepts: canonical name -> (a valid value, the earlier spellings).
CANONICAL_OPTIONS = {
    "table1": {"--optimizers": ("gennes", ["--methods"]), "--problems": ("rastrigin", ["--functions"]),
               "--dims": ("10", [])},
    "bo": {"--optimizers": ("botorch-default", []), "--problems": ("digits", []), "--acquisitions": ("logei", [])},
    "bench-acqf": {"--optimizers": ("botorch-default", ["--methods"]), "--problems": ("hartmann6", [])},
    "bench-mixed": {"--problems": ("hartmann6-disc", [])},
    "bench-standalone": {"--optimizers": ("gennes", ["--methods"]), "--problems": ("rastrigin", ["--functions"]),
                         "--dims": ("3", ["--dim"])},
    "bo-batch": {"--optimizers": ("random", []), "--problems": ("hartmann6", []),
                 "--acquisitions": ("qlognei", ["--acquisition"])},
    "hpo": {"--problems": ("svr-diabetes", ["--tasks"])},
    "device-timing": {"--optimizers": ("random", []), "--problems": ("hartmann6:2", ["--cells"])},
    "compare-acqf": {"--optimizers": ("botorch-default", []), "--problems": ("digits", ["--tasks"]),
                     "--acquisitions": ("logei", [])},
    "regime-map": {"--optimizers": ("sobol", []), "--problems": ("hartmann6-q1", ["--cells"])},
}


@pytest.mark.parametrize("command", list(CANONICAL_OPTIONS))
def test_grid_commands_spell_each_concept_once_and_keep_the_earlier_spellings(command, capsys):
    parser = build_parser(command)
    default = vars(parser.parse_args([command]))
    for canonical, (value, aliases) in CANONICAL_OPTIONS[command].items():
        parsed = vars(parser.parse_args([command, canonical, value]))
        changed = {key: parsed[key] for key in parsed if parsed[key] != default[key]}
        assert list(changed.values()) == [[int(value) if value.isdigit() else value]], (canonical, changed)
        for alias in aliases:  # the same destination, the same value
            assert vars(parser.parse_args([command, alias, value])) == parsed, alias
    args = parser.parse_args([command, "--estimate", "--yes"])
    assert args.estimate and args.yes
    with pytest.raises(SystemExit):
        main([command, "--help"])
    usage = " ".join(capsys.readouterr().out.split())
    for canonical, (_, aliases) in CANONICAL_OPTIONS[command].items():
        for alias in aliases:  # the help names the canonical option first
            assert re.search(rf" {canonical} \S+ \[\S+ \.\.\.\], {alias} ", usage), (canonical, alias)
    for old in ("--methods", "--functions", "--dim", "--acquisition", "--tasks", "--cells"):
        if old in {alias for _, aliases in CANONICAL_OPTIONS[command].values() for alias in aliases}:
            continue
        assert not re.search(rf"(^|[ \[]){old}[ \]]", usage), old  # no other command keeps a second name


def _documented_command_lines() -> list[tuple[str, str]]:
    """`gennes-bo COMMAND ...` lines of the docs' code blocks (reports' rerun commands included) and of the
    commands' own help, as `(where, line without its comment)`."""
    import importlib

    sources = [(path.relative_to(ROOT).as_posix(), path.read_text()) for path in sorted((ROOT / "docs").rglob("*.md"))]
    sources += [(entry.module, importlib.import_module(entry.module).__doc__ or "") for entry in COMMANDS.values()
                if entry.module and entry.module.startswith(("benchmarks.", "gennes_bo.compare."))]
    return [(where, line.split("#")[0].strip()) for where, text in sources for line in text.splitlines()
            if re.match(rf"\s*gennes-bo ({'|'.join(COMMANDS)})( |$)", line)]


def test_every_documented_command_line_parses():
    lines = _documented_command_lines()
    assert len(lines) > 40
    for where, line in lines:
        argv = shlex.split(line)[1:]
        try:
            build_parser(argv[0]).parse_args(argv)
        except SystemExit as err:
            raise AssertionError(f"{where}: {line}") from err


def test_bo_takes_its_tasks_as_problems_or_positionally():
    from benchmarks.bo_experiments import _grid_options

    parser = build_parser("bo")
    for argv in (["--problems", "alpine1"], ["alpine1"]):
        assert _grid_options(parser.parse_args(["bo", *argv]))["tasks"] == ["alpine1"]


def _table1_args(out: Path, seeds: int, *extra: str) -> list[str]:
    return ["table1", "--problems", "ackley", "--optimizers", "gennes", "--dims", "2", "--max-evals", "100",
            "--seeds", str(seeds), "--workers", "0", "--no-progress", "--out", str(out), *extra]


def test_a_fresh_long_grid_asks_for_yes_and_a_resumed_one_does_not(tmp_path, monkeypatch, capsys):
    import benchmarks.table1 as table1
    from gennes_bo.compare.runner import CellCost

    estimated = []

    def ten_hours_a_run(specs):  # what a slow grid would measure
        estimated.append(len(specs))
        yield "header"
        yield CellCost("the cell", specs, 10.0)

    monkeypatch.setattr(table1, "estimate", ten_hours_a_run)
    out = tmp_path / "t1.jsonl"
    with pytest.raises(SystemExit, match=r"^gennes-bo table1: about 20\.0 CPU hours; rerun with --yes to start$"):
        main(_table1_args(out, 2))
    assert estimated == [2] and not out.exists()  # nothing ran
    assert "estimated CPU hours: 20.0 for 2 runs (20.0 for the 2 not yet recorded)" in capsys.readouterr().out
    assert main(_table1_args(out, 1, "--yes")) == 0  # --yes: no estimate, the run starts
    assert estimated == [2] and len(out.read_text().splitlines()) == 1
    assert main(_table1_args(out, 2)) == 0  # resumed (1 of 2 recorded): starts without asking
    assert estimated == [2] and len(out.read_text().splitlines()) == 2
    assert main(_table1_args(tmp_path / "quick.jsonl", 1, "--quick")) == 0  # --quick never asks
    assert estimated == [2]


def test_estimate_prints_one_line_per_cell_and_the_totals_without_running(tmp_path, capsys):
    out = tmp_path / "t1.jsonl"
    assert main(["table1", "--quick", "--estimate", "--problems", "ackley", "--optimizers", "gennes", "lbfgs",
                 "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["function", "d", "method", "budget", "timed", "s", "runs", "CPU", "h"]
    cells = [line.split() for line in lines[1:-1]]
    assert [(c[0], c[1], c[2], c[3], c[4], c[6]) for c in cells] == [
        ("ackley", "2", "gennes", "200", "200", "2"), ("ackley", "2", "lbfgs", "200", "200", "2")]
    assert all(float(c[5]) > 0 for c in cells)  # measured, not a constant
    assert re.fullmatch(r"estimated CPU hours: \d+\.\d for 4 runs \(\d+\.\d for the 4 not yet recorded\)",
                        lines[-1])
    assert not out.exists()


ROOT = Path(__file__).resolve().parents[1]


def _run_cli_script(tmp_path: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess:
    """`gennes-bo ARGV` in a fresh interpreter started in `cwd`, with this checkout's `gennes_bo` importable (as from
    an installed library) and the repository's `benchmarks` not on `sys.path`."""
    library = tmp_path / "site"
    library.mkdir(exist_ok=True)
    if not (library / "gennes_bo").exists():
        (library / "gennes_bo").symlink_to(ROOT / "gennes_bo")
    script = tmp_path / "run_cli.py"  # a script: its own folder, not `cwd`, is the first entry of sys.path
    script.write_text("import sys\nfrom gennes_bo.cli import main\nsys.exit(main(sys.argv[1:]))\n")
    return subprocess.run([sys.executable, str(script), *argv], cwd=cwd, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(library)}, check=False)


def test_an_experiment_runs_from_the_root_of_a_clone_and_nowhere_else(tmp_path):
    found = _run_cli_script(tmp_path, ROOT, "table1", "--help")
    assert found.returncode == 0 and "usage: gennes-bo table1" in found.stdout, found.stderr
    elsewhere = _run_cli_script(tmp_path, tmp_path, "table1", "--help")
    assert elsewhere.returncode == 1
    assert ("`gennes-bo table1` is an experiment of the gennes-bo repository: run it from the root of a clone, or "
            "`python -m benchmarks table1`") in elsewhere.stderr
    installed = _run_cli_script(tmp_path, tmp_path, "compare-acqf", "--help")  # the library's own commands run
    assert installed.returncode == 0 and "usage: gennes-bo compare-acqf" in installed.stdout, installed.stderr


def test_unknown_command_is_an_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["nope"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def test_demo_arguments_are_parsed():
    args = build_parser("demo").parse_args(["demo", "--iterations", "3", "--n-init", "4", "--q", "2", "--seed", "9"])
    assert (args.iterations, args.n_init, args.q, args.seed, args.no_progress) == (3, 4, 2, 9, False)


@pytest.fixture
def cheap_demo_optimizers(monkeypatch, fast_config):
    """The demo's two acquisition optimizers at tiny budgets (the wiring and output are what is tested)."""
    from botorch.optim import optimize_acqf

    from gennes_bo import optimize_acqf_gennes
    from gennes_bo.compare import bo_loop as bo

    def gennes_factory():
        return lambda acqf, bounds, q: optimize_acqf_gennes(acqf, bounds, q, num_restarts=2, raw_samples=300,
                                                            config=fast_config)

    def botorch_factory():
        return lambda acqf, bounds, q: optimize_acqf(acqf, bounds, q, num_restarts=2, raw_samples=300,
                                                     options={"maxiter": 10})

    monkeypatch.setattr(bo, "gennes_acqf_optimizer", gennes_factory)
    monkeypatch.setattr(bo, "botorch_acqf_optimizer", botorch_factory)


def test_demo_runs_and_prints_both_lines(capsys, cheap_demo_optimizers):
    check_demo_output(capsys)


@pytest.mark.slow
def test_demo_runs_at_its_real_settings(capsys):
    check_demo_output(capsys)


def check_demo_output(capsys):
    import torch
    from botorch.test_functions import Hartmann

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["demo", "--iterations", "1", "--n-init", "5", "--q", "1", "--no-progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("BO on Hartmann6") and "5 initial points, 1 iterations of q=1" in lines[0]
    pattern = r"best (-?\d+\.\d+) at \[(.*)\]  acquisition points +(\d+)  acquisition time +\d+\.\d s"
    gennes = [line for line in lines if line.startswith("GENNES (optimize_acqf_gennes)")]
    botorch = [line for line in lines if line.startswith("BoTorch default (optimize_acqf)")]
    assert len(gennes) == len(botorch) == 1
    for line in gennes + botorch:
        match = re.search(pattern, line)
        assert match, line
        best, n_points = float(match.group(1)), int(match.group(3))
        point = torch.tensor([float(v) for v in match.group(2).split(",")], dtype=torch.float64)
        # the value at the printed point (printed to 3 decimals)
        assert best == pytest.approx(-float(Hartmann(dim=6)(point.unsqueeze(0))), abs=0.05)
        assert n_points > 256  # at least the raw samples of one acquisition optimization
    verdict = re.fullmatch(r"Verdict: (both reached|(GENNES|BoTorch default) reached the better best value, by) "
                           r".*; GENNES's acquisition time was \d+\.\d\dx BoTorch default's\.", lines[-2])
    assert verdict, lines[-2]
    assert lines[-1].startswith("One seed proves little") and "docs/results/" in lines[-1]


def test_demo_verdict_names_the_better_optimizer_the_margin_and_the_time_ratio():
    gennes_wins = demo_verdict({"GENNES": (3.0, 6.0), "BoTorch default": (2.5, 4.0)}, optimum=3.5)
    assert gennes_wins[0] == ("Verdict: GENNES reached the better best value, by 0.5000, 50% of BoTorch default's gap "
                              "of 1.0000 to the optimum; GENNES's acquisition time was 1.50x BoTorch default's.")
    assert "gennes-bo compare-acqf" in gennes_wins[1] and "gennes-bo bo" in gennes_wins[1]
    botorch_wins = demo_verdict({"GENNES": (2.0, 1.0), "BoTorch default": (3.0, 4.0)}, optimum=3.5)[0]
    assert botorch_wins.startswith("Verdict: BoTorch default reached the better best value, by 1.0000, 67% of "
                                   "GENNES's gap of 1.5000") and "time was 0.25x" in botorch_wins
    tie = demo_verdict({"GENNES": (3.32, 1.0), "BoTorch default": (3.32005, 2.0)}, optimum=3.3224)[0]
    assert tie == "Verdict: both reached 3.3200 (within 0.0001); GENNES's acquisition time was 0.50x BoTorch default's."


def test_bench_acqf_quick_and_report(quick_bench, tmp_path, capsys):
    out, stdout = quick_bench
    assert "ran 4 runs; 4 in the grid" in stdout
    report = tmp_path / "report.md"
    assert main(["bench-acqf", "--quick", "--out", str(out), "--report", str(report)]) == 0
    text = report.read_text()
    assert ("| problem | n_train | q | acqf | seeds | default | 10x budget | L-BFGS, GENNES's starts | GENNES joint "
            "| GENNES |") in text
    assert text.count("| hartmann6 |") == 2
    capsys.readouterr()
