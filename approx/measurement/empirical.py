"""The empirical error: a lower estimate of `sup_{||x||_2 ≤ 1} ||f(x) − g̃(x)||_2`, the largest
error actually found at points of the unit sphere or ball.

Bias-free ReLU networks are positively homogeneous (`f(cx) = c f(x)` for `c ≥ 0`), so for them
the sup over the ball is attained on the sphere (`domain="sphere"`). Networks with biases or a
smooth activation are not, and their sup may lie inside the ball (`domain="ball"`: points
uniform in the ball, half of them on its boundary, and normalised gradient steps projected
onto the ball).

On the sphere, the error map of the depth-2l constructions is piecewise linear, with a linear
piece per orthant of the input (the half-line layers act on `σ(x)` and `σ(−x)`) and per ReLU
pattern; in 16 dimensions its local maxima differ by 10% and more. The sphere's search
therefore mixes three moves, each kept only where it improves a point:
- a line search along the great circles towards the local linear map's top right singular
  vector (a power step), the gradient of `||e||²`, and the last successful step;
- sign flips of single coordinates (a jump to a neighbouring orthant, which no small step
  makes), for the `FLIPS` largest coordinates;
- a final polish of the best points by projected Adam (ridges between pieces, where the other
  moves stall).
It runs on `error_map` when given (an exact and cheaper form of `e = g̃ − f`, such as
`approx.measurement.difference.error_at`), and the value reported is `||f(x) − g̃(x)||`
evaluated on the networks themselves at the points found.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..basics import defaults
from ..basics.errors import InvalidArgument, check_positive_int
from ..basics.sampling import unit_sphere

Map = Callable[[torch.Tensor], torch.Tensor]

DOMAINS = ("sphere", "ball")
FLIPS = 16  # coordinates tried for a sign flip per step (the largest in magnitude)
_LINE = 12  # angles of each line search, log-spaced from 1e-5 to π/2
_JACOBIAN_ROWS = 16  # outputs up to which the singular-vector move is computed


@dataclass(frozen=True)
class EmpiricalError:
    """The largest `||f(x) − g̃(x)||` found, at the point `argmax` (on the unit sphere, or in
    the ball for `domain="ball"`)."""

    value: float
    argmax: torch.Tensor
    n_samples: int
    ascent_steps: int


def _tangent(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    w = w - (w * x).sum(1, keepdim=True) * x
    return w / w.norm(dim=1, keepdim=True).clamp_min(torch.finfo(x.dtype).tiny)


def _jacobian(e: Map, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """`(e(x) (S, m), J (S, m, d))` (J None beyond `_JACOBIAN_ROWS` outputs) and the gradient
    of `½||e||²`."""
    x = x.detach().requires_grad_(True)
    out = e(x)
    (grad,) = torch.autograd.grad(0.5 * (out * out).sum(), x, retain_graph=True)
    if out.shape[1] > _JACOBIAN_ROWS:
        return grad, None
    rows = [
        torch.autograd.grad(out[:, k].sum(), x, retain_graph=k + 1 < out.shape[1])[0]
        for k in range(out.shape[1])
    ]
    return grad, torch.stack(rows, 1)


def _candidates(x, grad, jac, prev, angles) -> torch.Tensor:
    """`(S, c, d)`: points along the great circles of each move, and the sign flips."""
    dirs = [_tangent(grad, x), _tangent(prev, x)]
    if jac is not None:
        v = torch.linalg.svd(jac, full_matrices=False).Vh[:, 0, :]  # (S, d)
        dirs.append(_tangent(v * torch.sign((v * x).sum(1, keepdim=True)), x))
    cos, sin = angles.cos()[None, :, None], angles.sin()[None, :, None]
    pts = [x[:, None, :] * cos + w[:, None, :] * sin for w in dirs]
    # back onto the sphere where a direction is 0 (one input: no tangent; a zero gradient)
    pts = [p / p.norm(dim=2, keepdim=True).clamp_min(torch.finfo(x.dtype).tiny) for p in pts]
    k = min(FLIPS, x.shape[1])
    idx = x.abs().topk(k, dim=1).indices  # (S, k)
    flipped = x[:, None, :].repeat(1, k, 1)  # (S, k, d)
    flipped.scatter_(2, idx[:, :, None], -x.gather(1, idx)[:, :, None])
    return torch.cat([*pts, flipped], 1)


def _local_search(gap: Map, e: Map, x: torch.Tensor, best: torch.Tensor, steps: int):
    angles = torch.logspace(-5, math.log10(math.pi / 2), _LINE, dtype=x.dtype, device=x.device)
    prev = torch.zeros_like(x)
    rows = torch.arange(x.shape[0], device=x.device)
    for _ in range(steps):
        grad, jac = _jacobian(e, x)
        with torch.no_grad():
            cand = _candidates(x, grad, jac, prev, angles)  # (S, c, d)
            vals = gap(cand.reshape(-1, x.shape[1])).reshape(cand.shape[:2])
            top, where = vals.max(1)
            better = top > best
            new = cand[rows, where]
            prev = torch.where(better[:, None], new - x, prev)
            x = torch.where(better[:, None], new, x)
            best = torch.maximum(best, top)
    return x, best


def _polish(gap: Map, x: torch.Tensor, best: torch.Tensor, steps: int):
    """Projected Adam ascent from `x` (Kingma & Ba's update, β = 0.9, 0.999; the step
    cosine-decayed to 0), keeping each point's best. Written out: `torch.optim` imports
    `torch._dynamo` on first use, seconds of start-up for one optimiser."""
    z = x.clone()
    m, v = torch.zeros_like(z), torch.zeros_like(z)
    x, best = x.clone(), best.clone()
    for t in range(1, steps + 1):
        z.requires_grad_(True)
        zn = z / z.norm(dim=1, keepdim=True)
        val = gap(zn)
        (grad,) = torch.autograd.grad(val.sum(), z)
        with torch.no_grad():
            better = val > best
            best = torch.where(better, val, best)
            x[better] = zn[better]
            m = 0.9 * m + 0.1 * grad
            v = 0.999 * v + 0.001 * grad * grad
            lr = defaults.EMPIRICAL_POLISH_LR * (1 + math.cos(math.pi * (t - 1) / steps)) / 2
            step = (m / (1 - 0.9**t)) / ((v / (1 - 0.999**t)).sqrt() + 1e-8)
            z = z.detach() + lr * step
    return x, best


def _ball_ascent(gap: Map, x: torch.Tensor, best: torch.Tensor, steps: int):
    """Normalised gradient steps (0.1, decaying by 0.97 a step) projected onto the ball,
    keeping each point's best."""
    x, best_x, best = x.clone(), x.clone(), best.clone()
    step = 0.1
    for _ in range(steps):
        x.requires_grad_(True)
        (grad,) = torch.autograd.grad(gap(x).sum(), x)
        with torch.no_grad():
            norm = grad.norm(dim=1, keepdim=True)
            x = x + step * grad / norm.clamp_min(torch.finfo(x.dtype).tiny)
            x = x / x.norm(dim=1, keepdim=True).clamp_min(1.0)  # back into the ball
            new = gap(x)
            better = new > best
            best = torch.where(better, new, best)
            best_x[better] = x[better]
        step *= 0.97
    return best_x, best


def empirical_error(
    f: Map,
    g: Map,
    d_in: int,
    *,
    generator: torch.Generator,
    n_samples: int = defaults.EMPIRICAL_SAMPLES,
    ascent_steps: int = defaults.ASCENT_STEPS,
    n_ascent: int = defaults.ASCENT_STARTS,
    batch_size: int = defaults.EMPIRICAL_BATCH,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
    error_map: Map | None = None,
    polish_steps: int | None = None,
    domain: str = "sphere",
) -> EmpiricalError:
    """Max of `||f(x) − g(x)||_2` over `n_samples` uniform points of the unit sphere, then
    `ascent_steps` of local search (module docstring) from the `n_ascent` best points and
    `polish_steps` of projected Adam from the best half of those (None: `EMPIRICAL_POLISH_STEPS`
    but at most `EMPIRICAL_POLISH_PER_STEP × ascent_steps`, so none when ascent_steps is 0).
    A lower estimate of the sup; `f`, `g` map `(batch, d_in)` to `(batch, d_out)`,
    differentiable in torch. `error_map`: the same `g − f` computed another way, searched
    instead of `f − g` (the value is still `f − g` at the points found).

    `domain="ball"`: every other point is moved inside, to radius `U^(1/d)` (so the points are
    half uniform in the ball, half on the sphere), and the `ascent_steps` are normalised
    gradient steps projected onto the ball (`x / max(1, ||x||)`; `_ball_ascent`).
    """
    check_positive_int("n_samples", n_samples)
    check_positive_int("batch_size", batch_size)
    check_positive_int("n_ascent", n_ascent)
    if ascent_steps < 0:
        raise InvalidArgument(f"ascent_steps={ascent_steps} must be >= 0")
    if domain not in DOMAINS:
        raise InvalidArgument(f"domain={domain!r} is not one of {DOMAINS}")
    ball = domain == "ball"

    def plain(x: torch.Tensor) -> torch.Tensor:
        return g(x) - f(x)

    e = plain if error_map is None else error_map

    def gap(x: torch.Tensor) -> torch.Tensor:
        return torch.cat(
            [e(x[i : i + batch_size]).norm(dim=1) for i in range(0, len(x), batch_size)]
        )

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
            values.append(e(x).norm(dim=1))
    points_t, values_t = torch.cat(points), torch.cat(values)
    top = torch.topk(values_t, min(n_ascent, n_samples)).indices
    x, best = points_t[top], values_t[top]
    if polish_steps is None:
        polish_steps = min(
            defaults.EMPIRICAL_POLISH_STEPS, defaults.EMPIRICAL_POLISH_PER_STEP * ascent_steps
        )
    if ball:
        x, best = _ball_ascent(gap, x, best, ascent_steps)
    elif ascent_steps:
        x, best = _local_search(gap, e, x, best, ascent_steps)
        keep = torch.topk(best, max(1, len(best) // 2)).indices
        if polish_steps:
            px, pbest = _polish(gap, x[keep], best[keep], polish_steps)
            x, best = torch.cat([x, px]), torch.cat([best, pbest])
    with torch.no_grad():
        actual = torch.cat(
            [plain(x[i : i + batch_size]).norm(dim=1) for i in range(0, len(x), batch_size)]
        )
    i = int(torch.argmax(actual))
    return EmpiricalError(float(actual[i]), x[i].detach(), n_samples, ascent_steps)
