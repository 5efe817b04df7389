"""CPU against CUDA: the acquisition time of the large-batch BO benchmark (`gennes-bo bo-batch`) on both devices.

Each cell is a `bo-batch` cell (problem, qLogNEI, q) at the data size of its middle BO iteration: seed 0's
initial design (2q scrambled Sobol points) plus `q x ITERATIONS // 2` Sobol points standing for the BO points,
the stand-in that `bo-batch --estimate` uses. The GP is fitted on the CPU (float64, one thread), the same for
every device, then copied to the device with its data; the acquisition (128 Sobol Monte-Carlo samples, seed 0)
is built there, and each optimizer is called once per repeat, seeded, after an untimed warm-up on that device.
A call's time is wall time between two device synchronizations; its value is the acquisition of the returned
batch, evaluated on the device where it ran.

CPU calls run one thread each in `--workers` processes, while the CUDA calls run one after the other in this
process, so the GPU is never shared. With no CUDA device, `--devices cuda` raises; tests run `--devices cpu`.
`--estimate` times one call per optimizer, cell and device (CUDA calls at their CPU time where torch sees no CUDA
device) and prints the grid's CPU hours; a fresh grid estimated above 1 CPU hour asks for `--yes`.

    gennes-bo device-timing --estimate                     # hours of the grid, from one call per optimizer and cell
    gennes-bo device-timing --workers 8                    # on a GPU machine: results/bo_batch_device.jsonl
    gennes-bo device-timing --report                       # docs/results/bo_batch_device.md
"""

from __future__ import annotations

import argparse
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gennes_bo.compare.runner import CellCost

DEFAULT_OUT = "results/bo_batch_device.jsonl"
DEFAULT_REPORT = "docs/results/bo_batch_device.md"
OPTIMIZERS = ("gennes-hybrid", "botorch-default", "botorch-sequential")
DEVICES = ("cpu", "cuda")
# The cells of `bo-batch`'s acceptance criterion (c): every main problem at q = 16, the secondary's at q = 32.
CELLS = (*((problem, 16) for problem in ("hartmann6", "ackley10", "levy20", "rastrigin10", "griewank10",
                                          "michalewicz10")),
         *((problem, 32) for problem in ("hartmann6", "ackley10", "michalewicz10")))
QUICK = {"problems": [("hartmann6", 2)], "optimizers": ["random", "botorch-default"], "devices": ["cpu"],
         "iterations": 2}


def make_specs(cells: Sequence[tuple[str, int]] = CELLS, optimizers: Sequence[str] = OPTIMIZERS,
               devices: Sequence[str] = DEVICES, repeats: int = 1, iterations: int | None = None
               ) -> list[dict[str, Any]]:
    """The timed calls, repeat-major, then cell by cell: every optimizer and device of a cell together.

    Args:
        cells: `(problem key, q)` pairs.
        optimizers: Registered acquisition optimizers.
        devices: `"cpu"` and / or `"cuda"`.
        repeats: Calls per optimizer, cell and device.
        iterations: BO iterations of the run the cell stands for (default `bo-batch`'s); the data size is the
            middle iteration's.

    Raises:
        ValueError: For an unknown problem, optimizer or device, or a count below 1.
    """
    from benchmarks.bo_batch_spec import ITERATIONS
    from gennes_bo.compare.registry import get_acqf_optimizer
    from gennes_bo.test_functions import get_problem, parse_problem_key

    iterations = ITERATIONS if iterations is None else iterations
    if repeats < 1 or iterations < 1:
        raise ValueError(f"`repeats` and `iterations` must be >= 1, got {repeats} and {iterations}")
    for device in devices:
        if device not in DEVICES:
            raise ValueError(f"unknown device {device!r}; choose from {', '.join(DEVICES)}")
    for optimizer in optimizers:
        get_acqf_optimizer(optimizer)
    for problem, q in cells:
        get_problem(*parse_problem_key(problem))
        if q < 1:
            raise ValueError(f"q must be >= 1, got {q} for {problem}")
    return [{"problem": problem, "acquisition": "qlognei", "q": q, "n_points": 2 * q + q * (iterations // 2),
             "optimizer": optimizer, "device": device, "repeat": repeat}
            for repeat in range(repeats) for problem, q in cells for optimizer in optimizers for device in devices]


def time_call(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Time one acquisition optimizer call (picklable, top level); the record body.

    Returns:
        `wall_time` (seconds between two device synchronizations), `acqf_value` (of the returned batch, on the
        device), `acqf_points` (acquisition points evaluated), `gp_fit_time` (CPU seconds, untimed in
        `wall_time`), and the device's and CPU's names.
    """
    import platform

    import torch

    from benchmarks.bo_batch import stand_in_data
    from gennes_bo.compare.bo_loop import build_acquisition, warm_up
    from gennes_bo.compare.registry import AcqfTask, get_acqf_optimizer, run_acqf_optimizer
    from gennes_bo.models import fit_gp

    device = torch.device(spec["device"])
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' asked for, but torch sees no CUDA device")
    problem, bounds, X = stand_in_data(spec, spec["n_points"])
    start = time.process_time()
    model = fit_gp(X, -problem(X), bounds)
    gp_fit_time = time.process_time() - start
    model, X, bounds = model.to(device), X.to(device), bounds.to(device)
    acq_function = build_acquisition(model, model.train_targets.max(), spec["acquisition"], spec["q"], seed=0,
                                     X_baseline=X)
    warm_up(spec["optimizer"], spec["acquisition"], spec["q"], spec["device"])
    optimizer = get_acqf_optimizer(spec["optimizer"]).make(AcqfTask(q=spec["q"]))
    _synchronize(device)
    start = time.monotonic()
    run = run_acqf_optimizer(optimizer, acq_function, bounds, spec["q"], seed=spec["repeat"])
    _synchronize(device)
    wall_time = time.monotonic() - start
    cpu_name = _cpu_name() or platform.machine()
    return {
        "wall_time": wall_time,
        "acqf_value": run.value,
        "acqf_points": run.n_evals,
        "gp_fit_time": gp_fit_time,
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_name,
        "cpu_name": cpu_name,
    }


def _synchronize(device: Any) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _cpu_name() -> str:
    """The CPU's model name (Linux), else the platform's processor string."""
    import platform
    from pathlib import Path

    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def run_specs(specs: Sequence[Mapping[str, Any]], out: str, workers: int, progress: bool) -> int:
    """Run the CPU calls on `workers` processes and, at the same time, the CUDA calls one by one in this process;
    append each record to `out` as it finishes (recorded calls are skipped). A CUDA call that raises is recorded
    with its `error` and the next one runs: a device's first run must bring back every cell it can (delete an error
    record's line to run that call again). Returns the number of calls run."""
    import traceback

    from benchmarks.bo_batch import spec_settings
    from gennes_bo.compare.records import append_record, environment, pending
    from gennes_bo.compare.runner import limit_threads, make_executor, run_grid

    check_devices(specs)
    limit_threads()
    todo = pending(specs, out)
    cpu = [spec for spec in todo if spec["device"] == "cpu"]
    cuda = [spec for spec in todo if spec["device"] != "cpu"]
    counts: list[int] = []
    errors: list[BaseException] = []

    def run_cpu() -> None:
        try:
            with make_executor(workers) as executor:
                counts.append(run_grid(cpu, time_call, out, executor, progress=False, desc="device-timing cpu",
                                       settings=spec_settings))
        except BaseException as err:  # noqa: BLE001 - re-raised in the calling thread
            errors.append(err)

    thread = threading.Thread(target=run_cpu)
    if cpu:
        thread.start()
    try:
        env = environment()
        for spec in cuda:
            try:
                body = time_call(spec)
            except Exception as err:  # noqa: BLE001 - recorded, and the report shows it
                traceback.print_exc()
                body = {"error": f"{type(err).__name__}: {err}"}
            append_record(out, {"spec": dict(spec), **body, "settings": spec_settings(spec), "env": env})
            counts.append(1)
            if progress:
                print(f"{spec['device']} {spec['problem']} q={spec['q']} {spec['optimizer']}: "
                      f"{body.get('wall_time', body.get('error'))}", flush=True)
    finally:
        if cpu:
            thread.join()
    if errors:
        raise errors[0]
    return sum(counts)


def check_devices(specs: Sequence[Mapping[str, Any]]) -> None:
    """Exit with a message when the specs hold CUDA calls and torch sees no CUDA device."""
    import torch

    if any(spec["device"] == "cuda" for spec in specs) and not torch.cuda.is_available():
        raise SystemExit("gennes-bo device-timing: torch sees no CUDA device; run on a GPU machine, or pass "
                         "--devices cpu")


# --------------------------------------------------------------------------------------------- --estimate
def estimate(specs: Sequence[Mapping[str, Any]]) -> Iterator[str | CellCost]:
    """Time one call per optimizer, cell and device, and cost the grid's calls without making them.

    Each (cell, optimizer, device) is timed once in this process (one thread) as a call of the grid is
    (:func:`time_call`, repeat 0: GP fit, then the call after its warm-up); a call costs its GP fit and its call.
    Where torch sees no CUDA device, a CUDA call is costed at the CPU call's time. With one repeat the estimate
    costs about the grid's CPU half: a call is the grid's unit.

    Yields:
        A header, then as they are measured one `CellCost` per cell, optimizer and device.
    """
    import torch

    from gennes_bo.compare.runner import COST_COLUMNS, CellCost, limit_threads

    limit_threads()
    cells: dict[tuple[str, int, int, str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for spec in specs:
        cells[(spec["problem"], spec["q"], spec["n_points"], spec["optimizer"], spec["device"])].append(spec)
    if any(device == "cuda" for *_, device in cells) and not torch.cuda.is_available():
        yield "no CUDA device here: each CUDA call is costed at the same call's time on the CPU"
    yield f"{'cell':24s} {'optimizer':20s} {'device':6s} {'fit (s)':>8s} {'call (s)':>9s} {COST_COLUMNS}"
    measured: dict[tuple[str, int, int, str, str], tuple[float, float]] = {}
    for (problem, q, n_points, optimizer, device), cell_specs in cells.items():
        on = device if device == "cpu" or torch.cuda.is_available() else "cpu"
        if (problem, q, n_points, optimizer, on) not in measured:
            body = time_call({**cell_specs[0], "device": on, "repeat": 0})
            measured[(problem, q, n_points, optimizer, on)] = (body["gp_fit_time"], body["wall_time"])
        fit, call = measured[(problem, q, n_points, optimizer, on)]
        yield CellCost(f"{f'{problem}:{q} ({n_points} points)':24s} {optimizer:20s} {device:6s} {fit:8.2f} {call:9.2f}",
                       cell_specs, (fit + call) / 3600)


# ---------------------------------------------------------------------------------------------------- report
def write_report(records: Sequence[Mapping[str, Any]], path: str, command: str) -> str:
    """The report: per cell, each optimizer's median call time on each device, the CUDA / CPU ratio, and the
    acquisition values; then whether `gennes-hybrid` is at most the faster BoTorch mode's time on each device."""
    from benchmarks.bo_batch_spec import cell_title
    from gennes_bo.compare.report import Report, median_or_nan, number_format

    fmt = number_format(3)
    failed = [record for record in records if "error" in record]
    records = [record for record in records if "error" not in record]
    by_cell: dict[tuple, dict[tuple[str, str], list[Mapping[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        spec = record["spec"]
        by_cell[(spec["problem"], spec["acquisition"], spec["q"], spec["n_points"])][
            (spec["optimizer"], spec["device"])].append(record)
    names = {record["spec"]["device"]: record["device_name"] for record in records}
    report = Report(path, "Large-batch BO: acquisition time on CPU and CUDA").generated_by(
        command, len(records) + len(failed))
    report.paragraph(
        "Each cell is a `gennes-bo bo-batch` cell at the data size of its middle BO iteration (seed 0's initial "
        "design plus Sobol points standing for the BO points); the GP is fitted once on the CPU and copied to each "
        "device. Time: the median over repeats of one optimizer call, wall seconds between device "
        "synchronizations, after an untimed warm-up on that device; CPU calls run one thread each, several "
        "processes side by side, CUDA calls one at a time. Value: the qLogNEI of the returned batch, evaluated on "
        "that device.",
        "Devices: " + "; ".join(f"{device}: {name}" for device, name in sorted(names.items())) + ".",
        "Rerun: `gennes-bo device-timing --workers 8` on a machine with a CUDA GPU, then `" + command + "`.")
    if failed:
        report.paragraph(f"**{len(failed)} call(s) failed** and are left out of the tables:").bullets(
            f"{r['spec']['device']} {r['spec']['problem']} q={r['spec']['q']} `{r['spec']['optimizer']}`: "
            f"{r['error']}" for r in failed)
    devices = [device for device in DEVICES if device in names]
    all_optimizers = list(dict.fromkeys(record["spec"]["optimizer"] for record in records))
    missing = [f"{cell_title((p, a, q, 0.0, 10))} `{optimizer}` on {device}" for (p, a, q, _), runs in by_cell.items()
               for optimizer in all_optimizers for device in devices if (optimizer, device) not in runs]
    if missing:
        report.paragraph(f"**Not run** ({len(missing)} of {len(by_cell) * len(all_optimizers) * len(devices)} "
                         "optimizer, cell and device combinations; their rows say `not run`):").bullets(missing)
    if len(devices) == 2:
        ratios: dict[str, list[float]] = defaultdict(list)
        for runs in by_cell.values():
            for optimizer in all_optimizers:
                if all((optimizer, device) in runs for device in devices):
                    cuda, cpu = (median_or_nan(r["wall_time"] for r in runs[(optimizer, d)]) for d in ("cuda", "cpu"))
                    ratios[optimizer].append(cuda / cpu)
        report.section("CUDA against CPU").paragraph(
            "The CUDA time over the CPU time of the same call, per optimizer: the median over the cells where both "
            "ran (below 1: CUDA is faster).").table(
            ["optimizer", "cells", "median CUDA / CPU", "range"],
            [(f"`{optimizer}`", len(values), fmt(median_or_nan(values)), f"{fmt(min(values))} – {fmt(max(values))}")
             for optimizer, values in ratios.items() if values])
        report.section("Per cell")
    verdicts: dict[str, list[str]] = defaultdict(list)
    for cell, runs in by_cell.items():
        problem, acquisition, q, n_points = cell
        optimizers = list(dict.fromkeys(optimizer for optimizer, _ in runs))
        median = {key: median_or_nan(r["wall_time"] for r in rs) for key, rs in runs.items()}
        value = {key: median_or_nan(r["acqf_value"] for r in rs) for key, rs in runs.items()}
        rows = []
        for optimizer in optimizers:
            row = [f"`{optimizer}`"]
            for device in devices:
                ran = (optimizer, device) in median
                row += [fmt(median[(optimizer, device)]) if ran else "not run",
                        fmt(value[(optimizer, device)]) if ran else "—"]
            if len(devices) == 2:
                both = all((optimizer, device) in median for device in devices)
                row.append(fmt(median[(optimizer, "cuda")] / median[(optimizer, "cpu")]) if both else "—")
            rows.append(row)
        columns = ["optimizer"] + [f"{device} {what}" for device in devices for what in ("s", "value")]
        columns += ["CUDA / CPU time"] if len(devices) == 2 else []
        title = cell_title((problem, acquisition, q, 0.0, 10)) + f", {n_points} points"
        report.paragraph(f"**{title}**").table(columns, rows)
        for device in devices:
            modes = [(median[(m, device)], m) for m in ("botorch-default", "botorch-sequential")
                     if (m, device) in median]
            if ("gennes-hybrid", device) in median and modes:
                fastest, mode = min(modes)
                ours = median[("gennes-hybrid", device)]
                verdicts[device].append(f"{title}: `gennes-hybrid` {fmt(ours)} s vs `{mode}` {fmt(fastest)} s "
                                        f"({'at most' if ours <= fastest else 'slower'})")
    for device in devices:
        if verdicts[device]:
            slower = sum(line.endswith("(slower)") for line in verdicts[device])
            report.section(f"Is `gennes-hybrid` at most the faster BoTorch mode on {device}?")
            report.paragraph(f"Slower on {slower} of {len(verdicts[device])} cells.").bullets(verdicts[device])
    return report.write()


# ------------------------------------------------------------------------------------------------------- CLI
def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register `gennes-bo device-timing`."""
    from gennes_bo.compare.runner import _count, add_estimate_arguments, add_optimizers_argument, add_problems_argument

    parser = commands.add_parser("device-timing", help="bo-batch's acquisition time on CPU and CUDA, side by side",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_problems_argument(parser, "--cells", metavar="PROBLEM:Q",
                          help="cells as problem:q, e.g. hartmann6:16 (default: " +
                               " ".join(f"{p}:{q}" for p, q in CELLS) + ")")
    add_optimizers_argument(parser, help=f"registered acquisition optimizers (default {' '.join(OPTIMIZERS)})")
    parser.add_argument("--devices", nargs="+", choices=DEVICES, help="devices (default cpu cuda)")
    parser.add_argument("--repeats", type=_count(1), default=1, metavar="N", help="calls per optimizer, cell and "
                        "device (default 1)")
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="JSONL",
                        help=f"records, one line per call; resumed if present (default {DEFAULT_OUT})")
    parser.add_argument("--workers", type=_count(0), default=1, metavar="N",
                        help="processes for the CPU calls, one thread each (default 1; 0: in this process)")
    parser.add_argument("--report", nargs="?", const=DEFAULT_REPORT, metavar="MARKDOWN",
                        help=f"write the report from the records and exit; MARKDOWN defaults to {DEFAULT_REPORT}")
    parser.add_argument("--quick", action="store_true", help=f"tiny preset for tests: {QUICK} (explicit options "
                        "still win)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_estimate_arguments(parser, "time one call per optimizer, cell and device")
    parser.set_defaults(run=_main)


def _parse_cell(text: str) -> tuple[str, int]:
    problem, _, q = text.rpartition(":")
    if not problem or not q.isdigit():
        raise SystemExit(f"gennes-bo device-timing: a cell is problem:q, e.g. hartmann6:16; got {text!r}")
    return problem, int(q)


def _main(args: argparse.Namespace) -> int:
    from gennes_bo.compare.report import run_report_command
    from gennes_bo.compare.runner import estimate_or_confirm

    if args.report:
        return run_report_command(args, "device-timing", write_report)
    preset: Mapping[str, Any] = QUICK if args.quick else {}
    cells = [_parse_cell(text) for text in args.problems] if args.problems else preset.get("problems", CELLS)
    try:
        specs = make_specs(cells, args.optimizers or preset.get("optimizers", OPTIMIZERS),
                           args.devices or preset.get("devices", DEVICES), args.repeats, preset.get("iterations"))
    except ValueError as err:
        raise SystemExit(f"gennes-bo device-timing: {err}") from err
    if not args.estimate:
        check_devices(specs)  # before an estimate of calls that cannot run here
    if estimate_or_confirm(specs, args, "device-timing", estimate):
        return 0
    n = run_specs(specs, args.out, args.workers, progress=not args.no_progress)
    print(f"ran {n} calls; {len(specs)} planned; records in {args.out}")
    return 0
