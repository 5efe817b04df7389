"""The regime map's cells, splits, optimizers and oracle: what `regime-map` runs and its report reads.

A cell is a BO regime: a problem (optionally embedded in a high-dimensional box), a batch size and an acquisition.
Every regime of the test map has a **dev** cell on another problem, fixed here; a few dev cells serve a lever's
probe only (`LEVERS`). The pipeline policy of `optimize_acqf_gennes` is chosen on the dev cells at the acquisition
level (`--split dev`), by the rule in docs/design.md#the-pipeline-policy; the test cells run whole BO loops once,
after that choice is committed (`--split test`), and the README quotes them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

SPLITS = ("dev", "test")
BOTORCH_MODES = ("botorch-default", "botorch-sequential")
TARGET = "gennes-hybrid"
ABLATION = "lbfgs-same-starts"
# Side by side in every test cell (`botorch-sequential` only where q > 1: at q = 1 it is the default).
OPTIMIZERS = ("botorch-default", "botorch-sequential", TARGET, ABLATION, "oracle", "sobol")
# Compared on the dev states: the two pipelines of the policy and BoTorch's two modes.
DEV_OPTIMIZERS = ("botorch-default", "botorch-sequential", "gennes-stage", ABLATION)
# Timed on the same states by `--timing`: the time target's measure (docs/design.md#the-time-target-on-the-same-states).
TIMED = (*BOTORCH_MODES, TARGET)
TIMING_SEEDS = 3
# The optimizer field of a spec whose loop BoTorch's default drives while other optimizers are measured on its states.
STATE_PROBES = ("dev-probe", "timing-probe")
UCB_BETA_OPTIMISTIC = 10.0
DEFAULT_OUT = {"test": "results/regime_map.jsonl", "dev": "results/regime_dev.jsonl",
               "timing": "results/regime_timing.jsonl"}
DEFAULT_REPORT = "docs/results/regime_map.md"


@dataclass(frozen=True)
class Cell:
    """One BO regime on one problem.

    Attributes:
        name: Its name in records and reports.
        regime: What it stands for (shared by a dev and a test cell).
        split: `"dev"` or `"test"`.
        problem: A registered problem name (`get_problem(problem, dim)`).
        dim: The problem's own dimension.
        embed: Dimension of the box the problem is embedded in (`random_embedding`), or 0 for none.
        q: Batch size.
        acquisition: `"qlognei"`, `"qucb"` or `"qmes"` (`gennes_bo.compare.bo_loop.build_acquisition`).
        n_init: Scrambled Sobol points of the initial design (the same for every optimizer of a seed).
        iterations: BO iterations.
        seeds: Seeds per optimizer.
        oracle_seeds: Seeds of the oracle (the first ones).
        beta: qUCB's exploration weight.
        oracle_10x: BoTorch's modes at ten times its budget that the oracle runs besides the cell's optimizers.
    """

    name: str
    regime: str
    split: str
    problem: str
    dim: int
    embed: int
    q: int
    acquisition: str
    n_init: int
    iterations: int
    seeds: int
    oracle_seeds: int
    beta: float = 2.0
    oracle_10x: tuple[str, ...] = ("botorch-10x",)

    @property
    def search_dim(self) -> int:
        """Dimension of the search space."""
        return self.embed or self.dim

    @property
    def optimizers(self) -> tuple[str, ...]:
        """The optimizers of the cell (BoTorch's sequential mode only where q > 1)."""
        return tuple(name for name in OPTIMIZERS if self.q > 1 or name != "botorch-sequential")


def _cells(split: str, rows: Sequence[tuple]) -> tuple[Cell, ...]:
    return tuple(Cell(name, regime, split, *rest) for name, regime, *rest in rows)


_BOTH_10X = ("botorch-10x", "botorch-10x-sequential")
# BoTorch's joint mode at 10x is out of reach at q = 16 in d >= 60 and at q = 64 (one call of the oracle's joint 10x
# component ran for more than 45 minutes at q = 16 in d = 60): there the oracle's 10x component is the sequential mode.
# Hartmann6 in d = 150 at q = 16 is left out of the test map: its oracle alone would cost about 3.4 CPU hours (the
# dev states' call times at d = 150, q = 16), a quarter of the map's budget; d = 150 is measured at q = 1.
_SEQUENTIAL_10X = ("botorch-10x-sequential",)
# Every cell runs 10 seeds: a two-sided Wilcoxon test over 5 pairs cannot go below p = 0.0625 (docs/design.md,
# "Ten seeds in every cell"). The costliest oracles keep 5, the fewest at which the one-sided headroom test can pass.
# name, regime, problem, dim, embed, q, acquisition, n_init, iterations, seeds, oracle seeds, [beta, oracle 10x]
TEST_CELLS = _cells("test", [
    ("hartmann6-q1", "low-d, sequential", "hartmann", 6, 0, 1, "qlognei", 10, 30, 10, 10),
    ("hartmann6-in60-q1", "high-d, embedded", "hartmann", 6, 60, 1, "qlognei", 20, 30, 10, 10),
    ("hartmann6-in150-q1", "high-d, embedded", "hartmann", 6, 150, 1, "qlognei", 20, 30, 10, 10),
    ("hartmann6-in60-q16", "high-d, embedded, batch", "hartmann", 6, 60, 16, "qlognei", 32, 4, 10, 5, 2.0,
     _SEQUENTIAL_10X),
    ("ackley60-q1", "high-d, full", "ackley", 60, 0, 1, "qlognei", 20, 30, 10, 10),
    ("hartmann6-q64", "very large batch", "hartmann", 6, 0, 64, "qlognei", 64, 3, 10, 5, 2.0, _SEQUENTIAL_10X),
    ("ackley10-q64", "very large batch", "ackley", 10, 0, 64, "qlognei", 64, 3, 10, 5, 2.0, _SEQUENTIAL_10X),
    ("ackley10-q16-ucb", "optimistic", "ackley", 10, 0, 16, "qucb", 32, 8, 10, 5, UCB_BETA_OPTIMISTIC, _BOTH_10X),
    # Added after round 3 to confirm its qUCB policy on a problem no round has seen (docs/design.md, "Round 3's check").
    ("styblinski10-q16-ucb", "optimistic", "styblinski_tang", 10, 0, 16, "qucb", 32, 8, 10, 5, UCB_BETA_OPTIMISTIC,
     _BOTH_10X),
    ("hartmann6-mes-q1", "rugged acquisition", "hartmann", 6, 0, 1, "qmes", 10, 30, 10, 10),
])
DEV_CELLS = _cells("dev", [
    ("levy6-q1", "low-d, sequential", "levy", 6, 0, 1, "qlognei", 10, 30, 3, 0),
    ("branin-in60-q1", "high-d, embedded", "branin", 2, 60, 1, "qlognei", 20, 30, 3, 0),
    ("branin-in150-q1", "high-d, embedded", "branin", 2, 150, 1, "qlognei", 20, 30, 3, 0),
    ("branin-in60-q16", "high-d, embedded, batch", "branin", 2, 60, 16, "qlognei", 32, 5, 3, 0),
    ("branin-in150-q16", "high-d, embedded, batch", "branin", 2, 150, 16, "qlognei", 32, 5, 3, 0),
    ("levy60-q1", "high-d, full", "levy", 60, 0, 1, "qlognei", 20, 30, 3, 0),
    ("levy10-q64", "very large batch", "levy", 10, 0, 64, "qlognei", 64, 4, 3, 0),
    ("griewank10-q64", "very large batch", "griewank", 10, 0, 64, "qlognei", 64, 4, 3, 0),
    ("levy10-q16-ucb", "optimistic", "levy", 10, 0, 16, "qucb", 32, 8, 3, 0, UCB_BETA_OPTIMISTIC),
    ("levy10-q16", "low-d, batch", "levy", 10, 0, 16, "qlognei", 32, 8, 3, 0),
    ("griewank10-q16", "low-d, batch", "griewank", 10, 0, 16, "qlognei", 32, 8, 3, 0),
    ("levy6-mes-q1", "rugged acquisition", "levy", 6, 0, 1, "qmes", 10, 30, 3, 0),
    # Added for round 6, after round 3's check was refuted: qUCB dev cells beside Levy-10 (docs/design.md, round 6).
    ("griewank10-q16-ucb", "optimistic", "griewank", 10, 0, 16, "qucb", 32, 8, 10, 0, UCB_BETA_OPTIMISTIC),
    ("rastrigin10-q16-ucb", "optimistic", "rastrigin", 10, 0, 16, "qucb", 32, 8, 10, 0, UCB_BETA_OPTIMISTIC),
    # Timed only, for a qUCB time lever: is BoTorch's joint search as cheap there as on Ackley-10 (docs/design.md,
    # round 6's "Next")?
    ("michalewicz10-q16-ucb", "optimistic", "michalewicz", 10, 0, 16, "qucb", 32, 8, 3, 0, UCB_BETA_OPTIMISTIC),
    ("rosenbrock10-q16-ucb", "optimistic", "rosenbrock", 10, 0, 16, "qucb", 32, 8, 3, 0, UCB_BETA_OPTIMISTIC),
    ("schwefel10-q16-ucb", "optimistic", "schwefel", 10, 0, 16, "qucb", 32, 8, 3, 0, UCB_BETA_OPTIMISTIC),
])
CELLS: dict[str, Cell] = {cell.name: cell for cell in (*TEST_CELLS, *DEV_CELLS)}
# The dev cells the pipeline policy was chosen on (docs/design.md#the-pipeline-policy); the others serve levers only,
# so the policy's probe (`--split dev` without `--optimizers`) runs these unless cells are named.
POLICY_CELLS = ("levy6-q1", "branin-in60-q1", "branin-in150-q1", "branin-in60-q16", "branin-in150-q16", "levy60-q1",
                "levy10-q64", "griewank10-q64", "levy10-q16-ucb", "levy6-mes-q1")


class Lever(NamedTuple):
    """A lever probed on dev states after the policy (`--split dev --cells ... --optimizers ...`).

    Attributes:
        cells: The dev cells whose loops the probe reruns.
        compared: The optimizers measured on their states, the current choice (`ABLATION`) first; the report finds
            the lever's records by them.
        by_acquisition: Whether the rule decides qUCB apart from the other acquisitions in each bucket.
        loops: Whether the probe runs whole BO loops of each compared optimizer (`--loops`) rather than measuring
            them on the states of loops driven by BoTorch's default.
        time_reference: Loops: the optimizer whose median time a fast candidate stays within `TIME_TARGET` of
            (None: the faster BoTorch mode, which the loops then run too).
        anchor: The design notes' section that states the rule.
        seeds: Loops: seeds of each compared optimizer in each cell (`--seeds`); the rule is read once all have run.
        rule: Loops: `"beats current"` (a fast candidate that beats the current choice replaces it) or
            `"cheapest unbeaten"` (`compared` runs from the cheapest budget to the richest, and the choice is the
            first that the richest does not beat); `benchmarks.regime_report.loop_rule`.
    """

    cells: tuple[str, ...]
    compared: tuple[str, ...]
    by_acquisition: bool = False
    loops: bool = False
    time_reference: str | None = None
    anchor: str = ""
    seeds: int = 10
    rule: str = "beats current"


# Their rules: the design notes' sections named by each lever's `anchor` (docs/design.md).
LEVERS: dict[str, Lever] = {
    "batch-strategy lever": Lever(
        ("levy10-q16-ucb", "levy10-q64", "griewank10-q64"),
        (ABLATION, "lbfgs-same-starts-joint", "lbfgs-greedy-2starts", *BOTORCH_MODES),
        anchor="the-batch-strategy-lever-the-rule-committed-before-the-probe"),
    "batch-strategy lever, round 2": Lever(
        ("levy10-q16-ucb", "levy10-q16", "griewank10-q16"),
        (ABLATION, "lbfgs-greedy-cap15", "lbfgs-same-starts-joint", "lbfgs-joint-20starts", *BOTORCH_MODES),
        by_acquisition=True, anchor="the-batch-strategy-lever-round-2-the-rule-committed-before-the-probe"),
    "batch-strategy lever, round 3": Lever(
        ("levy10-q16-ucb",),
        (TARGET, "lbfgs-greedy-2starts", "gennes-sequential", "lbfgs-greedy-cap15", *BOTORCH_MODES), loops=True,
        anchor="the-batch-strategy-lever-round-3-the-rule-committed-before-the-loops"),
    # Timed against the current choice, which the q = 64 test states time at about half the faster mode's: the loops
    # leave out BoTorch's modes (about 2.6 of their 3.8 CPU hours), and a change is timed again on the test states.
    "batch-strategy lever, round 5": Lever(
        ("levy10-q64", "griewank10-q64"), (TARGET, "gennes-sequential"), loops=True, time_reference=TARGET,
        anchor="the-batch-strategy-lever-round-5-large-batches-the-rule-committed-before-the-loops"),
    # qUCB's sequential build, from ours' cheap steps (`gennes-sequential` equals the current default there) to
    # BoTorch's per-step budget run through ours; time is reported beside the choice, from `--split dev --timing`.
    "batch-strategy lever, round 6": Lever(
        ("levy10-q16-ucb", "griewank10-q16-ucb", "rastrigin10-q16-ucb"),
        ("gennes-sequential", "lbfgs-seq-8starts", "lbfgs-seq-20starts"), loops=True,
        time_reference="gennes-sequential", rule="cheapest unbeaten",
        anchor="the-batch-strategy-lever-round-6-qucb-step-budgets-the-rule-committed-before-the-loops"),
}
LOOP_RULES = ("beats current", "cheapest unbeaten")

# Iterations at which the dev part measures every compared optimizer on the state of a loop that BoTorch's
# default drives: early, middle and last.
DEV_STATES = 3


def capture_iterations(cell: Cell) -> tuple[int, ...]:
    """The iterations of a dev loop whose acquisition every compared optimizer maximizes."""
    last = cell.iterations - 1
    return tuple(sorted({min(1, last), last // 2, last}))[:DEV_STATES]


def make_specs(split: str = "test", cells: Sequence[str] | None = None, optimizers: Sequence[str] | None = None,
               seeds: int | None = None, iterations: int | None = None, loops: bool = False,
               timing: bool = False) -> list[dict[str, Any]]:
    """The runs of a split, seed-major: every cell and optimizer of seed 0, then of seed 1, ...

    Args:
        split: `"test"` (whole BO loops of every optimizer) or `"dev"` (one loop per seed driven by BoTorch's
            default, every compared optimizer measured on its states).
        cells: Cell names of the split (default all; the policy's dev probe: `POLICY_CELLS`).
        optimizers: Test split: optimizers to run (default each cell's). Dev split: optimizers compared on the
            states (default `DEV_OPTIMIZERS`), recorded in the spec as `compared` (a lever's probe).
        seeds: Seeds per cell replacing the cells' (the oracle keeps at most its own number).
        iterations: BO iterations replacing the cells' (`--quick`).
        loops: Dev split: whole BO loops of each of `optimizers` on the dev cells (kind `"regime-dev-loop"`), as
            the test split runs them, for a lever decided on BO outcomes rather than on states.
        timing: Per seed (default `TIMING_SEEDS`) one loop driven by BoTorch's default, on whose early, middle and
            last states `optimizers` (default `TIMED`) are timed one after the other in one process (kind
            `"regime-timing"`): on test, the time target's measure; on dev, a time lever's.

    Raises:
        ValueError: For an unknown split or cell, a cell of the other split, or `loops` without dev optimizers.
    """
    if split not in SPLITS:
        raise ValueError(f"`split` must be one of {SPLITS}, got {split!r}")
    if loops and (split != "dev" or not optimizers):
        raise ValueError("dev loops need the dev split and the optimizers to run (`--split dev --loops "
                         "--optimizers ...`)")
    if timing:
        seeds = seeds or TIMING_SEEDS
    policy_probe = split == "dev" and not (loops or timing or optimizers)
    default = POLICY_CELLS if policy_probe else CELLS
    chosen = [cell for cell in (TEST_CELLS if split == "test" else DEV_CELLS)
              if cell.name in (default if cells is None else cells)]
    unknown = sorted(set(cells or ()) - {cell.name for cell in chosen})
    if unknown:
        known = [cell.name for cell in CELLS.values() if cell.split == split]
        raise ValueError(f"unknown {split} cell(s) {unknown}; known: {known}")
    specs = []
    for seed in range(max((seeds or cell.seeds for cell in chosen), default=0)):
        for cell in chosen:
            n_seeds = seeds or cell.seeds
            if seed >= n_seeds:
                continue
            if loops:
                specs.extend({**_spec(cell, seed, optimizer, iterations), "kind": "regime-dev-loop"}
                             for optimizer in optimizers)
                continue
            if timing:
                specs.append({**_spec(cell, seed, "timing-probe", iterations), "kind": "regime-timing",
                              "compared": list(optimizers or TIMED)})
                continue
            if split == "dev":
                spec = _spec(cell, seed, "dev-probe", iterations)
                if optimizers:
                    spec["compared"] = list(optimizers)
                specs.append(spec)
                continue
            for optimizer in optimizers or cell.optimizers:
                if optimizer == "oracle" and seed >= min(cell.oracle_seeds, n_seeds):
                    continue
                specs.append(_spec(cell, seed, optimizer, iterations))
    return specs


def _spec(cell: Cell, seed: int, optimizer: str, iterations: int | None = None) -> dict[str, Any]:
    spec = {"kind": f"regime-{cell.split}", "cell": cell.name, "problem": cell.problem, "dim": cell.dim,
            "embed": cell.embed, "q": cell.q, "acquisition": cell.acquisition, "n_init": cell.n_init,
            "iterations": iterations or cell.iterations, "seed": seed, "optimizer": optimizer}
    if cell.acquisition == "qucb":
        spec["beta"] = cell.beta
    return spec


def compared_of(spec: Mapping[str, Any]) -> tuple[str, ...]:
    """The optimizers a dev or timing spec measures on its states (BoTorch's sequential mode only where q > 1)."""
    return tuple(name for name in spec.get("compared", DEV_OPTIMIZERS)
                 if spec["q"] > 1 or name != "botorch-sequential")


def cell_of(spec: Mapping[str, Any]) -> Cell:
    """The cell of a spec or record spec."""
    return CELLS[spec["cell"]]


def task_of(spec: Mapping[str, Any]) -> Any:
    """The registry task of a spec: its q, the dimension of its search space and its acquisition."""
    from gennes_bo.compare.registry import AcqfTask

    return AcqfTask(q=spec["q"], dim=cell_of(spec).search_dim, acquisition=spec["acquisition"])


def spec_settings(spec: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the spec's optimizer resolves to for its cell, recorded with each run (the oracle: its components')."""
    from gennes_bo.compare.registry import get_acqf_optimizer

    if spec["optimizer"] in STATE_PROBES:
        return {name: get_acqf_optimizer(name).resolved_settings(task_of(spec)) for name in compared_of(spec)}
    if spec["optimizer"] == "oracle":
        return {name: get_acqf_optimizer(name).resolved_settings(task_of(spec)) for name in oracle_components(spec)}
    return get_acqf_optimizer(spec["optimizer"]).resolved_settings(task_of(spec))


def oracle_components(spec: Mapping[str, Any]) -> tuple[str, ...]:
    """The optimizers whose best acquisition value the oracle takes on each call: every optimizer of the cell but
    the Sobol floor, GENNES's two pipelines, and BoTorch's modes at ten times their budget."""
    cell = cell_of(spec)
    compared = [name for name in cell.optimizers if name not in ("oracle", "sobol", TARGET)]
    return tuple(dict.fromkeys([*compared, "gennes-stage", ABLATION, *cell.oracle_10x]))


def problem_of(spec: Mapping[str, Any]) -> Any:
    """The spec's minimization problem: its optimum moved at random by the seed, embedded when the cell says so."""
    from gennes_bo.test_functions import get_problem, random_embedding, random_translation

    base = get_problem(spec["problem"], spec["dim"])
    if spec["embed"]:
        return random_embedding(base, spec["embed"], spec["seed"])
    return random_translation(base, spec["seed"])


def cell_record(cell: Cell) -> dict[str, Any]:
    """The cell's settings as JSON (for the report's table of cells)."""
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(cell).items()}


def relative_improvement(value: float, reference: float, acquisition: str) -> float:
    """How much `value` beats `reference` on one acquisition: for qLogNEI (a log value) the difference, i.e. the
    log of the ratio of expected improvements; otherwise the difference relative to the reference's magnitude."""
    if acquisition == "qlognei":
        return value - reference
    return (value - reference) / max(abs(reference), 1e-12) if math.isfinite(reference) else math.inf
