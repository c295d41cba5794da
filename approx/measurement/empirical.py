"""The empirical error: a lower estimate of `sup_{||x||_2 ≤ 1} ||f(x) − g̃(x)||_2`, the largest
error actually found at points of the unit sphere or ball (random points, then projected
gradient ascent on the difference).

Bias-free ReLU networks are positively homogeneous (`f(cx) = c f(x)` for `c ≥ 0`), so for them
the sup over the ball is attained on the sphere (`domain="sphere"`). Networks with biases or a
smooth activation are not, and their sup may lie inside the ball (`domain="ball"`: points
uniform in the ball, half of them on its boundary, and ascent projected onto the ball).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..basics import defaults
from ..basics.errors import InvalidArgument, check_positive_int
from ..basics.sampling import unit_sphere

DOMAINS = ("sphere", "ball")


@dataclass(frozen=True)
class EmpiricalError:
    """The largest `||f(x) − g̃(x)||` found, at the point `argmax` (on the unit sphere, or in
    the ball for `domain="ball"`)."""

    value: float
    argmax: torch.Tensor
    n_samples: int
    ascent_steps: int


def empirical_error(
    f: Callable[[torch.Tensor], torch.Tensor],
    g: Callable[[torch.Tensor], torch.Tensor],
    d_in: int,
    *,
    generator: torch.Generator,
    n_samples: int = defaults.EMPIRICAL_SAMPLES,
    ascent_steps: int = defaults.ASCENT_STEPS,
    n_ascent: int = defaults.ASCENT_STARTS,
    batch_size: int = defaults.EMPIRICAL_BATCH,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
    domain: str = "sphere",
) -> EmpiricalError:
    """Max of `||f(x) − g(x)||_2` over `n_samples` uniform points of the unit sphere, then
    `ascent_steps` of projected (Riemannian, normalised-step) gradient ascent from the
    `n_ascent` best points, keeping the best value seen. A lower estimate of the sup; `f`, `g`
    map `(batch, d_in)` to `(batch, d_out)` and must be differentiable in torch.

    `domain="ball"`: every other point is moved inside, to radius `U^(1/d)` (so the points are
    half uniform in the ball, half on the sphere), and each ascent step is a normalised
    gradient step projected onto the ball (`x / max(1, ||x||)`).
    """
    check_positive_int("n_samples", n_samples)
    check_positive_int("batch_size", batch_size)
    if ascent_steps < 0:
        raise InvalidArgument(f"ascent_steps={ascent_steps} must be >= 0")
    if domain not in DOMAINS:
        raise InvalidArgument(f"domain={domain!r} is not one of {DOMAINS}")
    ball = domain == "ball"

    def gap(x: torch.Tensor) -> torch.Tensor:
        return (f(x) - g(x)).norm(dim=1)  # (batch,)

    points, values = [], []
    with torch.no_grad():
        for start in range(0, n_samples, batch_size):
            x = unit_sphere(min(batch_size, n_samples - start), d_in, generator, dtype, device)
            if ball:  # odd-numbered points move inside, to radius U^(1/d)
                u = torch.rand(x.shape[0], generator=generator, dtype=torch.float64)
                inside = (torch.arange(start, start + x.shape[0]) % 2 == 1).to(torch.float64)
                r = 1 - inside + inside * u ** (1 / d_in)
                x = x * r.to(device=device, dtype=dtype)[:, None]
            points.append(x)
            values.append(gap(x))
    points_t, values_t = torch.cat(points), torch.cat(values)
    top = torch.topk(values_t, min(n_ascent, n_samples)).indices
    x = points_t[top].clone()  # (n_ascent, d_in)
    best_val, best_x = values_t[top].clone(), x.clone()
    step = 0.1
    for _ in range(ascent_steps):
        x.requires_grad_(True)
        val = gap(x)
        (grad,) = torch.autograd.grad(val.sum(), x)
        with torch.no_grad():
            if ball:
                norm = grad.norm(dim=1, keepdim=True)
                x = x + step * grad / norm.clamp_min(torch.finfo(dtype).tiny)
                x = x / x.norm(dim=1, keepdim=True).clamp_min(1.0)  # back into the ball
            else:
                tangent = (
                    grad - (grad * x).sum(1, keepdim=True) * x
                )  # project onto the sphere's tangent
                norm = tangent.norm(dim=1, keepdim=True)
                x = x + step * tangent / norm.clamp_min(torch.finfo(dtype).tiny)
                x = x / x.norm(dim=1, keepdim=True)
            new = gap(x)
            better = new > best_val
            best_val = torch.where(better, new, best_val)
            best_x[better] = x[better]
        step *= 0.97
    i = int(torch.argmax(best_val))
    return EmpiricalError(float(best_val[i]), best_x[i].detach(), n_samples, ascent_steps)


def flat_forward(forward, input_shape: tuple[int, ...] | None):
    """`forward` on flattened inputs and outputs, `(batch, c·H·W) -> (batch, features)`, for a
    network that reads `(c, H, W)` (the error's norms are those of the flattened tensors);
    `forward` itself for a dense network."""
    if input_shape is None or len(input_shape) == 1:
        return forward

    def flat(x: torch.Tensor) -> torch.Tensor:
        return forward(x.reshape(-1, *input_shape)).flatten(1)  # (batch, features)

    return flat
