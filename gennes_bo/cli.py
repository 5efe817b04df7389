"""The `gennes-bo` command line: wires the library's pieces, nothing else.

Each command lives in its own module, imported only when that command runs or its own `--help` is asked, so
`gennes-bo --help` imports neither torch nor any command module: this module knows the commands' names and
one-line help statically. `demo`, `list`, `problems` and `compare-acqf` are the library's; the others are the
experiments of the repository (its top-level `benchmarks` package, not installed), found from the root of a clone.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import NamedTuple


class Command(NamedTuple):
    """A subcommand: the module whose `add_parser(commands)` registers it, and its one-line help."""

    module: str | None  # None: registered by this module; `benchmarks.*`: an experiment of the repository
    help: str


# The order of `gennes-bo --help`; each help must equal the one its module registers (tests/test_cli.py checks).
COMMANDS: dict[str, Command] = {
    "demo": Command(None, "short BO loop on Hartmann6: GENNES vs BoTorch's default optimizer"),
    "list": Command("gennes_bo.optimizers.registry", "list the standalone optimizers of minimize(method=...)"),
    "problems": Command("gennes_bo.test_functions.registry", "list the benchmark problems of get_problem(name, dim)"),
    "bench-acqf": Command("benchmarks.acqf", "benchmark optimize_acqf_gennes against optimize_acqf"),
    "bench-mixed": Command("benchmarks.mixed",
                           "mixed spaces and linear constraints against BoTorch's optimizers"),
    "bench-standalone": Command("benchmarks.standalone",
                                "benchmark the standalone optimizers on paper functions"),
    "table1": Command("benchmarks.table1", "reproduce the paper's Table 1 (resumable; processes or Dask)"),
    "bo": Command("benchmarks.bo_experiments",
                  "the paper's BO experiments, digits LR and Alpine1-d20 (resumable)"),
    "compare-acqf": Command("gennes_bo.compare.compare_acqf",
                            "acquisition optimizers on GP states frozen from real BO runs"),
    "bo-batch": Command("benchmarks.bo_batch",
                        "large-batch BO (q = 8 to 32): acquisition optimizers side by side"),
    "regime-map": Command("benchmarks.regime_map", "where the acquisition optimizer decides the BO outcome: a "
                          "regime map with an oracle"),
    "hpo-bayesmark": Command("benchmarks.hpo_bayesmark", "HPO on bayesmark's problems (dev/test split): "
                             "GennesSampler against Optuna's samplers, SMAC3, HEBO and Vizier"),
    "hpo-mo": Command("benchmarks.hpo_mo", "multi-objective studies: GennesSampler against Optuna's samplers"),
    "hpo": Command("benchmarks.hpo", "HPO of scikit-learn models: GennesSampler against Optuna's samplers"),
    "device-timing": Command("benchmarks.device_timing",
                             "bo-batch's acquisition time on CPU and CUDA, side by side"),
}
DOCS_RESULTS = "docs/results"
EXPERIMENTS = "benchmarks"  # the repository's experiments: a top-level package of a clone, not installed


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `gennes-bo` parser, with the options of `command` only.

    Args:
        command: The subcommand whose module is imported and whose options are registered; the others are
            listed by name and help alone (enough for `gennes-bo --help`, never for parsing their options).
    """
    parser = argparse.ArgumentParser(prog="gennes-bo", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, entry in COMMANDS.items():
        if entry.module is None:
            _add_demo_parser(commands)
        elif name == command:
            import_command_module(name, entry.module).add_parser(commands)
        else:
            commands.add_parser(name, help=entry.help, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `gennes-bo` with `argv` (default `sys.argv[1:]`); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((arg for arg in argv if not arg.startswith("-")), None)  # top-level options take no value
    args = build_parser(command).parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    return args.run(args)


def import_command_module(name: str, module: str) -> ModuleType:
    """The module of command `name`; an experiment's (`benchmarks.*`) from the importable `benchmarks` package or,
    failing that, from the `benchmarks/` of the working directory (the root of a clone), put on `sys.path`.

    Raises:
        SystemExit: For an experiment run where no `benchmarks` package is found, saying where to run it.
    """
    if module.split(".")[0] != EXPERIMENTS:
        return importlib.import_module(module)
    root = Path.cwd()
    if importlib.util.find_spec(EXPERIMENTS) is None and (root / EXPERIMENTS / "__init__.py").is_file():
        sys.path.insert(0, str(root))
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as err:
        if err.name not in (EXPERIMENTS, module):
            raise  # a dependency of the experiment is missing: its own message says which
        raise SystemExit(f"`gennes-bo {name}` is an experiment of the gennes-bo repository: run it from the root of "
                         f"a clone, or `python -m {EXPERIMENTS} {name}`") from err


def _add_demo_parser(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser("demo", help=COMMANDS["demo"].help, description=COMMANDS["demo"].help)
    demo.add_argument("--iterations", type=int, default=8, help="BO iterations (default 8)")
    demo.add_argument("--n-init", type=int, default=10, help="initial random points (default 10)")
    demo.add_argument("--q", type=int, default=2, help="candidates per iteration (default 2)")
    demo.add_argument("--seed", type=int, default=0, help="seed of the initial design and optimizers (default 0)")
    demo.add_argument("--no-progress", action="store_true", help="hide progress bars")
    demo.set_defaults(run=_demo)


def _demo(args: argparse.Namespace) -> int:
    import torch
    from botorch.test_functions import Hartmann

    from gennes_bo.compare.bo_loop import botorch_acqf_optimizer, gennes_acqf_optimizer, run_bo_loop

    function = Hartmann(dim=6, negate=True)
    bounds = function.bounds.to(torch.float64)
    print(f"BO on Hartmann6 (maximize, optimum {function.optimal_value:.4f}): {args.n_init} initial points, "
          f"{args.iterations} iterations of q={args.q}, {'LogEI' if args.q == 1 else 'qLogEI'}, seed {args.seed}")
    results = {}
    for name, optimizer in (("GENNES (optimize_acqf_gennes)", gennes_acqf_optimizer()),
                            ("BoTorch default (optimize_acqf)", botorch_acqf_optimizer())):
        trace = run_bo_loop(function, bounds, optimizer, n_init=args.n_init, n_iterations=args.iterations,
                            q=args.q, seed=args.seed, progress=not args.no_progress, desc=name)
        results[name.split(" (")[0]] = (trace.best_y, sum(trace.acqf_time))
        point = ", ".join(f"{v:.3f}" for v in trace.best_x.tolist())
        print(f"{name:34s} best {trace.best_y:.4f} at [{point}]  "
              f"acquisition points {sum(trace.n_acqf_evals):7d}  acquisition time {sum(trace.acqf_time):6.1f} s")
    print("\n".join(demo_verdict(results, function.optimal_value)))
    return 0


def demo_verdict(results: dict[str, tuple[float, float]], optimum: float, tolerance: float = 1e-4) -> list[str]:
    """The demo's closing lines: which of two optimizers reached the better best value (maximization), by how much
    and relative to the other's gap to the optimum, the ratio of their acquisition times, and what one seed is worth.

    Args:
        results: Two optimizers' `(best value, acquisition seconds)`, by name; times are stated as the first's over
            the second's.
        optimum: The function's maximum.
        tolerance: Best values closer than this are a tie.
    """
    (first, (first_best, first_time)), (second, (second_best, second_time)) = results.items()
    ratio = f"{first}'s acquisition time was {first_time / max(second_time, 1e-9):.2f}x {second}'s"
    if abs(first_best - second_best) <= tolerance:
        verdict = f"Verdict: both reached {first_best:.4f} (within {tolerance:g}); {ratio}."
    else:
        (winner, best), (loser, other) = sorted([(first, first_best), (second, second_best)], key=lambda r: -r[1])
        gap = optimum - other
        verdict = (f"Verdict: {winner} reached the better best value, by {best - other:.4f}, "
                   f"{(best - other) / gap:.0%} of {loser}'s gap of {gap:.4f} to the optimum; {ratio}.")
    return [verdict, f"One seed proves little: for paired comparisons over many seeds see {DOCS_RESULTS}/ "
            "(gennes-bo compare-acqf: acquisition optimizers on frozen BO states; gennes-bo bo: whole BO loops)."]


if __name__ == "__main__":
    sys.exit(main())
