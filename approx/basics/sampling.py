"""Random weights from an explicit generator: the random networks' distributions and targets.

Randomness enters only through a `torch.Generator` passed in; nothing here touches torch's
global RNG. Sampling happens on the generator's device (CPU) and is moved afterwards, so the
same seed gives the same weights on every device.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import torch

from . import defaults
from .devices import parse_device
from .errors import InvalidArgument, as_tuple, check_positive_number
from .network import IDENTITY, RELU, Activation, Conv2d, Dense, Network
from .tensor_checks import check_float_dtype, check_generator

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
        # in place: the same bits as `* 2 - 1`, without two more tensors of the same size
        # (on 784-500-10's 53M weights the temporaries cost more time than the draws)
        w = torch.rand(shape, generator=generator, dtype=torch.float64).mul_(2).sub_(1)
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
    return u.mul_(math.log(low)).exp_()  # in (low, 1]; in place, the same bits


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
    widths = as_tuple("widths", widths, "a list of positive integers")
    if len(widths) < 2:
        raise InvalidArgument(f"widths={widths} needs at least an input and an output width")
    if any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in widths):
        raise InvalidArgument(f"widths={widths} must all be positive integers")
    if 8 * sum(a * b for a, b in itertools.pairwise(widths)) > defaults.MAX_TARGET_BYTES:
        raise InvalidArgument(
            f"widths={widths} give more than the {defaults.MAX_TARGET_BYTES // 8:,} weights a "
            "target may have"
        )
    check_generator("generator", generator)
    check_positive_number("spectral_norm", spectral_norm)
    device, dtype = parse_device(device), check_float_dtype("dtype", dtype)
    if spectral_norm > torch.finfo(dtype).max:  # the largest entry may be as large
        raise InvalidArgument(f"spectral_norm={spectral_norm!r} overflows {dtype}")
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


def _check_conv_size(
    input_shape: tuple[int, int, int],
    channels: tuple[int, ...],
    kernel: int,
    padding: int,
    dense: tuple[int, ...],
) -> None:
    """Refuse, from the shapes alone and before any tensor is drawn, a conv target whose
    convolution leaves no pixel or whose weights exceed `defaults.MAX_TARGET_BYTES` as float64
    (`conv = [99999999999]` would otherwise ask the allocator for terabytes)."""
    c, h, w = input_shape
    weights = 0
    for i, c_out in enumerate(channels, start=1):
        if min(h, w) + 2 * padding < kernel:
            raise InvalidArgument(
                f"conv target: layer {i}'s {kernel}x{kernel} kernel does not fit its input "
                f"{h}x{w} (padding {padding})"
            )
        weights += c_out * c * kernel * kernel
        c, h, w = c_out, h + 2 * padding - kernel + 1, w + 2 * padding - kernel + 1
    d_in = c * h * w
    for d_out in dense:
        weights += d_in * d_out
        d_in = d_out
    most = defaults.MAX_TARGET_BYTES // 8
    if weights > most:
        raise InvalidArgument(
            f"conv target input_shape={list(input_shape)} channels={list(channels)} "
            f"kernel={kernel} dense={list(dense)} has {weights:.3g} weights, more than the "
            f"{most:,} a target may have"
        )


def random_conv_target(
    input_shape: tuple[int, int, int],
    channels: tuple[int, ...],
    *,
    generator: torch.Generator,
    kernel: int = 3,
    padding: int = 0,
    dense: tuple[int, ...] = (),
    dtype: torch.dtype = torch.float64,
) -> Network:
    """A bias-free ReLU CNN on the boundary of the CNN construction's class: one stride-1
    `kernel`×`kernel` convolution with `padding` per entry of `channels` (its output channels),
    then a flatten and one dense layer per entry of `dense`; Uniform[-1, 1] entries, each kernel
    scaled to ℓ1 norm 1 (entrywise) and each dense layer to spectral norm 1; ReLU between
    layers, none after the last. Refused (InvalidArgument) where a convolution would leave no
    pixel."""
    c, h, w = input_shape
    if not channels or min((*input_shape, *channels, kernel, *dense)) < 1 or padding < 0:
        raise InvalidArgument(
            f"conv target input_shape={list(input_shape)} channels={list(channels)} "
            f"kernel={kernel} padding={padding} dense={list(dense)}: sizes must be >= 1 "
            "(padding >= 0), with at least one convolution"
        )
    _check_conv_size(input_shape, channels, kernel, padding, dense)
    layers: list = []
    shape: tuple[int, ...] = (c, h, w)
    for c_out in channels:
        k = torch.rand((c_out, shape[0], kernel, kernel), generator=generator, dtype=torch.float64)
        k = (k * 2 - 1) / (k * 2 - 1).abs().sum()
        layers.append(Conv2d(k.to(dtype), activation=RELU, padding=padding))
        shape = layers[-1].output_shape(shape)
    d_in = math.prod(shape)
    for d_out in dense:
        m = torch.rand((d_out, d_in), generator=generator, dtype=torch.float64) * 2 - 1
        layers.append(Dense((m / torch.linalg.matrix_norm(m, ord=2)).to(dtype), activation=RELU))
        d_in = d_out
    layers[-1] = dataclasses.replace(layers[-1], activation=IDENTITY)
    return Network(tuple(layers), (c, h, w))


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
