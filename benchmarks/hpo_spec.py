"""The grid of `gennes-bo hpo`: its samplers, modes and constants, which the command (`hpo`) and its report
(`hpo_report`) share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

TRIALS = 40
CHECKPOINTS = (20, 40)
BATCH = 8
SEEDS = 5
MODES = {"sequential": 1, "batch8": BATCH}
BATCH_TASKS = ("svr-diabetes", "rf-breast-cancer", "mlp-wine")
BOTORCH_ACQF = {"num_restarts": 20, "raw_samples": 1024}  # the project's `botorch-default`


@dataclass(frozen=True)
class SamplerEntry:
    """A sampler of the benchmark: how to build it for a seed, and what it resolves to (recorded with each run).

    Attributes:
        make: `seed -> optuna sampler`, or `(seed, search space, trials) -> optuna sampler` with `needs_space`.
        description: One line for the report.
        settings: `() -> JSON value`, checked against the records' settings on resume.
        needs_space: The sampler is built for the task's search space and the study's trials (SMAC3).
    """

    make: Callable[..., Any]
    description: str
    settings: Callable[[], Any] = field(default=lambda: None)
    needs_space: bool = False

    def build(self, seed: int, space: Mapping[str, Any], trials: int) -> Any:
        """The sampler for one study."""
        return self.make(seed, space, trials) if self.needs_space else self.make(seed)


def _random(seed: int) -> Any:
    import optuna

    return optuna.samplers.RandomSampler(seed=seed)


def _tpe(seed: int) -> Any:
    import optuna

    return optuna.samplers.TPESampler(seed=seed)


def _gp(seed: int) -> Any:
    import optuna

    return optuna.samplers.GPSampler(seed=seed)


def _botorch(seed: int) -> Any:
    from optuna_integration import BoTorchSampler

    return BoTorchSampler(seed=seed)


def _smac(seed: int, space: Mapping[str, Any], trials: int) -> Any:
    from benchmarks.hpo_smac import SMACSampler

    return SMACSampler(space, trials, seed=seed)


def _smac_settings() -> dict[str, Any]:
    from benchmarks.hpo_smac import smac_settings

    return smac_settings()


def _gennes(seed: int, *, lbfgs: bool = False, warm_start_gp: bool = True, warp_outputs: bool = True,
            avoid_repeats: bool = True) -> Any:
    """GennesSampler as the grid runs it; the switches set its surrogate's and acquisition's defaults off for the
    ablations, and `lbfgs` swaps `optimize_acqf_gennes` for BoTorch's `optimize_acqf`."""
    from gennes_bo.integrations.optuna import GennesSampler, SamplerAcquisition
    from gennes_bo.models import GPSurrogate

    optimizer = None
    if lbfgs:
        from botorch.optim import optimize_acqf

        optimizer = partial(optimize_acqf, **BOTORCH_ACQF)
    return GennesSampler(seed=seed, warn_independent_sampling=False,
                         surrogate=GPSurrogate(warp_outputs=warp_outputs, warm_start=warm_start_gp),
                         acquisition=SamplerAcquisition(optimizer=optimizer, avoid_repeats=avoid_repeats))


def _gennes_settings(avoid_repeats: bool = True, warp_outputs: bool = True, warm_start_gp: bool = True
                     ) -> dict[str, Any]:
    from gennes_bo.compare.registry import AcqfTask, get_acqf_optimizer

    return {"acqf_optimizer": "optimize_acqf_gennes", **get_acqf_optimizer("gennes-hybrid").resolved_settings(
        AcqfTask(q=1)), "avoid_repeats": avoid_repeats, "warp_outputs": warp_outputs,
        **_gp_fit_settings(warm_start_gp)}


def _gp_fit_settings(warm_start_gp: bool) -> dict[str, Any]:
    from gennes_bo.models import REFIT_EVERY, WARM_FIT_FTOL

    return {"warm_start_gp": warm_start_gp,
            **({"gp_fit_ftol": WARM_FIT_FTOL, "refit_every": REFIT_EVERY} if warm_start_gp else {})}


def _gp_settings() -> dict[str, Any]:
    import importlib.util

    # Without greenlet, GPSampler falls back to a sequential L-BFGS-B, slower per trial.
    return {"batched_lbfgsb": importlib.util.find_spec("greenlet") is not None}


SAMPLERS: dict[str, SamplerEntry] = {
    "random": SamplerEntry(_random, "Optuna's RandomSampler"),
    "tpe": SamplerEntry(_tpe, "Optuna's TPESampler (defaults: independent TPE, 10 startup trials)"),
    "gp": SamplerEntry(_gp, "Optuna's GPSampler (defaults; its batched L-BFGS-B needs `greenlet`)", _gp_settings),
    "botorch": SamplerEntry(_botorch, "optuna-integration's BoTorchSampler (defaults: qLogEI, running trials not "
                                      "considered)"),
    "smac": SamplerEntry(_smac, "SMAC3's HyperparameterOptimizationFacade (random forest, log EI, random "
                                "configurations interleaved, Sobol initial design of 10 at 40 trials; running trials "
                                "not considered), through the benchmark's Optuna adapter", _smac_settings,
                         needs_space=True),
    "gennes": SamplerEntry(_gennes, "ours: GennesSampler (its defaults: GP fits warm-started, outputs warped, qLogNEI, "
                                    "optimize_acqf_gennes, discrete local search, no repeated configuration, running "
                                    "trials pending)",
                           _gennes_settings),
    "gennes-coldfit": SamplerEntry(
        partial(_gennes, warm_start_gp=False),
        "ablation: GennesSampler with warm_start_gp=False (each GP fitted from BoTorch's initial values, to its "
        "default tolerance)",
        lambda: _gennes_settings(warm_start_gp=False)),
    "gennes-nowarp": SamplerEntry(
        partial(_gennes, warm_start_gp=False, warp_outputs=False),
        "ablation: GennesSampler with warm_start_gp=False and warp_outputs=False (the GP fitted to the standardized "
        "values)",
        lambda: _gennes_settings(warp_outputs=False, warm_start_gp=False)),
    "gennes-lbfgs": SamplerEntry(
        partial(_gennes, lbfgs=True, warm_start_gp=False, warp_outputs=False),
        "ablation: GennesSampler with warm_start_gp=False, warp_outputs=False and BoTorch's optimize_acqf (20 "
        "restarts, 1024 raw samples)",
        lambda: {"acqf_optimizer": "optimize_acqf", **BOTORCH_ACQF, "avoid_repeats": True, "warp_outputs": False,
                 **_gp_fit_settings(False)}),
    "gennes-repeats": SamplerEntry(
        partial(_gennes, warm_start_gp=False, warp_outputs=False, avoid_repeats=False),
        "ablation: GennesSampler with warm_start_gp=False, warp_outputs=False and avoid_repeats=False (it may suggest "
        "a completed trial's parameters again)",
        lambda: _gennes_settings(avoid_repeats=False, warp_outputs=False, warm_start_gp=False)),
}
TARGET = "gennes"
