"""Three levers of issue 16 at the acquisition level: larger generator populations, several slots from one trained
generator, and early stopping of greedy steps; each against `optimize_acqf_gennes`'s default greedy q-batch.

Variants (every one keeps the default's greedy scheme, rescreen and final joint polish; only the steps change):

- `default`: `optimize_acqf_gennes(acq, bounds, q, seed=seed)`.
- `generators xG`: each greedy step trains G = q / 8 times as many generators (`gennes_n_generators`; the
  default is 4: G = 2 at q = 16, 4 at q = 32).
- `population xG`: each generator draws G times as many samples per step (`gennes_population_size`).
- `slots k`: one full step (GENNES stage and polish) fills k slots: the next k - 1 steps take the best point,
  with the chosen points pending, of a pool of that step's starts, polished candidates and the trained
  generators' samples of its last training step (no training, no polish).
- `early stop t`: once a full step's point adds less than t times what the first step's point added to the
  batch's expected improvement (qLogNEI is incremental: a step's value is the log of that addition), every
  later step takes its best screened start as it is.

On `bo-batch`'s middle-iteration stand-in GP of each problem (as `bo-batch --estimate` builds it) and each seed,
prints each variant's qLogNEI on the optimizer's 128 samples and on 2048 fresh Sobol samples (another seed), and
its process CPU seconds (one thread), then W/T/L against the default (tie: 1e-3 relative) and the median time
ratio, on both values; with `--botorch`, `optimize_acqf`'s joint default (`bo-batch`'s `botorch-default`) too.

    PYTHONPATH=. python scripts/greedy_levers_probe.py [--q 16] [--seeds 2] [--problems hartmann6 ...] [--botorch]
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import partial

import torch
from botorch.acquisition.logei import qLogNoisyExpectedImprovement
from botorch.sampling import SobolQMCNormalSampler
from probe_common import stand_in_acquisition, stand_in_arguments, summarize

import gennes_bo.acquisition.gen_candidates as gen_candidates_module
import gennes_bo.acquisition.optimize as optimize_module
from gennes_bo import optimize_acqf_gennes
from gennes_bo.acquisition.options import default_acqf_config
from gennes_bo.compare.bo_loop import warm_up
from gennes_bo.compare.registry import AcqfTask, get_acqf_optimizer, run_acqf_optimizer

FRESH_SAMPLES, FRESH_SEED = 2048, 11
STEP_CONFIG = default_acqf_config(1)  # what each greedy step's GENNES stage runs by default
SLOTS = (2, 4)
TOLERANCES = (1e-2, 1e-3)

_full_step = gen_candidates_module.gen_candidates_gennes
_gennes_maximize = gen_candidates_module.gennes_maximize


class _StepLever:
    """A greedy step's `gen_candidates` that runs the full step or a cheap one, by the lever's rule.

    BoTorch's sequential loop sets the chosen points pending before every step after the first; counting those
    calls gives the step. qLogNEI is incremental (BoTorch's default): a step's value is the log of what its point
    adds to the batch's expected improvement."""

    def __init__(self, slots: int = 1, tolerance: float | None = None) -> None:
        self.slots, self.tolerance = slots, tolerance
        self.step = 0
        self.first_value: float | None = None
        self.stopped = False
        self.pool: torch.Tensor | None = None
        self.last_samples: torch.Tensor | None = None

    def capture(self, objective: Callable, *args, **kwargs):
        """`gennes_maximize` whose objective remembers the samples of its last training step."""

        def recording(points: torch.Tensor) -> torch.Tensor:
            self.last_samples = points.detach()
            return objective(points)

        return _gennes_maximize(recording, *args, **kwargs)

    def __call__(self, initial_conditions: torch.Tensor, acquisition_function, *args, **kwargs):
        if self.stopped or self.step % self.slots:
            # early stop: the step's screened starts; slots: also the last full step's pool
            pool = initial_conditions if self.stopped else torch.cat([self.pool, initial_conditions])
            with torch.no_grad():
                values = acquisition_function(pool)
            top = values.topk(min(initial_conditions.shape[0], len(values))).indices
            return pool[top], values[top]
        candidates, values = _full_step(initial_conditions, acquisition_function, *args, **kwargs)
        samples = self.last_samples.reshape(-1, 1, initial_conditions.shape[-1])
        self.pool = torch.cat([initial_conditions, candidates, samples.to(candidates)])
        value = float(values.max())
        if self.first_value is None:
            self.first_value = value
        elif self.tolerance is not None and value - self.first_value < math.log(self.tolerance):
            self.stopped = True
        return candidates, values


def run_lever(acq_function, bounds, seed: int | None, q: int, slots: int = 1,
              tolerance: float | None = None) -> torch.Tensor:
    """`optimize_acqf_gennes`'s default q-batch with the greedy steps of a :class:`_StepLever` (`seed=None`: the
    global RNG, as `gennes-hybrid` in a BO loop)."""
    lever = _StepLever(slots, tolerance)
    set_pending = acq_function.set_X_pending

    def counting(X_pending=None):
        lever.step += 1
        set_pending(X_pending)

    acq_function.set_X_pending = counting
    gen_candidates_module.gennes_maximize = lever.capture
    optimize_module.gen_candidates_gennes = lever
    try:
        candidates, _ = optimize_acqf_gennes(acq_function, bounds, q, seed=seed)
    finally:
        del acq_function.set_X_pending
        gen_candidates_module.gennes_maximize = _gennes_maximize
        optimize_module.gen_candidates_gennes = _full_step
    return candidates


def _bo_variant(acq_function, bounds, q: int, **lever) -> tuple[torch.Tensor, torch.Tensor]:
    candidates = run_lever(acq_function, bounds, None, q, **lever)
    with torch.no_grad():
        return candidates, acq_function(candidates.unsqueeze(0)).reshape(())


def slots4(acq_function, bounds, q: int, **_botorch_defaults) -> tuple[torch.Tensor, torch.Tensor]:
    """The `slots 4` variant for `gennes-bo bo-batch --optimizers greedy_levers_probe:slots4` (with `scripts` on
    `PYTHONPATH`): an import path is called with `optimize_acqf`'s default restarts, which this ignores, keeping
    `gennes-hybrid`'s, as its other settings."""
    return _bo_variant(acq_function, bounds, q, slots=4)


def early_stop_1e2(acq_function, bounds, q: int, **_botorch_defaults) -> tuple[torch.Tensor, torch.Tensor]:
    """The `early stop 0.01` variant for `bo-batch` (as :func:`slots4`)."""
    return _bo_variant(acq_function, bounds, q, tolerance=1e-2)


def main() -> None:
    args = stand_in_arguments(__doc__.splitlines()[0])
    q = args.q
    growth = max(1, q // 8)
    warm_up("gennes-hybrid", "qlognei", q)
    botorch_default = get_acqf_optimizer("botorch-default").make(AcqfTask(q=q))
    variants: dict[str, Callable] = {
        "default": lambda acq, bounds, seed: optimize_acqf_gennes(acq, bounds, q, seed=seed)[0],
        f"generators x{growth}": lambda acq, bounds, seed: optimize_acqf_gennes(
            acq, bounds, q, seed=seed, options={"gennes_n_generators": STEP_CONFIG.n_generators * growth})[0],
        f"population x{growth}": lambda acq, bounds, seed: optimize_acqf_gennes(
            acq, bounds, q, seed=seed, options={"gennes_population_size": STEP_CONFIG.population_size * growth})[0],
        **{f"slots {k}": partial(run_lever, q=q, slots=k) for k in SLOTS},
        **{f"early stop {t:g}": partial(run_lever, q=q, tolerance=t) for t in TOLERANCES},
    }
    if args.botorch:
        variants["botorch-default"] = lambda acq, bounds, seed: run_acqf_optimizer(
            botorch_default, acq, bounds, q, seed).candidates
    own_rows, fresh_rows = [], []
    print(f"q = {q}; per variant: qLogNEI own samples / fresh samples / CPU s", flush=True)
    print(f"{'problem':14s} {'seed':>4s} " + "  ".join(f"{name:>26s}" for name in variants), flush=True)
    for name in args.problems:
        for seed in range(args.seeds):
            acq_function, bounds = stand_in_acquisition(name, seed, q)
            fresh = qLogNoisyExpectedImprovement(
                acq_function.model, acq_function.X_baseline, prune_baseline=False,
                sampler=SobolQMCNormalSampler(torch.Size([FRESH_SAMPLES]), seed=FRESH_SEED))
            own_row, fresh_row = [], []
            for make in variants.values():
                start = time.process_time()
                candidates = make(acq_function, bounds, seed)
                seconds = time.process_time() - start
                with torch.no_grad():
                    own_row.append((float(acq_function(candidates.unsqueeze(0))), seconds))
                    fresh_row.append((float(fresh(candidates.unsqueeze(0))), seconds))
            own_rows.append(own_row)
            fresh_rows.append(fresh_row)
            cells = (f"{own[0]:8.4g} {other[0]:8.4g} {own[1]:6.2f} s"
                     for own, other in zip(own_row, fresh_row, strict=True))
            print(f"{name:14s} {seed:4d} " + "  ".join(cells), flush=True)
    for label, rows in (("own samples", own_rows), ("fresh samples", fresh_rows)):
        print(f"-- qLogNEI on {label}")
        summarize(rows, list(variants))


if __name__ == "__main__":
    main()
