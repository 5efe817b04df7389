"""The GENNES training loop (paper, Algorithm 1), for batched differentiable objectives over a box.

Each step draws `N` uniform noise vectors per generator, maps them through the generators into the box,
evaluates the objective on all `K * N` points in one call, and takes one Adam step on
`-sum_k mean_i f(G_k(u_i))` (the paper's J(theta) for maximization, eq. (3)-(4)) while the noise support
shrinks by the annealing schedule. The best point ever sampled is returned.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor
from tqdm.auto import tqdm

from gennes_bo.gennes.config import GennesConfig
from gennes_bo.gennes.generator import Generator
from gennes_bo.gennes.schedules import AdaptiveSchedule

logger = logging.getLogger(__name__)

Objective = Callable[[Tensor], Tensor]


class NonFiniteObjectiveError(ArithmeticError):
    """Raised when the objective returns no finite value at all."""


@dataclass
class GennesResult:
    """Outcome of :func:`gennes_maximize`.

    Attributes:
        x: Best point ever sampled, shape `point_shape` (`d` or `q x d`).
        value: Objective value at `x`.
        generator_x: `K x point_shape` best sample of each generator.
        generator_values: `K` objective values at `generator_x`.
        n_evals: Objective evaluations (points; each value-and-gradient query counts once).
        n_nonfinite: Evaluations that returned NaN or inf (masked out of the loss).
        n_steps: Adam steps taken.
        wall_time: Seconds spent.
        history: `(n_evals, best value so far)` after each step.
        message: Why the run stopped.
    """

    x: Tensor
    value: float
    generator_x: Tensor
    generator_values: Tensor
    n_evals: int
    n_nonfinite: int
    n_steps: int
    wall_time: float
    history: list[tuple[int, float]] = field(default_factory=list)
    message: str = ""


def sample_noise(
    n_generators: int, population_size: int, noise_dim: int, half_width: float, *,
    generator: torch.Generator | None, dtype: torch.dtype, device: torch.device,
) -> Tensor:
    """`K x N x p` noise uniform on `[-half_width, half_width]^p`."""
    u = torch.rand(n_generators, population_size, noise_dim, generator=generator, dtype=dtype, device=device)
    return (2.0 * u - 1.0) * half_width


def generator_loss(values: Tensor, evaluated: Tensor) -> Tensor:
    """Negative mean objective per generator, summed over generators (Algorithm 1, maximization).

    Args:
        values: `K x N` objective values (may hold NaN/inf).
        evaluated: `K x N` boolean mask of samples that were evaluated and finite.

    Returns:
        Scalar loss; generators with no usable sample contribute 0.
    """
    safe = torch.where(evaluated, values, torch.zeros_like(values))
    counts = evaluated.sum(dim=-1).clamp_min(1)
    return -(safe.sum(dim=-1) / counts).sum()


def check_bounds(bounds: Tensor) -> None:
    """Raise `ValueError` unless `bounds` is a finite `2 x d` tensor with lower < upper."""
    if not isinstance(bounds, Tensor) or bounds.dim() != 2 or bounds.shape[0] != 2:
        shape = tuple(bounds.shape) if isinstance(bounds, Tensor) else type(bounds).__name__
        raise ValueError(f"`bounds` must be a 2 x d tensor, got {shape}")
    if not torch.isfinite(bounds).all():
        raise ValueError("`bounds` must be finite")
    if not (bounds[0] < bounds[1]).all():
        raise ValueError("`bounds` must satisfy lower < upper in every dimension")


def gennes_maximize(
    objective: Objective,
    bounds: Tensor,
    config: GennesConfig | None = None,
    *,
    q: int | None = None,
    initial_points: Tensor | None = None,
    seed: int | torch.Generator | None = None,
    timeout_sec: float | None = None,
    progress: bool = False,
    callback: Callable[[int, int, float], bool | None] | None = None,
) -> GennesResult:
    """Maximize a batched differentiable objective over a box with GENNES.

    Args:
        objective: Maps a `batch x d` tensor (or `batch x q x d` when `q` is given) to `batch` values; must be
            differentiable by autograd. NaN/inf values are masked out of the loss and counted.
        bounds: `2 x d` tensor of lower and upper bounds; its dtype and device are used throughout.
        config: Search settings; defaults to `GennesConfig()`.
        q: If given, a population member is a whole `q x d` batch and the generator outputs `q * d` numbers.
        initial_points: Optional `K x d` (or `K x q x d`) points in the box on which the `K` generators are
            centered at step 0 (through the output bias); otherwise they are centered on the box.
        seed: Integer seed or `torch.Generator` (same seed, same result).
        timeout_sec: Optional wall-time limit; the loop stops after the step that exceeds it.
        progress: Show a tqdm progress bar.
        callback: Called after each step as `callback(step, n_evals, best_value)`; returning True stops the run.

    Returns:
        A :class:`GennesResult`.

    Raises:
        NonFiniteObjectiveError: If the objective never returns a finite value.
    """
    config = config or GennesConfig()
    check_bounds(bounds)
    if q is not None and q < 1:
        raise ValueError(f"`q` must be None or >= 1, got {q}")
    start = time.monotonic()
    dtype, device = bounds.dtype, bounds.device
    d = bounds.shape[1]
    point_shape = (d,) if q is None else (q, d)
    output_dim = math.prod(point_shape)
    K, N = config.n_generators, config.population_size
    rng = seed if isinstance(seed, torch.Generator) else _make_generator(seed, device)

    net = Generator(
        K, config.resolved_noise_dim(output_dim), output_dim, config.hidden_width, config.n_hidden,
        config.noise_scale, config.output_std, config.layer_gain, generator=rng, dtype=dtype, device=device,
    )
    lower, width = bounds[0], bounds[1] - bounds[0]
    if initial_points is not None:
        if initial_points.shape != (K, *point_shape):
            raise ValueError(
                f"`initial_points` must have shape {(K, *point_shape)} (n_generators x point shape), "
                f"got {tuple(initial_points.shape)}"
            )
        net.set_center(((initial_points.to(bounds) - lower) / width).reshape(K, output_dim))
    optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)

    n_steps = config.n_iterations
    if config.max_evals is not None:
        n_steps = min(n_steps, math.ceil(config.max_evals / (K * N)))
    schedule = config.make_schedule(n_steps)

    best_value = -math.inf
    best_x = torch.full(point_shape, math.nan, dtype=dtype, device=device)
    gen_best_values = torch.full((K,), -math.inf, dtype=dtype, device=device)
    gen_best_x = torch.full((K, *point_shape), math.nan, dtype=dtype, device=device)
    n_evals = n_nonfinite = 0
    history: list[tuple[int, float]] = []
    message = f"reached n_iterations={config.n_iterations}"
    step = 0
    bar = tqdm(total=n_steps, desc="GENNES", disable=not progress, leave=False)
    for step in range(n_steps):
        budget_left = K * N if config.max_evals is None else min(K * N, config.max_evals - n_evals)
        noise = sample_noise(K, N, net.noise_dim, config.noise_scale * schedule(step),
                             generator=rng, dtype=dtype, device=device)
        unit = net(noise)  # K x N x D
        x = (lower + width * unit.reshape(K, N, *point_shape)).reshape(K * N, *point_shape)
        values = torch.full((K * N,), math.nan, dtype=dtype, device=device)
        evaluated_values = objective(x[:budget_left])
        if evaluated_values.shape != (budget_left,):
            raise ValueError(
                f"`objective` must map a batch of {budget_left} points to shape ({budget_left},), "
                f"got {tuple(evaluated_values.shape)}"
            )
        values = torch.cat([evaluated_values, values[budget_left:]]) if budget_left < K * N else evaluated_values
        finite = torch.isfinite(values)
        n_evals += budget_left
        n_nonfinite += budget_left - int(finite[:budget_left].sum())
        if x.requires_grad and not finite.all():
            # Masking the loss is not enough: a NaN local derivative times the zero upstream gradient is NaN.
            x.register_hook(_mask_rows(finite))
        if not finite.any() and not math.isfinite(best_value):
            raise NonFiniteObjectiveError(
                f"the objective returned no finite value on {n_evals} evaluations; check it for NaN/inf"
            )

        loss = generator_loss(values.view(K, N), finite.view(K, N))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

        with torch.no_grad():
            detached = values.detach().view(K, N).masked_fill(~finite.view(K, N), -math.inf)
            step_best, step_arg = detached.max(dim=-1)
            improved = step_best > gen_best_values
            step_x = x.detach().view(K, N, *point_shape)[torch.arange(K, device=device), step_arg]
            gen_best_x[improved] = step_x[improved]
            gen_best_values = torch.where(improved, step_best, gen_best_values)
            k_best = int(gen_best_values.argmax())
            if float(gen_best_values[k_best]) > best_value:
                best_value = float(gen_best_values[k_best])
                best_x = gen_best_x[k_best].clone()
        history.append((n_evals, best_value))
        if isinstance(schedule, AdaptiveSchedule):
            schedule.observe(best_value)
        bar.update(1)
        if config.max_evals is not None and n_evals >= config.max_evals:
            message = f"reached max_evals={config.max_evals}"
            break
        if timeout_sec is not None and time.monotonic() - start > timeout_sec:
            message = f"reached timeout_sec={timeout_sec}"
            break
        if callback is not None and callback(step, n_evals, best_value):
            message = "stopped by callback"
            break
    bar.close()
    logger.debug("GENNES stopped after %d steps (%s), best %.6g", step + 1, message, best_value)
    return GennesResult(
        x=best_x, value=best_value, generator_x=gen_best_x, generator_values=gen_best_values,
        n_evals=n_evals, n_nonfinite=n_nonfinite, n_steps=len(history), wall_time=time.monotonic() - start,
        history=history, message=message,
    )


def _mask_rows(keep: Tensor) -> Callable[[Tensor], Tensor]:
    """Gradient hook zeroing the rows of a `batch x ...` gradient where `keep` (`batch`) is False."""

    def hook(grad: Tensor) -> Tensor:
        return torch.where(keep.view(-1, *[1] * (grad.dim() - 1)), grad, torch.zeros_like(grad))

    return hook


def _make_generator(seed: int | None, device: torch.device) -> torch.Generator | None:
    if seed is None:
        return None
    rng = torch.Generator(device=device)
    rng.manual_seed(seed)
    return rng
