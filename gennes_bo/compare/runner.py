"""Run a grid of experiment specs on a `concurrent.futures.Executor`, recording each finished run.

Workers only compute: `run(spec)` returns the record body and the parent process appends it with
:func:`~gennes_bo.compare.records.append_record`, so appends never race and a run killed at any moment loses
at most the runs in flight (they are redone on the next call, never duplicated). The executor is a local process
pool by default (one CPU thread per worker) or, given a scheduler address, a Dask `distributed` cluster through
`Client.get_executor()`.

A grid command also shares its options here: `add_grid_arguments` (records, seeds, workers, `--report`, `--quick`,
`--estimate`, `--yes`) and one spelling per concept (`--optimizers`, `--problems`, `--acquisitions`, `--dims`), each
command's earlier spelling kept as an alias; and its `--estimate` step: a command measures what its cells cost
(:class:`CellCost`), :func:`print_estimate` prints and totals it, and :func:`estimate_or_confirm` asks for `--yes`
before a fresh grid estimated above :data:`LONG_GRID_HOURS` CPU hours starts.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from gennes_bo.compare.records import StaleRecordsError, append_record, check_settings, environment, pending, run_key

RunFunction = Callable[[Mapping[str, Any]], dict[str, Any]]
LONG_GRID_HOURS = 1.0  # a fresh grid estimated above this many CPU hours asks for --yes before it starts
COST_COLUMNS = f"{'runs':>5s} {'CPU h':>7s}"  # what print_estimate adds to a cell's line: end a header with it


@dataclass(frozen=True)
class CellCost:
    """What one cell of a grid costs, as a command's estimate measured it.

    Attributes:
        label: The cell and what was measured (`hartmann6 q=16  botorch-default  1.20 s per call`), printed
            followed by the cell's run count and CPU hours (:data:`COST_COLUMNS`).
        specs: The cell's runs.
        hours: CPU hours of one of them.
    """

    label: str
    specs: Sequence[Mapping[str, Any]]
    hours: float


# `specs -> lines`: a command's measurement, yielded as it goes: text lines (headers, what was timed) and the
# cost of every cell of the grid.
Estimate = Callable[[Sequence[Mapping[str, Any]]], Iterable[str | CellCost]]


def limit_threads() -> None:
    """One CPU thread for torch and BLAS in this process: runs are timed, and workers must not oversubscribe."""
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    import torch
    from threadpoolctl import threadpool_limits  # scipy's BLAS threads make L-BFGS-B 3x slower on a busy machine

    torch.set_num_threads(1)
    threadpool_limits(1)


class SerialExecutor(Executor):
    """Runs each submitted call at once in this process (`--workers 0`: debugging, profiling, tests)."""

    _max_workers = 1

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:  # noqa: BLE001 - delivered through the future like a pool would
            future.set_exception(err)
        return future


def exit_when_orphaned(parent: int, interval: float = 2.0, exit_process: Callable[[int], Any] = os._exit) -> None:
    """Wait until this process's parent is no longer `parent` (it died, and the process was reparented), then end
    the process: a pool worker whose grid was killed (e.g. `kill PID` of the command) stops its run instead of
    computing it for nobody."""
    while os.getppid() == parent:
        time.sleep(interval)
    exit_process(1)


def _init_worker(parent: int) -> None:
    """A pool worker's start: one thread for the run, and a watchdog that ends the worker if the grid dies."""
    limit_threads()
    threading.Thread(target=exit_when_orphaned, args=(parent,), daemon=True, name="orphan-watchdog").start()


@contextlib.contextmanager
def make_executor(workers: int = 1, scheduler: str | None = None) -> Iterator[Executor]:
    """A local process pool of `workers` processes, or the executor of the Dask cluster at `scheduler`.

    Args:
        workers: Local worker processes (ignored when `scheduler` is given); each uses one CPU thread. 0 runs
            the specs one by one in this process (:class:`SerialExecutor`).
        scheduler: Address of a Dask `distributed` scheduler, e.g. `tcp://10.0.0.5:8786`.
    """
    if scheduler is not None:
        from gennes_bo.extras import require

        client_class = require("distributed", "benchmarks", "Running on a Dask scheduler").Client
        with client_class(scheduler) as client:
            yield client.get_executor(pure=False)
        return
    if workers < 0:
        raise ValueError(f"`workers` must be >= 0, got {workers}")
    if workers == 0:
        yield SerialExecutor()
        return
    # `spawn`: a forked child would inherit torch's thread pools and locks from the parent.
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_worker, initargs=(os.getpid(),))
    try:
        yield executor
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)  # Ctrl-C: do not wait for the runs in flight
        raise
    executor.shutdown(wait=True)


def _run_with_threads_limited(run: RunFunction, spec: Mapping[str, Any]) -> dict[str, Any]:
    limit_threads()  # Dask workers skip the pool initializer
    return run(spec)


def run_grid(specs: Sequence[Mapping[str, Any]], run: RunFunction, out: str | Path, executor: Executor, *,
             progress: bool = True, desc: str = "runs", max_in_flight: int | None = None,
             settings: Callable[[Mapping[str, Any]], Any] | None = None) -> int:
    """Run every spec not yet recorded in `out` on `executor`; append each record as its run finishes.

    Args:
        specs: JSON-serializable run specs, in the order they should start.
        run: A picklable top-level function `spec -> record body`; the record written is
            `{"spec": spec, **body, "settings": ..., "env": versions}`.
        out: The JSONL record file (resumed: recorded specs are skipped).
        executor: Where the runs execute (:func:`make_executor`).
        progress: Show a bar of runs done / total with an ETA.
        max_in_flight: Runs submitted ahead of the finished ones (default twice the worker count, at least 2),
            so the grid's order is kept: early rows finish first.
        settings: `spec -> JSON value`: what the spec's optimizer resolves to now, written into each record as
            `settings`; recorded runs with other settings stop the call before any run
            (:func:`~gennes_bo.compare.records.check_settings`).

    Returns:
        The number of runs executed by this call.

    Raises:
        StaleRecordsError: With `settings`, when recorded runs of the grid were made with other settings.
    """
    if settings is not None:
        check_settings(specs, out, settings)
    todo = pending(specs, out)
    env = environment()
    limit = max_in_flight or 2 * _parallelism(executor)
    bar = tqdm(total=len(specs), initial=len(specs) - len(todo), desc=desc, unit="run", disable=not progress,
               smoothing=0.0, dynamic_ncols=True)
    queue = iter(todo)
    in_flight: dict[Future, Mapping[str, Any]] = {}
    n_done = 0
    try:
        while True:
            while len(in_flight) < limit and (spec := next(queue, None)) is not None:
                in_flight[executor.submit(_run_with_threads_limited, run, spec)] = spec
            if not in_flight:
                break
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            finished = [future for future in in_flight if future in done]  # in submission order
            errors = [future.exception() for future in finished if future.exception() is not None]
            for future in finished:  # record every finished run before a failure stops the grid
                spec = in_flight.pop(future)
                if future.exception() is None:
                    extra = {} if settings is None else {"settings": settings(spec)}
                    append_record(out, {"spec": dict(spec), **future.result(), **extra, "env": env})
                    n_done += 1
                    bar.update(1)
                    bar.set_postfix_str(_describe(spec))
            if errors:
                raise errors[0]
    finally:
        for future in in_flight:
            future.cancel()
        bar.close()
    return n_done


def run_grid_command(specs: Sequence[Mapping[str, Any]], run: RunFunction, args: argparse.Namespace, command: str,
                     settings: Callable[[Mapping[str, Any]], Any] | None = None,
                     estimate: Estimate | None = None) -> int:
    """The run step of a grid command: :func:`run_grid` on the executor of `args.workers` / `args.scheduler`,
    into `args.out`, then a one-line summary; records of other settings exit with a message naming `command`.

    With `estimate`, :func:`estimate_or_confirm` comes first: `--estimate` prints the grid's CPU hours instead of
    running it, and a fresh grid above :data:`LONG_GRID_HOURS` exits asking for `--yes`.
    """
    if estimate is not None and estimate_or_confirm(specs, args, command, estimate):
        return 0
    try:
        with make_executor(args.workers, args.scheduler) as executor:
            n = run_grid(specs, run, args.out, executor, progress=not args.no_progress, desc=command,
                         settings=settings)
    except StaleRecordsError as err:
        raise SystemExit(f"gennes-bo {command}: {err}") from err
    print(f"ran {n} runs; {len(specs)} in the grid; records in {args.out}")
    return 0


def _parallelism(executor: Executor) -> int:
    """Runs the executor can execute at once: pool workers, or the Dask cluster's worker threads."""
    client = getattr(executor, "_client", None)  # distributed's ClientExecutor
    if client is not None:
        return max(1, sum(client.nthreads().values()))
    return max(1, getattr(executor, "_max_workers", 1) or 1)


def _describe(spec: Mapping[str, Any]) -> str:
    keys = ("task", "state", "function", "dim", "method", "optimizer", "acquisition", "q", "seed")
    return " ".join(f"{k}={spec[k]}" for k in keys if k in spec)


# ------------------------------------------------------------------------------------- --estimate and --yes
def print_estimate(measured: Iterable[str | CellCost], specs: Sequence[Mapping[str, Any]], out: str | Path) -> float:
    """Print a command's estimate as it is measured, each cell with its runs and CPU hours, then the total line
    `estimated CPU hours: X for N runs (Y for the M not yet recorded)`.

    Args:
        measured: The command's :data:`Estimate` of `specs`: text lines and the cost of every cell.
        specs: The grid.
        out: Its records (read after the measurement, which may record runs).

    Returns:
        The estimated CPU hours of the runs not yet recorded.

    Raises:
        ValueError: When the cells' runs are not the grid's (an estimate that leaves runs out, or counts some twice).
    """
    costs = []
    for item in measured:
        if isinstance(item, CellCost):
            costs.append(item)
            print(f"{item.label} {len(item.specs):5d} {item.hours * len(item.specs):7.2f}", flush=True)
        else:
            print(item, flush=True)
    costed = sorted(run_key(spec) for cost in costs for spec in cost.specs)
    if costed != sorted(run_key(spec) for spec in specs):
        raise ValueError(f"the estimate costed {len(costed)} runs of a grid of {len(specs)}, not each run once")
    todo = {run_key(spec) for spec in pending(specs, out)}
    total = sum(cost.hours * len(cost.specs) for cost in costs)
    left = sum(cost.hours for cost in costs for spec in cost.specs if run_key(spec) in todo)
    print(f"estimated CPU hours: {total:.1f} for {len(specs)} runs ({left:.1f} for the {len(todo)} not yet recorded)",
          flush=True)
    return left


def estimate_or_confirm(specs: Sequence[Mapping[str, Any]], args: argparse.Namespace, command: str,
                        estimate: Estimate) -> bool:
    """The `--estimate` / `--yes` step of a grid command, before any run.

    With `args.estimate`, print the grid's estimate (:func:`print_estimate`) and return True: the command stops.
    Otherwise a fresh grid (none of its runs recorded in `args.out`) is estimated first unless `args.yes` or
    `args.quick`, and one above :data:`LONG_GRID_HOURS` CPU hours exits asking for `--yes`; a resumed grid starts
    without a word. Returns False: run the grid.

    Raises:
        SystemExit: `gennes-bo COMMAND: about X CPU hours; rerun with --yes to start`.
    """
    fresh = len(specs) > 0 and len(pending(specs, args.out)) == len(specs)
    if not args.estimate and (not fresh or args.yes or args.quick):
        return False
    hours = print_estimate(estimate(specs), specs, args.out)
    if args.estimate:
        return True
    if hours > LONG_GRID_HOURS:
        raise SystemExit(f"gennes-bo {command}: about {hours:.1f} CPU hours; rerun with --yes to start")
    return False


def add_estimate_arguments(parser: argparse.ArgumentParser, measures: str | None) -> None:
    """`--estimate` (when the command says what it `measures`) and `--yes` (unless the command has its own)."""
    if measures is not None:
        parser.add_argument("--estimate", action="store_true",
                            help=f"{measures}, print the grid's CPU hours and exit (one CPU thread, this process)")
    if "--yes" not in parser._option_string_actions:  # regime-map registers its own
        parser.add_argument("--yes", action="store_true",
                            help=f"start a fresh grid estimated above {LONG_GRID_HOURS:g} CPU hour without asking "
                                 "(a resumed grid or --quick never asks)")


# ------------------------------------------------------------------------------------------- shared options
def add_optimizers_argument(parser: argparse.ArgumentParser, *aliases: str, help: str, metavar: str = "NAME",
                            **kwargs: Any) -> None:
    """`--optimizers` (`args.optimizers`): what a grid compares; `aliases` are the command's earlier spellings
    (`--methods`), shown after it in the help."""
    _add_list_argument(parser, "optimizers", aliases, help=help, metavar=metavar, **kwargs)


def add_problems_argument(parser: argparse.ArgumentParser, *aliases: str, help: str, metavar: str = "PROBLEM",
                          **kwargs: Any) -> None:
    """`--problems` (`args.problems`): what a grid runs on; `aliases` are the command's earlier spellings
    (`--functions`, `--tasks`, `--cells`)."""
    _add_list_argument(parser, "problems", aliases, help=help, metavar=metavar, **kwargs)


def add_acquisitions_argument(parser: argparse.ArgumentParser, *aliases: str, help: str, **kwargs: Any) -> None:
    """`--acquisitions` (`args.acquisitions`), a list even where the command used to take one (`--acquisition`)."""
    _add_list_argument(parser, "acquisitions", aliases, help=help, metavar="ACQUISITION", **kwargs)


def add_dims_argument(parser: argparse.ArgumentParser, *aliases: str, help: str, **kwargs: Any) -> None:
    """`--dims` (`args.dims`, integers), a list even where the command used to take one (`--dim`)."""
    _add_list_argument(parser, "dims", aliases, help=help, metavar="D", type=int, **kwargs)


def _add_list_argument(parser: argparse.ArgumentParser, name: str, aliases: Sequence[str], **kwargs: Any) -> None:
    parser.add_argument(f"--{name}", *aliases, dest=name, nargs="+", **kwargs)


def add_grid_arguments(parser: argparse.ArgumentParser, *, default_out: str, default_report: str,
                       default_seeds: int | str, quick: Mapping[str, Any], seeds_aliases: Sequence[str] = (),
                       estimate: str | None = None) -> None:
    """The options every benchmark command shares, with their defaults in the help.

    `--out`, `--seeds` (`args.seeds` is None when not given, so that `--quick` can change the default),
    `--workers`, `--scheduler`, `--report` (an optional path: `--report` alone writes `default_report`), `--quick`,
    `--no-progress`, `--yes` and, with `estimate`, `--estimate` (see :func:`estimate_or_confirm`).

    Args:
        parser: The command's parser.
        default_out: The command's JSONL records.
        default_report: The markdown report that `--report` writes when given no path.
        default_seeds: Seeds per cell without `--seeds` (and without `--quick`), or a text saying what they are
            when cells differ (`10 in the main grid, 5 in the secondary`); shown in the help.
        quick: The `--quick` preset, shown in the help.
        seeds_aliases: Other spellings of `--seeds` (e.g. `--folds`, where a seed is a fold).
        estimate: What the command's `--estimate` measures (`time one acquisition call per optimizer and cell`);
            None: no `--estimate` here (the command registers its own).
    """
    parser.add_argument("--out", default=default_out, metavar="JSONL",
                        help=f"records, one line per finished run; resumed if present (default {default_out})")
    parser.add_argument("--seeds", *seeds_aliases, type=_count(1), metavar="N",
                        help=f"seeds 0 .. N-1 per cell (default {default_seeds})")
    parser.add_argument("--workers", type=_count(0), default=1, metavar="N",
                        help="local worker processes, one CPU thread each (default 1; 0: in this process)")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                        help="run on the Dask distributed scheduler at this address instead of local processes "
                             "(default: none)")
    parser.add_argument("--report", nargs="?", const=default_report, metavar="MARKDOWN",
                        help=f"write the report (and its figures) from the records and exit; MARKDOWN defaults to "
                             f"{default_report}")
    parser.add_argument("--quick", action="store_true",
                        help=f"tiny preset for tests: {dict(quick)} (explicit options still win)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_estimate_arguments(parser, estimate)


def _count(minimum: int) -> Callable[[str], int]:
    """argparse type: an integer >= `minimum`."""

    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    parse.__name__ = "integer"  # argparse's message for a non-integer: "invalid integer value: 'x'"
    return parse


def seeds_or_default(args: argparse.Namespace, quick: Mapping[str, Any], default: int) -> int:
    """`--seeds` if given, else the `--quick` preset's `seeds`, else `default`."""
    if args.seeds is not None:
        return args.seeds
    return quick.get("seeds", default) if args.quick else default
