"""GP states frozen from real BO runs, for comparing acquisition optimizers on the same landscapes.

A :class:`FreezeTask` runs one BO loop (BoTorch's default acquisition optimizer, LogEI, q = 1) and captures the
GP at a few iterations ("early", "middle", "late"): the training data exactly as the model saw it, the bounds and
the fitted hyperparameters (the model's `state_dict`). :func:`rebuild_model` turns a :class:`FrozenState` back
into the same SingleTaskGP without refitting, so every optimizer of `gennes-bo compare-acqf` maximizes the very
acquisition function the BO run had. States are saved with `torch.save` as plain dicts (loadable with
`weights_only=True`), one file for all tasks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from botorch.acquisition import AcquisitionFunction
from botorch.models import SingleTaskGP
from botorch.test_functions import Hartmann
from botorch.test_functions.base import BaseTestProblem
from torch import Tensor

from gennes_bo.compare.bo_loop import build_acquisition, run_bo_loop
from gennes_bo.compare.registry import get_acqf_optimizer
from gennes_bo.models import make_gp
from gennes_bo.test_functions import Alpine1, DigitsLogisticRegression

logger = logging.getLogger(__name__)

# Problems to maximize (BO loops maximize): the test error of digits LR and the synthetic functions, negated.
PROBLEMS: dict[str, Callable[[], BaseTestProblem]] = {
    "digits": lambda: DigitsLogisticRegression(seed=0, negate=True),
    "alpine1_20": lambda: Alpine1(dim=20, negate=True),
    "hartmann6": lambda: Hartmann(dim=6, negate=True),
    "hartmann3": lambda: Hartmann(dim=3, negate=True),  # the cheap landscapes of `--quick`
}
MC_SEED = 0  # Sobol base samples of every rebuilt q > 1 acquisition: one landscape per state, whatever the seed
STATES_FORMAT = 1


@dataclass(frozen=True)
class FreezeTask:
    """A BO run whose GP is captured at a few iterations.

    Attributes:
        name: Task name, used in state names (`"digits"` -> `"digits-early"`).
        problem: Key of :data:`PROBLEMS`.
        n_init: Uniformly random initial points of the BO run.
        stages: `(stage name, BO iteration)` pairs; the GP fitted before the acquisition optimization of that
            iteration (0-based) is captured, on `n_init + iteration` points.
        paper_starts: Random starts of `lbfgs-paper` on this task's states (the paper: 20 digits, 100 Alpine1).
        paper_iterations: Iterations of `gennes` on this task's states (the paper: 20 digits, 30 Alpine1).
        bo_seed: Seed of the BO run (initial design and optimizer).
    """

    name: str
    problem: str
    n_init: int
    stages: tuple[tuple[str, int], ...]
    paper_starts: int = 20
    paper_iterations: int = 20
    bo_seed: int = 0

    def __post_init__(self) -> None:
        if self.problem not in PROBLEMS:
            raise ValueError(f"`problem` must be one of {sorted(PROBLEMS)}, got {self.problem!r}")
        if self.n_init < 2:
            raise ValueError(f"`n_init` must be >= 2, got {self.n_init}")
        if not self.stages:
            raise ValueError("`stages` must name at least one (stage, iteration) pair")
        names, iterations = [s for s, _ in self.stages], [i for _, i in self.stages]
        if len(set(names)) != len(names) or len(set(iterations)) != len(iterations):
            raise ValueError(f"`stages` must have distinct names and iterations, got {self.stages}")
        if min(iterations) < 0:
            raise ValueError(f"`stages` iterations must be >= 0, got {self.stages}")
        if self.paper_starts < 1 or self.paper_iterations < 1:
            raise ValueError(f"`paper_starts` and `paper_iterations` must be >= 1, got {self.paper_starts} and "
                             f"{self.paper_iterations}")

    @property
    def n_iterations(self) -> int:
        """BO iterations run: up to the last stage captured."""
        return max(i for _, i in self.stages) + 1


TASKS = {
    # The paper's settings of its BO tasks (initial points, `lbfgs-paper` starts, `gennes` steps), as the
    # repository's `gennes-bo bo` runs them (a test there checks they agree).
    "digits": FreezeTask("digits", "digits", n_init=20, stages=(("early", 0), ("middle", 20), ("late", 39)),
                         paper_starts=20, paper_iterations=20),
    "alpine1": FreezeTask("alpine1", "alpine1_20", n_init=100, stages=(("early", 0), ("middle", 25), ("late", 49)),
                          paper_starts=100, paper_iterations=30),
    "hartmann6": FreezeTask("hartmann6", "hartmann6", n_init=10, stages=(("early", 0), ("middle", 15), ("late", 29))),
}
QUICK_TASKS = {"hartmann3-quick": FreezeTask("hartmann3-quick", "hartmann3", n_init=6,
                                             stages=(("early", 0), ("late", 1)), paper_starts=2, paper_iterations=3)}


@dataclass(frozen=True, eq=False)
class FrozenState:
    """A fitted GP of a BO run, as data.

    Attributes:
        task: Name of the :class:`FreezeTask`.
        problem: Key of :data:`PROBLEMS`.
        stage: Stage name (`"early"`, `"middle"`, `"late"`).
        iteration: BO iteration (0-based) whose GP this is.
        X: `n x d` training inputs, in the problem's box.
        Y: `n` training values (maximized), untransformed.
        bounds: `2 x d` search box.
        state_dict: The fitted model's `state_dict` (hyperparameters and transform buffers).
        paper_starts: See :class:`FreezeTask`.
        paper_iterations: See :class:`FreezeTask`.
        bo_seed: Seed of the BO run.
    """

    task: str
    problem: str
    stage: str
    iteration: int
    X: Tensor
    Y: Tensor
    bounds: Tensor
    state_dict: dict[str, Tensor] = field(repr=False)
    paper_starts: int = 20
    paper_iterations: int = 20
    bo_seed: int = 0

    def __post_init__(self) -> None:
        if self.X.dim() != 2 or self.Y.shape != self.X.shape[:1]:
            raise ValueError(f"`X` must be n x d and `Y` n, got shapes {tuple(self.X.shape)} and {tuple(self.Y.shape)}")
        if self.bounds.shape != (2, self.X.shape[1]):
            raise ValueError(f"`bounds` must be 2 x {self.X.shape[1]}, got shape {tuple(self.bounds.shape)}")

    @property
    def name(self) -> str:
        return f"{self.task}-{self.stage}"

    @property
    def n_train(self) -> int:
        return self.X.shape[0]

    @property
    def dim(self) -> int:
        return self.X.shape[1]

    def metadata(self) -> dict[str, Any]:
        """The JSON-ready description a record carries (everything but the tensors)."""
        return {"task": self.task, "problem": self.problem, "stage": self.stage, "iteration": self.iteration,
                "n_train": self.n_train, "dim": self.dim, "best_f": float(self.Y.max()), "bo_seed": self.bo_seed,
                "paper_starts": self.paper_starts, "paper_iterations": self.paper_iterations}

    def fingerprint(self) -> str:
        """12 hex digits identifying the state's data, hyperparameters and settings (stored in run specs)."""
        digest = hashlib.sha1(json.dumps(self.metadata(), sort_keys=True).encode())
        for tensor in (self.X, self.Y, self.bounds, *(self.state_dict[k] for k in sorted(self.state_dict))):
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        return digest.hexdigest()[:12]

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "problem": self.problem, "stage": self.stage, "iteration": self.iteration,
                "X": self.X, "Y": self.Y, "bounds": self.bounds, "state_dict": dict(self.state_dict),
                "paper_starts": self.paper_starts, "paper_iterations": self.paper_iterations, "bo_seed": self.bo_seed}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FrozenState:
        return cls(**data)


def capture_state(task: FreezeTask, stage: str, iteration: int, model: SingleTaskGP, X: Tensor, Y: Tensor,
                  bounds: Tensor) -> FrozenState:
    """Freeze `model`, fitted on `X` (`n x d`) and `Y` (`n`) in the box `bounds` (`2 x d`)."""
    if model.train_targets.shape[-1] != X.shape[0]:
        raise ValueError(f"`model` was fitted on {model.train_targets.shape[-1]} points, `X` has {X.shape[0]}")
    state_dict = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return FrozenState(task.name, task.problem, stage, iteration, X.detach().clone(), Y.detach().clone(),
                       bounds.detach().clone(), state_dict, task.paper_starts, task.paper_iterations, task.bo_seed)


def freeze_task(task: FreezeTask, *, progress: bool = False) -> list[FrozenState]:
    """Run the task's BO loop (`botorch-default`, LogEI, q = 1) and capture the GP at each stage.

    Returns:
        One :class:`FrozenState` per stage, in BO-iteration order.
    """
    problem = PROBLEMS[task.problem]()
    bounds = problem.bounds.to(torch.float64)
    evaluated: list[tuple[Tensor, Tensor]] = []

    def objective(X: Tensor) -> Tensor:  # remembers the data in the order the BO loop adds it to the GP
        Y = problem(X)
        evaluated.append((X, Y))
        return Y

    stage_at = {iteration: stage for stage, iteration in task.stages}
    states = []

    def capture(iteration: int, model: SingleTaskGP, _acq_function: AcquisitionFunction) -> None:
        if iteration in stage_at:
            X, Y = torch.cat([x for x, _ in evaluated]), torch.cat([y for _, y in evaluated])
            states.append(capture_state(task, stage_at[iteration], iteration, model, X, Y, bounds))

    run_bo_loop(objective, bounds, get_acqf_optimizer("botorch-default").make(), n_init=task.n_init,
                n_iterations=task.n_iterations, q=1, acquisition="logei", seed=task.bo_seed, callback=capture,
                progress=progress, desc=f"freeze {task.name}")
    return states


def rebuild_model(state: FrozenState) -> SingleTaskGP:
    """The state's SingleTaskGP in eval mode, hyperparameters loaded, not refitted.

    Built by the BO loop's :func:`~gennes_bo.models.make_gp`.
    """
    model = make_gp(state.X, state.Y, state.bounds)
    model.load_state_dict(state.state_dict)
    return model.eval()


def rebuild_acquisition(state: FrozenState, acquisition: str, q: int) -> AcquisitionFunction:
    """`acquisition` (`"logei"` or `"ei"`) of the rebuilt model above the best training value; for q > 1 the Sobol
    base samples are seeded with :data:`MC_SEED`, so every optimizer and seed sees the same landscape."""
    return build_acquisition(rebuild_model(state), state.Y.max(), acquisition, q, seed=MC_SEED)


def save_states(states: Sequence[FrozenState], path: str | Path) -> None:
    """Write the states with `torch.save` (atomically: a temporary file, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial_path = path.with_name(path.name + ".partial")
    torch.save({"format": STATES_FORMAT, "states": [s.to_dict() for s in states]}, partial_path)
    os.replace(partial_path, path)


def load_states(path: str | Path) -> list[FrozenState]:
    """The states saved in `path` (none if the file does not exist)."""
    path = Path(path)
    if not path.exists():
        return []
    data = torch.load(path, weights_only=True)
    if data.get("format") != STATES_FORMAT:
        raise ValueError(f"{path} holds states of format {data.get('format')!r}, expected {STATES_FORMAT}")
    return [FrozenState.from_dict(s) for s in data["states"]]


def ensure_states(tasks: Sequence[FreezeTask], path: str | Path, *, refreeze: bool = False,
                  progress: bool = False) -> list[FrozenState]:
    """The states of `tasks`, read from `path` or frozen (and saved there) for tasks it lacks.

    Args:
        tasks: The tasks wanted; states of other tasks in the file are kept.
        path: The states file.
        refreeze: Freeze `tasks` again even when the file has their states.
        progress: Show the BO loops' progress bars.

    Raises:
        ValueError: If the file holds states of a task frozen with other settings (pass `refreeze`).
    """
    saved = load_states(path)
    for task in tasks:
        mine = [s for s in saved if s.task == task.name]
        if mine and not refreeze and not _matches(task, mine):
            raise ValueError(f"the states of task {task.name!r} in {path} were frozen with other settings than "
                             f"{task}; refreeze them (`--refreeze`) or use another states file")
        if refreeze or not mine:
            logger.info("freezing GP states of %s (%d BO iterations)", task.name, task.n_iterations)
            saved = [s for s in saved if s.task != task.name] + freeze_task(task, progress=progress)
            save_states(saved, path)
    names = [task.name for task in tasks]
    return sorted((s for s in saved if s.task in names), key=lambda s: (names.index(s.task), s.iteration))


def _matches(task: FreezeTask, states: Sequence[FrozenState]) -> bool:
    stored = sorted((s.stage, s.iteration, s.n_train, s.problem, s.paper_starts, s.paper_iterations, s.bo_seed)
                    for s in states)
    wanted = sorted((stage, i, task.n_init + i, task.problem, task.paper_starts, task.paper_iterations, task.bo_seed)
                    for stage, i in task.stages)
    return stored == wanted
