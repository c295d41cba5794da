"""Random weights from an explicit generator: the random networks' distributions and targets.

Randomness enters only through a `torch.Generator` passed in; nothing here touches torch's
global RNG. Sampling happens on the generator's device (CPU) and is moved afterwards, so the
same seed gives the same weights on every device.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch

from .errors import InvalidArgument
from .network import RELU, Activation, Network

DISTRIBUTIONS = ("uniform", "hyperbolic")


def sample_weights(
    shape: tuple[int, ...],
    *,
    generator: torch.Generator,
    distribution: str = "uniform",
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float64,
    low: float | None = None,
) -> torch.Tensor:
    """I.i.d. weights of `shape`. `"uniform"`: Uniform[-1, 1]. `"hyperbolic"`: a random sign
    times a magnitude with density `1 / (|w| ln(1/low))` on `[low, 1]` (`low` in (0, 1)
    required; see `hyperbolic_magnitudes`)."""
    if distribution not in DISTRIBUTIONS:
        raise InvalidArgument(f"distribution={distribution!r} is not one of {DISTRIBUTIONS}")
    if distribution == "hyperbolic":
        sign = torch.rand(shape, generator=generator, dtype=torch.float64) < 0.5
        magnitude = hyperbolic_magnitudes(shape, low, generator=generator)
        w = torch.where(sign, -magnitude, magnitude)
    else:
        if low is not None:
            raise InvalidArgument(f"low={low!r} is only used by distribution='hyperbolic'")
        w = torch.rand(shape, generator=generator, dtype=torch.float64) * 2 - 1
    return w.to(device=device, dtype=dtype)


def hyperbolic_magnitudes(
    shape: tuple[int, ...], low: float | None, *, generator: torch.Generator
) -> torch.Tensor:
    """Float64 magnitudes with density `1 / (x ln(1/low))` on `[low, 1]` (the hyperbolic, or
    log-uniform, law: `ln(1/x)` is Uniform[0, ln(1/low)], so every factor-r band of magnitudes
    inside the range is equally likely, `ln r / ln(1/low)`). Drawn by inversion:
    `x = low^U`, `U ~ Uniform[0, 1)`."""
    if (
        isinstance(low, bool)
        or not isinstance(low, int | float)
        or not math.isfinite(low)
        or not 0 < low < 1
    ):
        raise InvalidArgument(f"low={low!r}: the hyperbolic law needs a lower end in (0, 1)")
    u = torch.rand(shape, generator=generator, dtype=torch.float64)
    return torch.exp(u * math.log(low))  # in (low, 1]


def sample_uniform(
    shape: tuple[int, ...],
    low: float,
    high: float,
    *,
    generator: torch.Generator,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """I.i.d. Uniform[low, high] of `shape`, drawn in float64 on the generator's device."""
    if not low < high:
        raise InvalidArgument(f"low={low!r} must be < high={high!r}")
    u = torch.rand(shape, generator=generator, dtype=torch.float64)
    return (low + (high - low) * u).to(device=device, dtype=dtype)


def random_target(
    widths: tuple[int, ...],
    *,
    generator: torch.Generator,
    spectral_norm: float = 1.0,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float64,
    activation: Activation | str = RELU,
    bias: bool = False,
) -> Network:
    """A target in the theorems' class: Uniform[-1,1] entries, each layer rescaled to
    `||W_i||_2 = spectral_norm` (the boundary of the class `||W_i||_2 ≤ 1`, the hardest case),
    `activation` between layers (a name such as "tanh" or "leaky_relu(0.1)", or an Activation)
    and, if `bias`, Uniform[-1, 1] biases. The biases are drawn after every weight, so a seed
    gives the same weights with or without them."""
    if len(widths) < 2:
        raise InvalidArgument(f"widths={widths} needs at least an input and an output width")
    if any(d < 1 for d in widths):
        raise InvalidArgument(f"widths={widths} must all be positive")
    weights = []
    for d_in, d_out in itertools.pairwise(widths):
        w = torch.rand((d_out, d_in), generator=generator, dtype=torch.float64) * 2 - 1
        w = w * (spectral_norm / torch.linalg.matrix_norm(w, ord=2))
        weights.append(w.to(device=device, dtype=dtype))
    biases = None
    if bias:
        biases = [
            sample_uniform((d_out,), -1.0, 1.0, generator=generator, device=device, dtype=dtype)
            for d_out in widths[1:]
        ]
    if isinstance(activation, str):
        activation = Activation.parse(activation)
    return Network.dense(weights, biases=biases, activation=activation)


def unit_sphere(
    n: int,
    d: int,
    generator: torch.Generator,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """`n` points uniform on the unit sphere of R^d, `(n, d)`: normalised Gaussians, drawn in
    float64 on the generator's device and then moved, so every dtype and device sees the same
    points up to rounding."""
    x = torch.randn((n, d), generator=generator, dtype=torch.float64).to(device=device, dtype=dtype)
    return x / x.norm(dim=1, keepdim=True).clamp_min(torch.finfo(dtype).tiny)  # (n, d)


def spawn_seeds(seed: int, n: int) -> list[int]:
    """`n` independent 63-bit seeds derived from one user seed (numpy's SeedSequence), so the
    target and the random network draw from unrelated streams."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidArgument(f"seed={seed!r} must be a non-negative integer")
    children = np.random.SeedSequence(seed).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]
