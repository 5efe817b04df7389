"""HEBO and Google Vizier behind Optuna's sampler interface, each in its own virtual environment.

HEBO 0.3.6 (winner of the NeurIPS 2020 black-box optimization challenge) pins numpy < 1.25, and google-vizier 0.1.24
pins its own jax and equinox, so neither installs beside this project's numpy and torch.
`scripts/setup_external_samplers.sh` builds one virtual environment for each; a sampler here starts the optimizer's
worker (`benchmarks/external/{hebo,vizier}_worker.py`) in it, once per study, and speaks JSON lines with it: a request
`{"space", "history", "n_suggestions", "seed", "step"}`, a response `{"suggestions", "time_s", "cpu_s"}` or
`{"error"}` (the workers' docstrings hold the details). Each request carries the whole history and the worker
rebuilds its optimizer from it, so a study is reproducible from its seed.

Like :class:`benchmarks.hpo_smac.SMACSampler`, this serves the benchmark's studies (one fixed space, one process),
not a general Optuna integration. The worker's CPU time is not the calling process's: it is counted in
:attr:`ExternalSampler.worker_cpu_s`.
"""

from __future__ import annotations

import json
import logging
import math
import os
import subprocess
import tempfile
import threading
import warnings
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO, Any

from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

logger = logging.getLogger(__name__)

_WORKERS = Path(__file__).resolve().parent / "external"
_SETUP = "scripts/setup_external_samplers.sh"
_FINISHED = (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED)


class ExternalOptimizerNotFoundError(FileNotFoundError):
    """The virtual environment of an external optimizer is missing."""


class WorkerError(RuntimeError):
    """A worker died, answered an error, or answered something else than the protocol's response."""


@dataclass(frozen=True)
class ExternalOptimizer:
    """An optimizer that runs in its own virtual environment.

    Attributes:
        name: What the messages call it.
        script: Its worker, run by the environment's python.
        python_variable: The environment variable naming that python.
        default_python: The python used when the variable is not set.
        packages: The distributions whose versions :func:`external_settings` records.
        method: What the worker runs, recorded by :func:`external_settings`.
    """

    name: str
    script: Path
    python_variable: str
    default_python: str
    packages: tuple[str, ...]
    method: Mapping[str, str]

    def python(self) -> str:
        """The environment's python.

        Raises:
            ExternalOptimizerNotFoundError: When it is not a file.
        """
        path = os.environ.get(self.python_variable) or self.default_python
        if not Path(path).is_file():
            raise ExternalOptimizerNotFoundError(
                f"no python for {self.name} at {path!r} (set `{self.python_variable}`, default "
                f"{self.default_python!r}); create the virtual environments with `{_SETUP}` and export the "
                "variables it prints")
        return path


HEBO = ExternalOptimizer(
    "HEBO", _WORKERS / "hebo_worker.py", "GENNES_BO_HEBO_PYTHON", "/work/bench_env/hebo-venv/bin/python",
    ("HEBO", "torch", "numpy", "pymoo"),
    {"defaults": "HEBO(model_name='gp'), MACE by NSGA-II", "initial_design": "1 + d scrambled Sobol points",
     "batch": "suggest(n)", "non_finite": "worst finite loss"})
VIZIER = ExternalOptimizer(
    "Vizier", _WORKERS / "vizier_worker.py", "GENNES_BO_VIZIER_PYTHON", "/work/bench_env/vizier-venv/bin/python",
    ("google-vizier", "jax", "equinox", "numpy"),
    {"defaults": "VizierGPBandit, trials padded to multiples of 10", "initial_design": "the centre of the space",
     "batch": "suggest(n), near-duplicates (max-norm < 0.01 in the unit space) replaced by quasi-random points",
     "non_finite": "infeasible trial"})


class Worker:
    """One worker process, started on the first request; stopped by :meth:`close` or at interpreter exit.

    Its stderr goes to a temporary file (a pipe nobody reads could fill up and block it), whose tail the errors quote.
    """

    def __init__(self, optimizer: ExternalOptimizer) -> None:
        self.optimizer = optimizer
        self._python = optimizer.python()
        self._process: subprocess.Popen[str] | None = None
        self._log: Path | None = None
        self._finalizer: weakref.finalize | None = None

    def request(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Send one request and return the worker's response.

        Raises:
            WorkerError: When the worker has died or answers an error.
        """
        process = self._start() if self._process is None else self._process
        try:
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(json.dumps(payload, allow_nan=False) + "\n")
            process.stdin.flush()
            line = process.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            try:
                code = process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # stdout closed but still running: no answer will come
                process.kill()
                code = process.wait()
            raise WorkerError(f"the {self.optimizer.name} worker ({self._python} {self.optimizer.script.name}) "
                              f"exited with code {code}; its stderr ends with:\n{self.stderr_tail()}")
        try:
            response = json.loads(line)
        except json.JSONDecodeError as error:
            raise WorkerError(f"the {self.optimizer.name} worker answered {line[:200]!r}, not a JSON line") from error
        if "error" in response:
            raise WorkerError(f"the {self.optimizer.name} worker failed: {response['error']}; its stderr ends with:\n"
                              f"{self.stderr_tail()}")
        return response

    def stderr_tail(self, chars: int = 3000) -> str:
        """The last `chars` characters the worker wrote to stderr."""
        if self._log is None or not self._log.exists():
            return ""
        return self._log.read_bytes()[-chars:].decode("utf-8", "replace")

    def close(self) -> None:
        """Stop the worker (it ends when its stdin closes) and remove its stderr file."""
        if self._finalizer is not None:
            self._finalizer()
        self._process = None

    def _start(self) -> subprocess.Popen[str]:
        handle, name = tempfile.mkstemp(prefix=f"{self.optimizer.name.lower()}-worker-", suffix=".log")
        self._log = Path(name)
        # `-E -s`: the environment's own packages only (no PYTHONPATH, no user site), and the script's folder, which
        # holds worker_protocol.py (`-I` would drop it)
        with os.fdopen(handle, "ab") as stderr:
            self._process = subprocess.Popen([self._python, "-E", "-s", str(self.optimizer.script)],
                                             stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE, stderr=stderr, text=True, encoding="utf-8")
        self._finalizer = weakref.finalize(self, _stop, self._process, self._log)
        logger.debug("started the %s worker, pid %d", self.optimizer.name, self._process.pid)
        return self._process


def _stop(process: subprocess.Popen[str], log: Path) -> None:
    for stream in (process.stdin, process.stdout):
        _close_quietly(stream)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.unlink(missing_ok=True)


def _close_quietly(stream: IO[str] | None) -> None:
    try:
        if stream is not None:
            stream.close()
    except OSError:
        pass


class ExternalSampler(BaseSampler):
    """An external optimizer as an Optuna sampler over a fixed search space.

    Each trial takes the next suggestion of a queue. An empty queue is refilled by one request for `batch_size`
    suggestions, with the study's finished trials as the history (complete ones with their values, failed and pruned
    ones as crashed) and the number of trials so far as the step, so that `batch_size` trials asked before any is
    told get distinct points planned together. The optimizer's own initial design starts the study.

    Args:
        search_space: The parameters every trial samples: float and int distributions (log or not, no `step` other
            than 1 for ints) and categorical ones.
        optimizer: :data:`HEBO` or :data:`VIZIER`.
        seed: The study's seed, sent with every request (the worker seeds from it and the step).
        batch_size: The suggestions per request: 1 for sequential studies, the batch for batched ones.
        options: Sent with every request (`rand_sample` for HEBO, `dup_tol` for Vizier).

    Raises:
        ExternalOptimizerNotFoundError: When the optimizer's virtual environment is missing.
        ValueError: For a parameter the worker cannot take, or a `batch_size` below 1.
    """

    def __init__(self, search_space: Mapping[str, BaseDistribution], optimizer: ExternalOptimizer, *, seed: int = 0,
                 batch_size: int = 1, options: Mapping[str, Any] | None = None) -> None:
        if batch_size < 1:
            raise ValueError(f"`batch_size` must be >= 1, got {batch_size}")
        self._space = dict(search_space)
        self._spec = encode_space(self._space)
        self._seed, self._batch_size, self._options = seed, batch_size, dict(options or {})
        self._worker = Worker(optimizer)
        self._queue: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._warned_unbatched = False
        self._independent = RandomSampler(seed=seed)
        self.worker_cpu_s = 0.0
        """The worker's CPU seconds over the study's requests."""
        self.worker_wall_s = 0.0
        """The worker's wall seconds over the study's requests."""

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return dict(self._space)

    def sample_relative(self, study: Study, trial: FrozenTrial,
                        search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        if not search_space:
            return {}
        with self._lock:
            if not self._queue:
                self._queue = self._request(study, trial)
            return decode_params(self._queue.pop(0), self._space)

    def sample_independent(self, study: Study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        return self._independent.sample_independent(study, trial, param_name, param_distribution)

    def reseed_rng(self) -> None:
        self._independent.reseed_rng()

    def close(self) -> None:
        """Stop the worker; a later trial starts a new one."""
        self._worker.close()

    def __enter__(self) -> ExternalSampler:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _request(self, study: Study, trial: FrozenTrial) -> list[dict[str, Any]]:
        if len(study.directions) > 1:
            raise ValueError(f"ExternalSampler optimizes one objective, got {len(study.directions)}")
        trials = study.get_trials(deepcopy=False)
        if self._batch_size == 1 and not self._warned_unbatched and any(
                t.state == TrialState.RUNNING and t.number != trial.number for t in trials):
            self._warned_unbatched = True
            warnings.warn("ExternalSampler with batch_size=1 asked while other trials run: they are not pending for "
                          "the optimizer and may get the same point; pass the batch as `batch_size`", stacklevel=3)
        sign = -1.0 if study.direction == StudyDirection.MAXIMIZE else 1.0
        history = [{"params": encode_params(t.params, self._space), "loss": _loss(t, sign)}
                   for t in trials if t.state in _FINISHED and _in_space(t.params, self._space)]
        response = self._worker.request({"space": self._spec, "history": history, "n_suggestions": self._batch_size,
                                         "seed": self._seed, "step": trial.number, "options": self._options})
        self.worker_cpu_s += float(response.get("cpu_s", 0.0))
        self.worker_wall_s += float(response.get("time_s", 0.0))
        suggestions = response.get("suggestions")
        if not isinstance(suggestions, list) or len(suggestions) != self._batch_size:
            raise WorkerError(f"the {self._worker.optimizer.name} worker answered {response!r}, expected "
                              f"{self._batch_size} suggestions")
        logger.debug("%s: %d suggestions in %.2f s (history %d)", self._worker.optimizer.name, len(suggestions),
                     response.get("time_s", math.nan), len(history))
        return suggestions


def hebo_sampler(seed: int, space: Mapping[str, BaseDistribution], trials: int, *, batch_size: int = 1
                 ) -> ExternalSampler:
    """HEBO (its defaults: GP with input and output warping, MACE acquisition optimized by NSGA-II, 1 + d Sobol
    initial points) for one study; `trials` is unused (HEBO's initial design does not depend on the budget)."""
    return ExternalSampler(space, HEBO, seed=seed, batch_size=batch_size)


def vizier_sampler(seed: int, space: Mapping[str, BaseDistribution], trials: int, *, batch_size: int = 1
                   ) -> ExternalSampler:
    """Vizier's `VizierGPBandit` (its defaults: the centre of the space first, then a GP with UCB in a trust region)
    for one study; `trials` is unused."""
    return ExternalSampler(space, VIZIER, seed=seed, batch_size=batch_size)


def external_settings(optimizer: ExternalOptimizer) -> dict[str, Any]:
    """The versions of the optimizer's packages in its virtual environment (recorded with each run)."""
    return {"optimizer": optimizer.name, **optimizer.method, **_versions(optimizer.python(), optimizer.packages)}


@cache
def _versions(python: str, packages: tuple[str, ...]) -> dict[str, str]:
    code = "import importlib.metadata as m, json, sys; print(json.dumps({p: m.version(p) for p in sys.argv[1:]}))"
    result = subprocess.run([python, "-I", "-c", code, *packages], capture_output=True, text=True, timeout=60)
    if result.returncode:
        raise WorkerError(f"could not read the package versions with {python}: {result.stderr[-1000:]}")
    return json.loads(result.stdout)


# --------------------------------------------------------------------------------------------- the space's JSON
def encode_space(space: Mapping[str, BaseDistribution]) -> dict[str, dict[str, Any]]:
    """The workers' spec of an Optuna search space.

    Returns:
        `{name: {"type": "float" | "int", "low", "high", "log"}}`, or `{"type": "cat", "choices": [labels]}` with one
        distinct string label per choice (`str(choice)`, prefixed by its index when two would be equal).

    Raises:
        ValueError: For a stepped float, an int with a step other than 1, or another distribution.
    """
    spec: dict[str, dict[str, Any]] = {}
    for name, dist in space.items():
        if isinstance(dist, FloatDistribution) and dist.step is None:
            spec[name] = {"type": "float", "low": dist.low, "high": dist.high, "log": dist.log}
        elif isinstance(dist, IntDistribution) and dist.step == 1:
            spec[name] = {"type": "int", "low": dist.low, "high": dist.high, "log": dist.log}
        elif isinstance(dist, CategoricalDistribution):
            spec[name] = {"type": "cat", "choices": _labels(dist)}
        else:
            raise ValueError(f"ExternalSampler cannot map parameter {name!r}: {dist!r} (a stepped float or int)")
    return spec


def encode_params(params: Mapping[str, Any], space: Mapping[str, BaseDistribution]) -> dict[str, Any]:
    """A trial's parameters as the workers' JSON values (categorical choices as their labels)."""
    return {name: _labels(dist)[int(dist.to_internal_repr(params[name]))] if isinstance(dist, CategoricalDistribution)
            else params[name] for name, dist in space.items()}


def decode_params(values: Mapping[str, Any], space: Mapping[str, BaseDistribution]) -> dict[str, Any]:
    """A worker's suggestion as Optuna parameters: the original choice objects, ints, floats clipped to the bounds.

    Raises:
        WorkerError: For a missing parameter or an unknown label.
    """
    params: dict[str, Any] = {}
    for name, dist in space.items():
        if name not in values:
            raise WorkerError(f"a suggestion without parameter {name!r}: {dict(values)!r}")
        value = values[name]
        if isinstance(dist, CategoricalDistribution):
            labels = _labels(dist)
            if value not in labels:
                raise WorkerError(f"parameter {name!r}: the label {value!r} is not one of {labels}")
            params[name] = dist.choices[labels.index(value)]
        else:
            kind = int if isinstance(dist, IntDistribution) else float
            params[name] = min(max(kind(value), dist.low), dist.high)
    return params


def _labels(dist: CategoricalDistribution) -> list[str]:
    labels = [str(choice) for choice in dist.choices]
    return labels if len(set(labels)) == len(labels) else [f"{k}:{label}" for k, label in enumerate(labels)]


def _in_space(params: Mapping[str, Any], space: Mapping[str, BaseDistribution]) -> bool:
    try:
        return all(name in params and dist._contains(dist.to_internal_repr(params[name]))
                   for name, dist in space.items())
    except (TypeError, ValueError):  # a value of another kind than the distribution's
        return False


def _loss(trial: FrozenTrial, sign: float) -> float | None:
    """The value to minimize, or None (crashed) for a failed, pruned or non-finite trial."""
    if trial.state != TrialState.COMPLETE or trial.values is None or not math.isfinite(trial.values[0]):
        return None
    return sign * trial.values[0]
