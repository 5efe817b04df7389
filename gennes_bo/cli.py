"""The `gennes-bo` command line: wires the library's pieces, nothing else."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence


def _demo(args: argparse.Namespace) -> int:
    import torch
    from botorch.test_functions import Hartmann

    from gennes_bo.benchmarks.bo import botorch_acqf_optimizer, gennes_acqf_optimizer, run_bo_loop

    function = Hartmann(dim=6, negate=True)
    bounds = function.bounds.to(torch.float64)
    print(f"BO on Hartmann6 (maximize, optimum {function.optimal_value:.4f}): {args.n_init} initial points, "
          f"{args.iterations} iterations of q={args.q}, {'LogEI' if args.q == 1 else 'qLogEI'}, seed {args.seed}")
    results = {}
    for name, optimizer in (("GENNES (optimize_acqf_gennes)", gennes_acqf_optimizer()),
                            ("BoTorch default (optimize_acqf)", botorch_acqf_optimizer())):
        trace = run_bo_loop(function, bounds, optimizer, n_init=args.n_init, n_iterations=args.iterations,
                            q=args.q, seed=args.seed, progress=not args.no_progress, desc=name)
        results[name] = trace
        point = ", ".join(f"{v:.3f}" for v in trace.best_x.tolist())
        print(f"{name:34s} best {trace.best_y:.4f} at [{point}]  "
              f"acquisition points {sum(trace.n_acqf_evals):7d}  acquisition time {sum(trace.acqf_time):6.1f} s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gennes-bo", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="short BO loop on Hartmann6: GENNES vs BoTorch's default optimizer")
    demo.add_argument("--iterations", type=int, default=8, help="BO iterations (default 8)")
    demo.add_argument("--n-init", type=int, default=10, help="initial random points (default 10)")
    demo.add_argument("--q", type=int, default=2, help="candidates per iteration (default 2)")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--no-progress", action="store_true", help="hide progress bars")
    demo.set_defaults(run=_demo)

    from gennes_bo.benchmarks import acqf as bench_acqf

    bench_acqf.add_parser(commands)

    from gennes_bo.benchmarks import bo_experiments, compare_acqf, standalone, table1
    from gennes_bo.optimizers import registry

    registry.add_parser(commands)
    standalone.add_parser(commands)
    table1.add_parser(commands)
    bo_experiments.add_parser(commands)
    compare_acqf.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
