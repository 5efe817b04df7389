"""The GENNES generator: a batch of independent MLPs mapping uniform noise to points in the unit cube.

Several independent generators (the "restarts" of an acquisition optimizer) are stored as one batched network:
every weight has a leading generator dimension and the forward pass is a chain of `torch.baddbmm`, so `K`
generators cost one kernel launch per layer instead of `K`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

LEAKY_SLOPE = 0.2  # paper, Section 3: leaky ReLU with negative slope 0.2
# Second moment kept by one leaky-ReLU layer for a centered symmetric input: (1 + a^2) / 2 (the paper's
# Appendix B rounds the per-layer factor to 0.3; with Glorot weights the exact value matches measurements).
LAYER_GAIN = (1.0 + LEAKY_SLOPE**2) / 2.0
PAPER_LAYER_GAIN = 0.3


def uniform_noise_second_moment(noise_scale: float) -> float:
    """Second moment nu^2 of a coordinate of `U(-noise_scale, noise_scale)` noise."""
    return noise_scale**2 / 3.0


def last_layer_std(
    hidden_width: int,
    n_hidden: int,
    noise_scale: float,
    output_std: float,
    noise_dim: int,
    layer_gain: float = LAYER_GAIN,
) -> float:
    """Standard deviation lambda of the last layer's weights by the Appendix-B rule.

    The paper's rule is `lambda^2 nu^2 = beta^2 / (h * 0.3^n)`, with `h` the hidden width, `n` the number of
    hidden layers, `nu^2` the noise second moment and `beta^2` the wanted variance of the pre-tanh output, so
    that the initial samples cover the box. It assumes a first-layer weight variance `1/p`; Glorot weights have
    `2/(p + h)`, so we keep the factor `2p/(p + h)` and use the per-layer gain `(1 + 0.2^2)/2` of leaky ReLU:
    `lambda^2 nu^2 = beta^2 / (h * gain^n * 2p/(p + h))`. This keeps the measured output std within 15% of
    `beta` for `p` from 2 to 60 (tests/gennes/test_generator.py), where the paper's constant is off by up to
    2.5x when `p` is comparable to `h`. Pass `layer_gain=PAPER_LAYER_GAIN` for the paper's constant.

    Args:
        hidden_width: Width `h` of every hidden layer.
        n_hidden: Number `n` of hidden layers.
        noise_scale: Half-width of the uniform noise support at initialization.
        output_std: Wanted standard deviation `beta` of the pre-tanh output.
        noise_dim: Dimension `p` of the input noise.
        layer_gain: Second moment kept per hidden layer.

    Returns:
        The standard deviation `lambda` of the normal initialization of the last layer.
    """
    nu2 = uniform_noise_second_moment(noise_scale)
    first_layer = 2.0 * noise_dim / (noise_dim + hidden_width)
    return math.sqrt(output_std**2 / (nu2 * hidden_width * layer_gain**n_hidden * first_layer))


class Generator(nn.Module):
    """`n_generators` independent leaky-ReLU MLPs with a tanh output mapped into the unit cube.

    Args:
        n_generators: Number `K` of independent generators stored as one batched network.
        noise_dim: Dimension `p` of the input noise.
        output_dim: Dimension `D` of each generated point (`q * d` for a q-batch).
        hidden_width: Width `h` of the hidden layers.
        n_hidden: Number `n` of hidden layers (at least 1).
        noise_scale: Half-width `u_0` of the uniform noise support, used by the Appendix-B rule.
        output_std: Wanted standard deviation `beta` of the pre-tanh output at initialization.
        layer_gain: Per-layer variance gain of the Appendix-B rule.
        generator: Optional `torch.Generator` for the initialization.
        dtype: Parameter dtype.
        device: Parameter device.
    """

    def __init__(
        self,
        n_generators: int,
        noise_dim: int,
        output_dim: int,
        hidden_width: int = 64,
        n_hidden: int = 2,
        noise_scale: float = 1.0,
        output_std: float = 1.0,
        layer_gain: float = LAYER_GAIN,
        *,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        for name, value in (
            ("n_generators", n_generators),
            ("noise_dim", noise_dim),
            ("output_dim", output_dim),
            ("hidden_width", hidden_width),
            ("n_hidden", n_hidden),
        ):
            if value < 1:
                raise ValueError(f"`{name}` must be >= 1, got {value}")
        self.n_generators = n_generators
        self.noise_dim = noise_dim
        self.output_dim = output_dim
        widths = [noise_dim] + [hidden_width] * n_hidden
        factory = {"dtype": dtype, "device": device}
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
            # Glorot (Xavier) uniform for hidden layers, biases 0 (paper, Section 3).
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            w = torch.empty(n_generators, fan_in, fan_out, **factory).uniform_(-bound, bound, generator=generator)
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(torch.zeros(n_generators, 1, fan_out, **factory)))
        std = last_layer_std(hidden_width, n_hidden, noise_scale, output_std, noise_dim, layer_gain)
        w_out = torch.empty(n_generators, hidden_width, output_dim, **factory).normal_(0.0, std, generator=generator)
        self.out_weight = nn.Parameter(w_out)
        self.out_bias = nn.Parameter(torch.zeros(n_generators, 1, output_dim, **factory))

    def pre_activation(self, noise: Tensor) -> Tensor:
        """Pre-tanh outputs.

        Args:
            noise: `K x N x p` noise, one population of `N` inputs per generator.

        Returns:
            `K x N x D` pre-tanh outputs.
        """
        if noise.dim() != 3 or noise.shape[0] != self.n_generators or noise.shape[-1] != self.noise_dim:
            raise ValueError(
                f"`noise` must have shape ({self.n_generators}, N, {self.noise_dim}), got {tuple(noise.shape)}"
            )
        h = noise
        for w, b in zip(self.weights, self.biases, strict=True):
            h = nn.functional.leaky_relu(torch.baddbmm(b, h, w), LEAKY_SLOPE)
        return torch.baddbmm(self.out_bias, h, self.out_weight)

    def forward(self, noise: Tensor) -> Tensor:
        """Map noise to points in the unit cube.

        Args:
            noise: `K x N x p` noise.

        Returns:
            `K x N x D` points in `[0, 1]^D`.
        """
        return 0.5 * (torch.tanh(self.pre_activation(noise)) + 1.0)

    @torch.no_grad()
    def set_center(self, unit_points: Tensor, eps: float = 1e-6) -> None:
        """Shift each generator's output so that zero noise maps (approximately) onto a given point.

        The paper shifts the initial mean "by adding bias on the output layer"; here the bias is set to
        `atanh(2x - 1)` minus the output of zero noise.

        Args:
            unit_points: `K x D` points in the unit cube, one per generator.
            eps: Clamp margin that keeps `atanh` finite on the boundary.
        """
        if unit_points.shape != (self.n_generators, self.output_dim):
            raise ValueError(
                f"`unit_points` must have shape ({self.n_generators}, {self.output_dim}), "
                f"got {tuple(unit_points.shape)}"
            )
        self.out_bias.zero_()
        zero = torch.zeros(self.n_generators, 1, self.noise_dim, dtype=unit_points.dtype, device=unit_points.device)
        offset = self.pre_activation(zero).squeeze(1)
        target = torch.atanh((2.0 * unit_points - 1.0).clamp(-1.0 + eps, 1.0 - eps))
        self.out_bias.copy_((target - offset).unsqueeze(1))
