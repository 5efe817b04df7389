"""The GENNES search (paper, Algorithm 1) as a state with ask / tell, and `gennes_maximize`, a loop over it.

Each step draws `N` uniform noise vectors per generator, maps them through the generators into the box
(:meth:`GennesSearch.ask`), and, once the objective values of all `K * N` points are known
(:meth:`GennesSearch.tell`), takes one Adam step on `-sum_k mean_i f(G_k(u_i))` (the paper's J(theta) for
maximization, eq. (3)-(4)) while the noise support shrinks by the annealing schedule. The best point ever
sampled is kept. A search can be continued (:meth:`GennesSearch.extend`), checkpointed
(:meth:`GennesSearch.state_dict`) and warm-started from another search's generators (`warm_start=`).

Samples whose value is NaN or inf carry no gradient of their own; they are given a surrogate value below the
step's worst finite value that decreases with their distance to their generator's finite samples
(:func:`failure_surrogate`), so the generators move away from regions where the objective fails.
"""

from __future__ import annotations

import copy
import logging
import math
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor
from tqdm.auto import tqdm

from gennes_bo.gennes.config import GennesConfig
from gennes_bo.gennes.generator import Generator
from gennes_bo.gennes.schedules import AdaptiveSchedule

logger = logging.getLogger(__name__)

Objective = Callable[[Tensor], Tensor]
# Stand-ins of failed samples twice as steep as the objective (docs/design.md#failures-nan-inf-and-exceptions).
FAILURE_PULL = 2.0


class NonFiniteObjectiveError(ArithmeticError):
    """Raised when the objective returns no finite value at all."""


class WarmStartMismatchError(ValueError):
    """`warm_start` parameters whose shapes do not fit the search's generators."""


@dataclass
class GennesResult:
    """Outcome of a GENNES search (scipy's names; the search maximizes, so `fun` is the largest value found).

    Attributes:
        x: Best point ever sampled, shape `point_shape` (`d` or `q x d`).
        fun: Objective value at `x`.
        nfev: Objective evaluations (points; each value-and-gradient query counts once).
        nit: Adam steps taken.
        success: Whether a finite value was found.
        message: Why the search stopped.
        generator_x: `K x point_shape` best sample of each generator.
        generator_values: `K` objective values at `generator_x` (`-inf` for a generator without a finite one).
        n_failed: Evaluations that returned NaN or inf.
        wall_time: Seconds spent.
        history: `(nfev, best value so far)` after each step.
        generator_state: The trained generators' parameters, for `warm_start=` of another search.
    """

    x: Tensor
    fun: float
    nfev: int
    nit: int
    success: bool
    message: str
    generator_x: Tensor
    generator_values: Tensor
    n_failed: int = 0
    wall_time: float = 0.0
    history: list[tuple[int, float]] = field(default_factory=list)
    generator_state: dict[str, Tensor] | None = None

    # Former names, kept readable for code written against them.
    value = property(lambda self: renamed(self, "value", "fun"))
    n_evals = property(lambda self: renamed(self, "n_evals", "nfev"))
    n_steps = property(lambda self: renamed(self, "n_steps", "nit"))
    n_nonfinite = property(lambda self: renamed(self, "n_nonfinite", "n_failed"))


def renamed(result: Any, old: str, new: str) -> Any:
    """Read `result.new` on behalf of the former attribute name `old`, with a `DeprecationWarning`."""
    warnings.warn(f"`{type(result).__name__}.{old}` is now `{new}` (scipy's name)", DeprecationWarning, stacklevel=3)
    return getattr(result, new)


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
        values: `K x N` objective values (may hold NaN/inf where `evaluated` is False).
        evaluated: `K x N` boolean mask of the samples that enter the loss.

    Returns:
        Scalar loss; generators with no usable sample contribute 0.
    """
    safe = torch.where(evaluated, values, torch.zeros_like(values))
    counts = evaluated.sum(dim=-1).clamp_min(1)
    return -(safe.sum(dim=-1) / counts).sum()


def failure_surrogate(unit: Tensor, finite: Tensor, fallback_center: Tensor | None, worst: float,
                      slope: float) -> Tensor:
    """Differentiable stand-in values for samples whose objective value is NaN or inf.

    A failed sample gets `worst - slope * ||u - c_k||`: below every finite value seen and lower the farther its
    unit-cube point `u` lies from the mean `c_k` of its generator's finite samples (or from `fallback_center`
    when the generator has none), so the loss pulls the generator back to where the objective is defined.

    Args:
        unit: `K x N x D` generator outputs in the unit cube (attached to the generator's graph).
        finite: `K x N` mask of samples with a finite value.
        fallback_center: `D` unit-cube point for generators without a finite sample (the best point so far).
        worst: The smallest finite value seen.
        slope: Decrease of the stand-in value per unit of unit-cube distance.

    Returns:
        `K x N` values, meaningful where `finite` is False.
    """
    weights = finite.to(unit.dtype).unsqueeze(-1)
    counts = weights.sum(dim=1)
    centers = (unit.detach() * weights).sum(dim=1) / counts.clamp_min(1.0)
    if fallback_center is not None:
        centers = torch.where(counts > 0, centers, fallback_center.expand_as(centers))
    distance = ((unit - centers.unsqueeze(1)).pow(2).sum(-1) + 1e-30).sqrt()
    return worst - slope * distance


def check_bounds(bounds: Tensor) -> None:
    """Raise `ValueError` unless `bounds` is a finite `2 x d` tensor with lower < upper."""
    if not isinstance(bounds, Tensor) or bounds.dim() != 2 or bounds.shape[0] != 2:
        shape = tuple(bounds.shape) if isinstance(bounds, Tensor) else type(bounds).__name__
        raise ValueError(f"`bounds` must be a 2 x d tensor, got {shape}")
    if not torch.isfinite(bounds).all():
        raise ValueError("`bounds` must be finite")
    if not (bounds[0] < bounds[1]).all():
        raise ValueError("`bounds` must satisfy lower < upper in every dimension")


class GennesSearch:
    """A GENNES search state: `ask` points, `tell` their values, repeat (pycma-style ask/tell).

    Example:
        >>> search = GennesSearch(bounds, GennesConfig(n_iterations=50), seed=0)
        >>> while not search.done:
        ...     x = search.ask()
        ...     search.tell(objective(x))  # differentiable values, or values and `gradients=`
        >>> result = search.result()

    Args:
        bounds: `2 x d` tensor of lower and upper bounds; its dtype and device are used throughout.
        config: Search settings; defaults to `GennesConfig()`.
        q: If given, a population member is a whole `q x d` batch and the generator outputs `q * d` numbers.
        initial_points: Optional `K x d` (or `K x q x d`) points in the box on which the `K` generators are
            centered at step 0 (through the output bias); otherwise they are centered on the box.
        seed: Integer seed or `torch.Generator` (same seed, same result).
        warm_start: Optional generator parameters from another search's :meth:`generator_state` (same
            `n_generators`, network shape and point shape); they replace the fresh initialization.
    """

    def __init__(
        self, bounds: Tensor, config: GennesConfig | None = None, *, q: int | None = None,
        initial_points: Tensor | None = None, seed: int | torch.Generator | None = None,
        warm_start: Mapping[str, Tensor] | None = None,
    ) -> None:
        self.config = config = config or GennesConfig()
        check_bounds(bounds)
        if q is not None and q < 1:
            raise ValueError(f"`q` must be None or >= 1, got {q}")
        self.bounds, self.q = bounds, q
        device = bounds.device
        self.point_shape = (bounds.shape[1],) if q is None else (q, bounds.shape[1])
        output_dim = math.prod(self.point_shape)
        K = config.n_generators
        self.rng = seed if isinstance(seed, torch.Generator) else _make_generator(seed, device)
        self.generator = Generator(
            K, config.resolved_noise_dim(output_dim), output_dim, config.hidden_width, config.n_hidden,
            config.noise_scale, config.output_std, config.layer_gain, generator=self.rng, dtype=bounds.dtype,
            device=device,
        )
        if warm_start is not None:
            self._load_generator(warm_start)
        self.lower, self.width = bounds[0], bounds[1] - bounds[0]
        if initial_points is not None:
            if initial_points.shape != (K, *self.point_shape):
                raise ValueError(
                    f"`initial_points` must have shape {(K, *self.point_shape)} (n_generators x point shape), "
                    f"got {tuple(initial_points.shape)}"
                )
            self.generator.set_center(((initial_points.to(bounds) - self.lower) / self.width).reshape(K, output_dim))
        self.optimizer = torch.optim.Adam(self.generator.parameters(), lr=config.lr)
        self.n_steps = config.n_iterations
        if config.max_evals is not None:
            self.n_steps = min(self.n_steps, math.ceil(config.max_evals / (K * config.population_size)))
        self.schedule = config.make_schedule(self.n_steps)
        self.nit = self.nfev = self.n_failed = 0
        self.best_value = -math.inf
        self.best_x = torch.full(self.point_shape, math.nan, dtype=bounds.dtype, device=device)
        self.generator_values = torch.full((K,), -math.inf, dtype=bounds.dtype, device=device)
        self.generator_x = torch.full((K, *self.point_shape), math.nan, dtype=bounds.dtype, device=device)
        self.history: list[tuple[int, float]] = []
        self._value_range: tuple[float, float] | None = None  # smallest and largest finite value seen
        self._gradient_norm = 0.0  # running mean norm of the objective's gradient (unit cube), finite samples
        self._asked: tuple[Tensor, Tensor, int] | None = None
        self._start = time.monotonic()

    # -- state -----------------------------------------------------------------------------------------------
    @property
    def budget_left(self) -> int | None:
        """Evaluations left under `config.max_evals` (None without a cap)."""
        return None if self.config.max_evals is None else self.config.max_evals - self.nfev

    @property
    def noise_ratio(self) -> float:
        """Noise support of the next step relative to the initial one (the schedule's value)."""
        return float(self.schedule(self.nit))

    @property
    def done(self) -> bool:
        """True once the planned steps are taken or `config.max_evals` is spent."""
        return self.stop_reason() is not None

    def stop_reason(self) -> str | None:
        """Why the search is over (`"reached max_evals=..."` / `"reached n_iterations=..."`), or None."""
        if self.budget_left is not None and self.budget_left <= 0:
            return f"reached max_evals={self.config.max_evals}"
        if self.nit >= self.n_steps:
            return f"reached n_iterations={self.config.n_iterations}"
        return None

    def extend(self, n_iterations: int) -> None:
        """Allow `n_iterations` more steps (the schedule goes on from the current step)."""
        if not isinstance(n_iterations, int) or n_iterations < 1:
            raise ValueError(f"`n_iterations` must be an integer >= 1, got {n_iterations!r}")
        self.n_steps = self.nit + n_iterations if self.done else self.n_steps + n_iterations

    # -- ask / tell --------------------------------------------------------------------------------------------
    def ask(self) -> Tensor:
        """The next population, attached to the generators' autograd graph.

        Returns:
            `n x point_shape` points in the box, `n = K * N` (fewer when `config.max_evals` is nearly spent).
        """
        if self._asked is not None:
            raise RuntimeError("ask() was called twice without tell(); tell the values of the last population first")
        if self.budget_left is not None and self.budget_left <= 0:
            raise RuntimeError(f"the budget max_evals={self.config.max_evals} is spent")
        K, N = self.config.n_generators, self.config.population_size
        n = K * N if self.budget_left is None else min(K * N, self.budget_left)
        noise = sample_noise(K, N, self.generator.noise_dim, self.config.noise_scale * self.schedule(self.nit),
                             generator=self.rng, dtype=self.bounds.dtype, device=self.bounds.device)
        unit = self.generator(noise)  # K x N x D
        x = (self.lower + self.width * unit.reshape(K, N, *self.point_shape)).reshape(K * N, *self.point_shape)
        self._asked = (x, unit, n)
        return x[:n]

    def tell(self, values: Tensor, gradients: Tensor | None = None) -> None:
        """Take one Adam step from the values of the last population.

        Args:
            values: `n` values of the points of the last :meth:`ask`, differentiable with respect to them
                (NaN/inf allowed); or plain values together with `gradients`.
            gradients: Optional `n x point_shape` gradients of the values with respect to the points, for
                objectives evaluated outside autograd.

        Raises:
            NonFiniteObjectiveError: If no value is finite and none was before.
        """
        if self._asked is None:
            raise RuntimeError("tell() needs a population from ask() first")
        x, unit, n = self._asked
        if values.shape != (n,):
            raise ValueError(f"`objective` must map a batch of {n} points to shape ({n},), got {tuple(values.shape)}")
        self._asked = None
        K, N = self.config.n_generators, self.config.population_size
        all_rows = torch.full((K * N,), math.nan, dtype=x.dtype, device=x.device)
        finite = torch.isfinite(torch.cat([values.detach(), all_rows[n:]]))
        if gradients is not None:
            if gradients.shape != (n, *self.point_shape):
                raise ValueError(f"`gradients` must have shape {(n, *self.point_shape)}, got {tuple(gradients.shape)}")
            values = _linearize(x[:n], values.detach(), gradients.to(x).detach(), finite[:n])
        elif finite.any() and not values.requires_grad:
            raise ValueError("`values` must be differentiable with respect to the asked points (autograd), "
                             "or pass their `gradients`")
        values = torch.cat([values, all_rows[n:]]) if n < K * N else values
        failed = ~finite
        failed[n:] = False
        self.nfev += n
        self.n_failed += int(failed.sum())
        if x.requires_grad and not finite.all():
            # Masking the loss is not enough: a NaN local derivative times the zero upstream gradient is NaN.
            x.register_hook(_mask_rows(finite))
        if x.requires_grad and finite.any():
            x.register_hook(self._gradient_scale_hook(finite, N))
        if not finite.any() and not math.isfinite(self.best_value):
            raise NonFiniteObjectiveError(
                f"the objective returned no finite value on {self.nfev} evaluations; check it for NaN/inf"
            )
        detached = values.detach().view(K, N)
        if finite.any():
            finite_values = detached.reshape(-1)[finite]
            low, high = float(finite_values.min()), float(finite_values.max())
            if self._value_range is not None:
                low, high = min(low, self._value_range[0]), max(high, self._value_range[1])
            self._value_range = (low, high)
        usable = finite.clone()
        if failed.any():
            usable |= failed
            values = torch.where(failed, self._stand_ins(unit, finite), values)
        loss = generator_loss(values.view(K, N), usable.view(K, N))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self._record(x.detach(), detached.masked_fill(~finite.view(K, N), -math.inf))

    def result(self, message: str | None = None) -> GennesResult:
        """The outcome so far (`message` defaults to :meth:`stop_reason`)."""
        return GennesResult(
            x=self.best_x.clone(), fun=self.best_value, nfev=self.nfev, nit=self.nit,
            success=math.isfinite(self.best_value), message=message or self.stop_reason() or "running",
            generator_x=self.generator_x.clone(), generator_values=self.generator_values.clone(),
            n_failed=self.n_failed, wall_time=time.monotonic() - self._start, history=list(self.history),
            generator_state=self.generator_state(),
        )

    # -- checkpoints and warm starts -------------------------------------------------------------------------
    def generator_state(self) -> dict[str, Tensor]:
        """A copy of the generators' parameters, for `warm_start=` of another search."""
        return {name: value.detach().clone() for name, value in self.generator.state_dict().items()}

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue this search later with :meth:`load_state_dict` (same constructor
        arguments); a stateful schedule's own state is not included."""
        return {
            "generator": self.generator_state(), "optimizer": copy.deepcopy(self.optimizer.state_dict()),
            "nit": self.nit, "nfev": self.nfev, "n_failed": self.n_failed, "n_steps": self.n_steps,
            "best_value": self.best_value,
            "best_x": self.best_x.clone(), "generator_values": self.generator_values.clone(),
            "generator_x": self.generator_x.clone(), "history": list(self.history), "value_range": self._value_range,
            "gradient_norm": self._gradient_norm,
            "rng": self.rng.get_state() if self.rng is not None else None,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a :meth:`state_dict` of a search built with the same arguments."""
        self._load_generator(state["generator"])
        self.optimizer.load_state_dict(copy.deepcopy(state["optimizer"]))
        for name in ("nit", "nfev", "n_failed", "n_steps", "best_value"):
            setattr(self, name, state[name])
        self.best_x, self.history = state["best_x"].clone(), list(state["history"])
        self.generator_values, self.generator_x = state["generator_values"].clone(), state["generator_x"].clone()
        self._value_range, self._gradient_norm = state["value_range"], state["gradient_norm"]
        if self.rng is not None and state["rng"] is not None:
            self.rng.set_state(state["rng"])
        self._asked = None

    # -- internals ---------------------------------------------------------------------------------------------
    def _stand_ins(self, unit: Tensor, finite: Tensor) -> Tensor:
        """`K * N` stand-in values for failed samples (:func:`failure_surrogate`), steeper than the objective.

        The slope is `FAILURE_PULL` times the typical gradient norm of the objective in unit-cube coordinates
        (or its range of values when no gradient was seen), so that the pull out of a failing region outweighs
        the objective's pull into it whatever the scale of the objective and Adam's normalization.
        """
        K, N, D = unit.shape
        low, high = self._value_range
        slope = max((high - low) / math.sqrt(D), FAILURE_PULL * self._gradient_norm)
        center = None
        if math.isfinite(self.best_value):
            per_member = 1 if self.q is None else self.q
            center = (self.best_x.reshape(-1) - self.lower.repeat(per_member)) / self.width.repeat(per_member)
        stand_in = failure_surrogate(unit, finite.view(K, N), center, low, slope if slope > 0 else 1.0)
        return stand_in.reshape(K * N)

    def _gradient_scale_hook(self, finite: Tensor, population_size: int) -> Callable[[Tensor], None]:
        """A gradient hook on the points that keeps a running mean of the objective's gradient norm (unit-cube
        coordinates) over the finite samples, for :meth:`_stand_ins`."""

        def hook(grad: Tensor) -> None:
            rows = (grad.detach()[finite] * self.width * population_size).flatten(1).norm(dim=-1)
            norm = float(rows.mean())
            if math.isfinite(norm):
                self._gradient_norm = norm if self._gradient_norm == 0.0 else 0.9 * self._gradient_norm + 0.1 * norm

        return hook

    def _load_generator(self, parameters: Mapping[str, Tensor]) -> None:
        expected = {name: tuple(value.shape) for name, value in self.generator.state_dict().items()}
        got = {name: tuple(value.shape) for name, value in parameters.items()}
        if got != expected:
            raise WarmStartMismatchError(f"`warm_start` parameters do not fit this search's generators: expected "
                                         f"shapes {expected}, got {got}")
        self.generator.load_state_dict(dict(parameters))

    @torch.no_grad()
    def _record(self, x: Tensor, values: Tensor) -> None:
        """Update the best point of each generator and overall after a step (`values`: `K x N`, -inf = none)."""
        K, N = values.shape
        step_best, step_arg = values.max(dim=-1)
        improved = step_best > self.generator_values
        step_x = x.view(K, N, *self.point_shape)[torch.arange(K, device=x.device), step_arg]
        self.generator_x[improved] = step_x[improved]
        self.generator_values = torch.where(improved, step_best, self.generator_values)
        k_best = int(self.generator_values.argmax())
        if float(self.generator_values[k_best]) > self.best_value:
            self.best_value = float(self.generator_values[k_best])
            self.best_x = self.generator_x[k_best].clone()
        self.nit += 1
        self.history.append((self.nfev, self.best_value))
        if isinstance(self.schedule, AdaptiveSchedule):
            self.schedule.observe(self.best_value)


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
    warm_start: Mapping[str, Tensor] | None = None,
) -> GennesResult:
    """Maximize a batched differentiable objective over a box with GENNES (a loop over :class:`GennesSearch`).

    Args:
        objective: Maps a `batch x d` tensor (or `batch x q x d` when `q` is given) to `batch` values; must be
            differentiable by autograd. NaN/inf values are counted and push the generators away.
        bounds: `2 x d` tensor of lower and upper bounds; its dtype and device are used throughout.
        config: Search settings; defaults to `GennesConfig()`.
        q: If given, a population member is a whole `q x d` batch and the generator outputs `q * d` numbers.
        initial_points: Optional `K x d` (or `K x q x d`) starting centers of the generators.
        seed: Integer seed or `torch.Generator` (same seed, same result).
        timeout_sec: Optional wall-time limit; the loop stops after the step that exceeds it.
        progress: Show a tqdm progress bar.
        callback: Called after each step as `callback(step, nfev, best_value)`; returning True stops the run.
        warm_start: Generator parameters of an earlier search (`GennesResult.generator_state`) to start from.

    Returns:
        A :class:`GennesResult`.

    Raises:
        NonFiniteObjectiveError: If the objective never returns a finite value.
    """
    search = GennesSearch(bounds, config, q=q, initial_points=initial_points, seed=seed, warm_start=warm_start)
    start = time.monotonic()
    message = None
    with tqdm(total=search.n_steps, desc="GENNES", disable=not progress, leave=False) as bar:
        while message is None:
            search.tell(objective(search.ask()))
            bar.update(1)
            if search.budget_left is not None and search.budget_left <= 0:
                message = f"reached max_evals={search.config.max_evals}"
            elif timeout_sec is not None and time.monotonic() - start > timeout_sec:
                message = f"reached timeout_sec={timeout_sec}"
            elif callback is not None and callback(search.nit - 1, search.nfev, search.best_value):
                message = "stopped by callback"
            else:
                message = search.stop_reason()
    logger.debug("GENNES stopped after %d steps (%s), best %.6g", search.nit, message, search.best_value)
    return search.result(message)


def _linearize(x: Tensor, values: Tensor, gradients: Tensor, finite: Tensor) -> Tensor:
    """Values equal to `values` whose gradient with respect to `x` is `gradients` (zero on non-finite rows)."""
    keep = finite.view(-1, *[1] * (x.dim() - 1))
    slope = torch.where(keep, gradients, torch.zeros_like(gradients))
    tangent = (x * slope).flatten(1).sum(-1)
    return values + tangent - tangent.detach()


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
