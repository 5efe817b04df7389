"""SMAC3 behind Optuna's sampler interface, so that `gennes-bo hpo` runs it in the same studies as the others.

No Optuna sampler for SMAC3 is in the package registries (OptunaHub's is fetched from GitHub at run time), so
the benchmark carries this adapter: :class:`SMACSampler` holds SMAC3's `HyperparameterOptimizationFacade` (random
forest, log expected improvement, interleaved random configurations, a Sobol initial design) for a fixed search
space and forwards Optuna's trials to its ask / tell interface. It serves the benchmark's studies (one fixed space,
one process); it is not a general Optuna integration. Needs `pip install "gennes-bo[benchmarks]"`.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState


class SMACSampler(BaseSampler):
    """SMAC3's hyperparameter-optimization facade as an Optuna sampler over a fixed search space.

    Every trial asks SMAC for a configuration (`sample_relative`) and tells it the trial's value when the trial
    ends (`after_trial`). Failed and pruned trials are told as crashed runs at the worst value seen so far (an
    infinite cost would turn SMAC's scaled costs into NaN); those that end before any value is known wait for
    the first one. Several trials may be asked before any is told (batched studies); SMAC then hands out its next
    challengers, without treating the running ones as pending.

    Args:
        search_space: The parameters every trial samples: float and int distributions (log or not, no `step`
            other than 1 for ints) and categorical ones.
        n_trials: The study's trials, SMAC's budget: it sizes SMAC's initial design (a quarter of it, at most 10
            configurations per parameter).
        seed: SMAC's seed (and that of the random sampler for parameters outside `search_space`).
    """

    def __init__(self, search_space: Mapping[str, BaseDistribution], n_trials: int, seed: int = 0) -> None:
        from smac import HyperparameterOptimizationFacade, Scenario

        self._space = dict(search_space)
        self._configspace = _configspace(self._space, seed)
        self._directory = Path(tempfile.mkdtemp(prefix="smac-sampler-"))
        weakref.finalize(self, shutil.rmtree, self._directory, True)
        scenario = Scenario(self._configspace, output_directory=self._directory, deterministic=True,
                            n_trials=n_trials, seed=seed)
        self._smac = HyperparameterOptimizationFacade(scenario, _never_called, overwrite=True, logging_level=False)
        self._asked: dict[int, Any] = {}
        self._worst = -math.inf
        self._crashed_early: list[Any] = []
        self._independent = RandomSampler(seed=seed)

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return dict(self._space)

    def sample_relative(self, study: Study, trial: FrozenTrial,
                        search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        if not search_space:
            return {}
        info = self._smac.ask()
        self._asked[trial.number] = info
        return {name: _from_config(info.config[name], self._space[name]) for name in self._space}

    def sample_independent(self, study: Study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        return self._independent.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study: Study, trial: FrozenTrial, state: TrialState,
                    values: Sequence[float] | None) -> None:
        from smac.runhistory import StatusType, TrialValue

        info = self._asked.pop(trial.number, None)
        if info is None:  # a trial whose parameters SMAC did not choose (e.g. enqueued)
            return
        if not (state == TrialState.COMPLETE and values is not None and math.isfinite(values[0])):
            if self._worst == -math.inf:
                self._crashed_early.append(info)
            else:
                self._smac.tell(info, TrialValue(cost=self._worst, status=StatusType.CRASHED), save=False)
            return
        cost = values[0] if study.direction == StudyDirection.MINIMIZE else -values[0]
        self._worst = max(self._worst, cost)
        self._smac.tell(info, TrialValue(cost=cost), save=False)
        for early in self._crashed_early:
            self._smac.tell(early, TrialValue(cost=self._worst, status=StatusType.CRASHED), save=False)
        self._crashed_early.clear()


def smac_settings() -> dict[str, Any]:
    """What the benchmark's `smac` sampler resolves to (recorded with each run)."""
    from importlib.metadata import version

    return {"facade": "HyperparameterOptimizationFacade", "smac": version("smac"), "deterministic": True,
            "initial_design": "SMAC's default for the budget (Sobol, a quarter of n_trials at most)"}


def _never_called(config: Any, seed: int = 0) -> float:
    raise AssertionError("SMACSampler drives SMAC through ask / tell; the target function is never run")


def _configspace(space: Mapping[str, BaseDistribution], seed: int) -> Any:
    from ConfigSpace import (
        CategoricalHyperparameter,
        ConfigurationSpace,
        UniformFloatHyperparameter,
        UniformIntegerHyperparameter,
    )

    configspace = ConfigurationSpace(seed=seed)
    for name, dist in space.items():
        if isinstance(dist, FloatDistribution) and dist.step is None:
            parameter = UniformFloatHyperparameter(name, dist.low, dist.high, log=dist.log)
        elif isinstance(dist, IntDistribution) and dist.step == 1:
            parameter = UniformIntegerHyperparameter(name, dist.low, dist.high, log=dist.log)
        elif isinstance(dist, CategoricalDistribution):  # choices by index: ConfigSpace needs hashable names
            parameter = CategoricalHyperparameter(name, [str(k) for k in range(len(dist.choices))])
        else:
            raise ValueError(f"SMACSampler cannot map parameter {name!r}: {dist!r} (a stepped float or int)")
        configspace.add(parameter)
    return configspace


def _from_config(value: Any, dist: BaseDistribution) -> Any:
    if isinstance(dist, CategoricalDistribution):
        return dist.choices[int(value)]
    return int(value) if isinstance(dist, IntDistribution) else float(value)
