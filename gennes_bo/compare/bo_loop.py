"""A compact BoTorch BO loop with a pluggable acquisition optimizer (`gennes-bo demo`, the frozen states of
`gennes-bo compare-acqf`, and the repository's BO experiments)."""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from botorch.acquisition import (
    AcquisitionFunction,
    ExpectedImprovement,
    LogExpectedImprovement,
    qExpectedImprovement,
    qLogExpectedImprovement,
    qLogNoisyExpectedImprovement,
    qMaxValueEntropy,
    qUpperConfidenceBound,
)
from botorch.exceptions.warnings import NumericsWarning
from botorch.models import SingleTaskGP
from botorch.models.model import Model
from botorch.sampling import SobolQMCNormalSampler
from botorch.utils.sampling import draw_sobol_samples, manual_seed
from torch import Tensor
from tqdm.auto import tqdm

from gennes_bo.compare.registry import AcqfOptimizer, AcqfTask, get_acqf_optimizer, run_acqf_optimizer
from gennes_bo.models import fit_gp

ACQUISITIONS = ("logei", "ei")
BATCH_ACQUISITIONS = ("qlognei", "qucb", "qmes")  # Monte-Carlo or entropy acquisitions of the BO loops
MES_CANDIDATES = 1000  # Sobol points on which qMES samples the maximum value (seeded per iteration)
MES_MAX_VALUES = 10  # maximum values sampled by qMES (BoTorch's default)
UCB_BETA = 2.0  # qUCB's fixed exploration weight: mean + sqrt(beta * pi / 2) * E|Y - mean| (BoTorch's qUCB)
MC_SAMPLES = 128  # Sobol base samples of every Monte-Carlo acquisition


@dataclass
class BOTrace:
    """Result of :func:`run_bo_loop` (maximization of the objective).

    Attributes:
        X: `n x d` evaluated points.
        Y: `n` objective values.
        best_x: `d` best point found.
        best_y: Best objective value.
        best_so_far: Best value after each evaluation (initial design included).
        n_acqf_evals: Acquisition points evaluated by the optimizer, per BO iteration.
        acqf_time: Seconds in the acquisition optimizer, per BO iteration.
        acqf_cpu_time: CPU seconds of this process in the acquisition optimizer, per BO iteration.
        acqf_value: Acquisition value of the chosen candidates, per BO iteration.
        fit_time: Seconds fitting the GP, per BO iteration.
        noiseless_Y: `n` objective values without observation noise (equal to `Y` when `noise_std` is 0).
    """

    X: Tensor
    Y: Tensor
    best_x: Tensor
    best_y: float
    best_so_far: list[float] = field(default_factory=list)
    n_acqf_evals: list[int] = field(default_factory=list)
    acqf_time: list[float] = field(default_factory=list)
    acqf_cpu_time: list[float] = field(default_factory=list)
    acqf_value: list[float] = field(default_factory=list)
    fit_time: list[float] = field(default_factory=list)
    noiseless_Y: Tensor | None = None


def gennes_acqf_optimizer() -> AcqfOptimizer:
    """`optimize_acqf_gennes` with its defaults (the recommended restarts and GENNES settings for q)."""
    return get_acqf_optimizer("gennes-hybrid").make()


def botorch_acqf_optimizer() -> AcqfOptimizer:
    """BoTorch's `optimize_acqf` (multi-start L-BFGS-B) with 20 restarts and 1024 raw samples."""
    return get_acqf_optimizer("botorch-default").make()


def build_acquisition(model: SingleTaskGP, best_f: Tensor | float, acquisition: str, q: int,
                      seed: int = 0, *, X_baseline: Tensor | None = None, beta: float = UCB_BETA,
                      bounds: Tensor | None = None) -> AcquisitionFunction:
    """The acquisition of `model`: EI or LogEI above `best_f` (analytic for q = 1, Monte-Carlo for q > 1), or the
    batch acquisitions qLogNEI and qUCB (Monte-Carlo for every q); Monte-Carlo ones use 128 seeded Sobol samples.

    Args:
        model: The fitted GP.
        best_f: Incumbent value (maximization; EI and LogEI only).
        acquisition: `"logei"` (LogEI / qLogEI), `"ei"` (EI / qEI, the paper's), `"qlognei"`
            (`qLogNoisyExpectedImprovement` over `X_baseline`, baseline pruned), `"qmes"` (`qMaxValueEntropy`, the
            maximum value sampled on `MES_CANDIDATES` Sobol points of `bounds`) or `"qucb"`
            (`qUpperConfidenceBound` with `beta`).
        q: Candidates per iteration.
        seed: Seed of the Monte-Carlo base samples.
        X_baseline: `n x d` points evaluated so far; required by `"qlognei"`.
        beta: qUCB's exploration weight.
        bounds: `2 x d` search box; required by `"qmes"`.

    Raises:
        ValueError: For an unknown `acquisition`, or `"qlognei"` without `X_baseline`.
    """
    if acquisition not in ACQUISITIONS + BATCH_ACQUISITIONS:
        raise ValueError(f"`acquisition` must be one of {ACQUISITIONS + BATCH_ACQUISITIONS}, got {acquisition!r}")
    sampler = SobolQMCNormalSampler(sample_shape=torch.Size([MC_SAMPLES]), seed=seed)
    if acquisition == "qlognei":
        if X_baseline is None:
            raise ValueError("`X_baseline` (the evaluated points) is required for acquisition 'qlognei'")
        # Pruning the baseline draws its own posterior samples: seeded too, or the same seed gives another acquisition.
        with warnings.catch_warnings(), manual_seed(seed):
            warnings.simplefilter("ignore")  # pruning the baseline may warn about near-duplicate points
            return qLogNoisyExpectedImprovement(model, X_baseline, sampler=sampler, prune_baseline=True)
    if acquisition == "qucb":
        return qUpperConfidenceBound(model, beta=beta, sampler=sampler)
    if acquisition == "qmes":
        if bounds is None:
            raise ValueError("`bounds` are required for acquisition 'qmes' (its candidate set is drawn in them)")
        candidates = draw_sobol_samples(bounds, n=MES_CANDIDATES, q=1, seed=seed).squeeze(1)
        with manual_seed(seed):  # the maximum values are sampled at construction
            return qMaxValueEntropy(model, candidates, num_mv_samples=MES_MAX_VALUES)
    if q == 1:
        analytic = LogExpectedImprovement if acquisition == "logei" else ExpectedImprovement
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NumericsWarning)  # legacy EI is what the paper used, on purpose
            return analytic(model, best_f=best_f)
    batch = qLogExpectedImprovement if acquisition == "logei" else qExpectedImprovement
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NumericsWarning)
        return batch(model, best_f=best_f, sampler=sampler)


@functools.cache
def warm_up(optimizer: str, acquisition: str, q: int, device: str = "cpu") -> None:
    """Run the optimizer once in this process, untimed, on a tiny GP (d = 2, 3 points) on `device`, so that no timed
    run pays one-time costs: GENNES's first `torch.optim.Adam` imports `torch._dynamo` (~2.5 s), the first CMA-ES
    call imports pycma (~2 s), the first CUDA call initializes its context and kernels. Cached: once per process and
    `(optimizer, acquisition, q, device)`."""
    X = torch.tensor([[0.2, 0.3], [0.5, 0.9], [0.8, 0.1]], dtype=torch.float64, device=device)
    model = SingleTaskGP(X, torch.sin(6 * X).sum(-1, keepdim=True)).eval()
    bounds = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64, device=device)
    acq_function = build_acquisition(model, model.train_targets.max(), acquisition, q, X_baseline=X, bounds=bounds)
    optimizer_of_task = get_acqf_optimizer(optimizer).make(AcqfTask(q=q, paper_starts=2, paper_iterations=2))
    run_acqf_optimizer(optimizer_of_task, acq_function, bounds, q, seed=0)


def run_bo_loop(
    objective: Callable[[Tensor], Tensor],
    bounds: Tensor,
    acqf_optimizer: AcqfOptimizer,
    *,
    n_init: int = 10,
    n_iterations: int = 10,
    q: int = 1,
    acquisition: str = "logei",
    seed: int = 0,
    X_init: Tensor | None = None,
    noise_std: float = 0.0,
    beta: float = UCB_BETA,
    callback: Callable[[int, SingleTaskGP, AcquisitionFunction], None] | None = None,
    fit_model: Callable[[Tensor, Tensor, Tensor], Model] = fit_gp,
    progress: bool = False,
    desc: str = "BO",
) -> BOTrace:
    """Maximize `objective` by BO: SingleTaskGP (default priors, normalized inputs, standardized outputs), (q)LogEI,
    (q)EI, qLogNEI or qUCB, and the acquisition optimizer given.

    Args:
        objective: Maps `n x d` points to `n` values (to maximize).
        bounds: `2 x d` search box.
        acqf_optimizer: `(acq_function, bounds, q) -> (candidates q x d, values)`, randomness from torch's global
            RNG (see :func:`~gennes_bo.compare.registry.get_acqf_optimizer`).
        n_init: Uniformly random initial points (seeded); ignored when `X_init` is given.
        n_iterations: BO iterations.
        q: Candidates per iteration.
        acquisition: `"logei"`, `"ei"`, `"qlognei"`, `"qucb"` or `"qmes"` (see :func:`build_acquisition`).
        seed: Seed of the initial design, of the Monte-Carlo samples, of the observation noise and of the optimizer.
        X_init: `n x d` initial design to evaluate instead of `n_init` uniform points.
        noise_std: Standard deviation of Gaussian noise added to every observed value (the GP sees noisy values;
            `noiseless_Y` of the result keeps the true ones).
        beta: qUCB's exploration weight.
        callback: Called as `callback(iteration, model, acq_function)` before each acquisition optimization
            (e.g. to save the GP state).
        fit_model: `(X n x d, Y n, bounds) -> fitted model`, refitted every iteration (default :func:`fit_gp`; e.g.
            a `MixedSingleTaskGP` for categorical dimensions).
        progress: Show a tqdm bar.
        desc: Progress-bar label.
    """
    if noise_std < 0:
        raise ValueError(f"`noise_std` must be >= 0, got {noise_std}")
    d = bounds.shape[1]
    if X_init is None:
        rng = torch.Generator().manual_seed(seed)
        X = bounds[0] + (bounds[1] - bounds[0]) * torch.rand(n_init, d, generator=rng, dtype=bounds.dtype).to(bounds)
    else:
        X = X_init.to(bounds)
    # A stream of its own (not the initial design's): the same noise on a seed's initial design for every optimizer.
    noise_rng = torch.Generator().manual_seed(seed ^ 0x6E6F697365)

    def observe(values: Tensor) -> Tensor:
        if noise_std == 0:
            return values
        return values + noise_std * torch.randn(len(values), generator=noise_rng, dtype=values.dtype).to(values)

    noiseless = objective(X)
    Y = observe(noiseless)
    trace = BOTrace(X=X, Y=Y, best_x=X[Y.argmax()], best_y=float(Y.max()))
    trace.best_so_far = torch.cummax(Y, 0).values.tolist()
    for iteration in tqdm(range(n_iterations), desc=desc, disable=not progress, leave=False):
        start = time.monotonic()
        model = fit_model(X, Y, bounds)
        trace.fit_time.append(time.monotonic() - start)
        acqf = build_acquisition(model, Y.max(), acquisition, q, seed=seed * 1000 + iteration, X_baseline=X,
                                 beta=beta, bounds=bounds)
        if callback is not None:
            callback(iteration, model, acqf)
        run = run_acqf_optimizer(acqf_optimizer, acqf, bounds, q, seed * 1000 + iteration)
        trace.acqf_time.append(run.wall_time)
        trace.acqf_cpu_time.append(run.cpu_time)
        trace.n_acqf_evals.append(run.n_evals)
        trace.acqf_value.append(run.value)
        new_noiseless = objective(run.candidates)
        noiseless = torch.cat([noiseless, new_noiseless])
        X, Y = torch.cat([X, run.candidates]), torch.cat([Y, observe(new_noiseless)])
        trace.best_so_far.extend(torch.cummax(Y, 0).values[-q:].tolist())
    best = int(Y.argmax())
    trace.X, trace.Y, trace.best_x, trace.best_y = X, Y, X[best], float(Y[best])
    trace.noiseless_Y = noiseless
    return trace
