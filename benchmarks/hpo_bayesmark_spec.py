"""The grid of `gennes-bo hpo-bayesmark`: protocols, samplers and splits, shared by the command and its report.

Two protocols on bayesmark's scikit-learn problems (`benchmarks.bayesmark_problems`): **sequential**, 60 trials
(ask, evaluate, tell), read at 20, 40 and 60; and the NeurIPS 2020 challenge's **batch** protocol, shortened to
8 rounds of 8 (ask 8, evaluate 8, tell 8), read after 2, 4 and 8 rounds. Every sampler runs with its defaults;
TPE is multivariate, with `constant_liar` in the batch protocol. Problems are split into dev and test by a hash of
their name (`bayesmark_problems.split_of`): the sampler's defaults are chosen on dev (with the six tasks of
`gennes-bo hpo` as extra dev problems), test runs once per change of defaults, after the settings are committed,
and the README quotes test only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PROTOCOLS = {"sequential": {"batch": 1, "trials": 60, "checkpoints": (20, 40, 60)},
             "batch8": {"batch": 8, "trials": 64, "checkpoints": (16, 32, 64)}}
SEEDS = {"dev": 10, "test": 5}
TARGET = "gennes"
DEV_DEFAULT = "gennes-refit5"  # the dev runs of today's defaults (`TARGET`'s dev records predate refit_every=5)
BASELINES = ("tpe", "gp")  # the acceptance's paired comparisons
DEFAULT_OUT = "results/hpo_bayesmark.jsonl"
DEFAULT_REPORT = "docs/results/hpo_bayesmark.md"


@dataclass(frozen=True)
class Sampler:
    """A sampler of the grid.

    Attributes:
        description: One line for the report.
        seeds: Seeds per problem where fewer than the split's (None: the split's); the expensive external samplers
            run on a subset of seeds.
        lever: For a dev lever, GennesSampler's argument that it changes from the defaults and that argument's
            fields (`("surrogate", {...})` for `GPSurrogate`, `("acquisition", {...})` for `SamplerAcquisition`).
    """

    description: str
    seeds: int | None = None
    lever: tuple[str, dict[str, Any]] | None = None


SAMPLERS: dict[str, Sampler] = {
    "random": Sampler("Optuna's RandomSampler"),
    "tpe": Sampler("Optuna's TPESampler, multivariate (constant_liar=True in the batch protocol)"),
    "gp": Sampler("Optuna's GPSampler (defaults)"),
    "botorch": Sampler("optuna-integration's BoTorchSampler (defaults)"),
    "smac": Sampler("SMAC3's HyperparameterOptimizationFacade through the benchmark's Optuna adapter"),
    TARGET: Sampler("ours: GennesSampler with its defaults (the dev records predate refit_every=5: today's default "
                    "is gennes-refit5 there)"),
    "gennes-iwarp": Sampler("dev lever: GennesSampler whose GP warps its inputs (GPSurrogate(input_warping=True), a "
                            "Kumaraswamy CDF per parameter, as HEBO does)",
                            lever=("surrogate", {"input_warping": True})),
    "gennes-logei": Sampler("dev lever: GennesSampler with analytic LogEI where a trial has no pending points, "
                            "constraints or second objective (SamplerAcquisition(analytic=True))",
                            lever=("acquisition", {"analytic": True})),
    "gennes-refit3": Sampler("dev lever: GennesSampler whose GP fits its hyperparameters on every third trial and "
                             "reuses them in between (GPSurrogate(refit_every=3))",
                             lever=("surrogate", {"refit_every": 3})),
    "gennes-refit5": Sampler("dev lever: as gennes-refit3, fitting on every fifth trial (GPSurrogate(refit_every=5))",
                             lever=("surrogate", {"refit_every": 5})),
    "gennes-gamma": Sampler("dev lever: GennesSampler whose GP has BoTorch's priors before 0.12 (Matern-5/2, Gamma "
                            "lengthscale, outputscale and noise priors; GPSurrogate(priors='gamma'))",
                            lever=("surrogate", {"priors": "gamma"})),
    "hebo": Sampler("HEBO 0.3.6 (the 2020 challenge's winner) in its own virtual environment", seeds=3),
    "vizier": Sampler("Google Vizier's GP bandit (0.1.24) in its own virtual environment", seeds=3),
}


# Dev levers: GennesSampler with one of its defaults changed (name -> `Sampler.lever`). They run on dev only, unless
# named (`default_samplers`).
DEV_LEVERS = {name: sampler.lever for name, sampler in SAMPLERS.items() if sampler.lever is not None}


def default_samplers(split: str) -> list[str]:
    """The samplers a split runs when none are named: all on dev, all but the dev levers on test."""
    return [name for name in SAMPLERS if split == "dev" or name not in DEV_LEVERS]


def grid_runs(split: str, problems: Sequence[str] | None = None, samplers: Sequence[str] | None = None,
              protocols: Sequence[str] | None = None, seeds: int | None = None) -> list[tuple[str, int, str, str]]:
    """The runs of a split as `(protocol, seed, problem, sampler)`: each protocol in turn, seed-major within it; a
    sampler with fewer seeds of its own (`Sampler.seeds`) runs on those only. The command's specs and the report's
    count of the test grid both come from here.

    Args:
        split: `"dev"` or `"test"`.
        problems: Problem names (default all of the split's).
        samplers: Names of `SAMPLERS` (default the split's: `default_samplers`).
        protocols: Names of `PROTOCOLS` (default both).
        seeds: Seeds per problem (default the split's).
    """
    from benchmarks.bayesmark_problems import DEV_PROBLEMS, TEST_PROBLEMS

    names = problems or (DEV_PROBLEMS if split == "dev" else TEST_PROBLEMS)
    n_seeds = seeds or SEEDS[split]
    return [(protocol, seed, problem, sampler)
            for protocol in protocols or PROTOCOLS for seed in range(n_seeds) for problem in names
            for sampler in samplers or default_samplers(split)
            if seed < (SAMPLERS[sampler].seeds or n_seeds)]


def _lever_arguments(name: str) -> dict[str, Any]:
    """GennesSampler's keyword argument that dev lever `name` sets: `{"surrogate": GPSurrogate(...)}` or
    `{"acquisition": SamplerAcquisition(...)}`."""
    from gennes_bo.integrations.optuna import SamplerAcquisition
    from gennes_bo.models import GPSurrogate

    argument, fields = DEV_LEVERS[name]
    return {argument: (GPSurrogate if argument == "surrogate" else SamplerAcquisition)(**fields)}


def make_sampler(name: str, seed: int, space: Mapping[str, Any], trials: int, batch: int) -> Any:
    """The Optuna sampler `name` for one study of `space` with `trials` trials asked `batch` at a time."""
    import optuna

    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, constant_liar=batch > 1)
    if name in ("hebo", "vizier"):
        from benchmarks import hpo_external

        factory = hpo_external.hebo_sampler if name == "hebo" else hpo_external.vizier_sampler
        return factory(seed, space, trials, batch_size=batch)
    if name in DEV_LEVERS:
        from gennes_bo.integrations.optuna import GennesSampler

        return GennesSampler(seed=seed, warn_independent_sampling=False, **_lever_arguments(name))
    from benchmarks.hpo_spec import SAMPLERS as HPO_SAMPLERS

    return HPO_SAMPLERS[name].build(seed, space, trials)


def sampler_settings(name: str) -> Any:
    """What the sampler resolves to, recorded with each run."""
    from benchmarks.hpo_spec import SAMPLERS as HPO_SAMPLERS

    if name == "tpe":
        return {"multivariate": True, "constant_liar": "in the batch protocol"}
    if name in DEV_LEVERS:
        return {**HPO_SAMPLERS[TARGET].settings(),
                **{argument: value.to_dict() for argument, value in _lever_arguments(name).items()}}
    if name in ("hebo", "vizier"):
        from benchmarks import hpo_external

        return hpo_external.external_settings(hpo_external.HEBO if name == "hebo" else hpo_external.VIZIER)
    return HPO_SAMPLERS[name].settings() if name in HPO_SAMPLERS else None
