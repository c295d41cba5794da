"""The approximation error `sup_{||x||_2 ≤ 1} ||f(x) − g̃(x)||_2`, bounded two ways.

- `certified_error`: a proven upper bound computed from layerwise spectral norms.
- `empirical_error`: a lower estimate — the largest error actually found at points of the unit
  sphere (random points, then projected gradient ascent on the difference).

Always `empirical ≤ true sup ≤ certified`. Both bias-free networks are positively homogeneous
(`f(cx) = c f(x)` for `c ≥ 0`), so the sup over the ball is attained on the sphere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from .constructions.base import HalfLineLayer
from .errors import InvalidArgument, check_positive_int
from .nets import ReLUNet

# Spectral norms come from an SVD in float64, backward stable to a few ulps of the largest
# singular value; every norm is inflated by this relative margin so the bound stays an upper
# bound under that rounding.
_ROUNDING_MARGIN = 1e-10


def _norm2(a: torch.Tensor) -> float:
    return float(torch.linalg.matrix_norm(a.double(), ord=2)) * (1 + _ROUNDING_MARGIN)


@dataclass(frozen=True)
class CertifiedBound:
    """`value` bounds `sup_{||x||≤1} ||f(x) − g̃(x)||`; per layer i (1-based in text, 0-based
    in the tuples): `layer_errors[i] = e_i`, `lipschitz[i] = Lip(L̂_i)`, `target_norms[i] =
    ||W_i||_2`, `partial[i] = Δ_i` (the bound after layer i)."""

    value: float
    layer_errors: tuple[float, ...]
    lipschitz: tuple[float, ...]
    target_norms: tuple[float, ...]
    partial: tuple[float, ...]


def certified_error(target: ReLUNet, layers: tuple[HalfLineLayer, ...]) -> CertifiedBound:
    """Upper bound on `sup_{||x||≤1} ||f(x) − g̃(x)||` for `g̃ = L̂_l ∘ σ ∘ … ∘ σ ∘ L̂_1`,
    `L̂_i(h) = P_i σ(h) − N_i σ(−h)`.

    Proof. Let `f_i`, `g_i` be the outputs of layer i (pre-activation) of the target and the
    pruned net, `Δ_i = sup ||g_i − f_i||`, `B_i = Π_{j≤i} ||W_j||` (so `||f_i|| ≤ B_i`), and
    `u`, `v` the inputs of layer i in f and g (`x` for i = 1, else `σ(f_{i−1})`, `σ(g_{i−1})`;
    `||u − v|| ≤ Δ_{i−1}` as σ is 1-Lipschitz, `||u|| ≤ B_{i−1}`).

    - Layer error `e_i = sup_{h ∈ D_i, ||h|| ≤ 1} ||L̂_i(h) − W_i h||`. On `D_1 = R^d`, with
      `h = h⁺ − h⁻` (disjoint supports, `||h⁺||² + ||h⁻||² = ||h||²`),
      `L̂_1(h) − W_1 h = [P_1 − W_1, −(N_1 − W_1)] [h⁺; h⁻]`, so
      `e_1 ≤ ||[P_1 − W_1, N_1 − W_1]||_2`; also `L̂_1(h) − W_1 h = (P_1 − W_1) h + (N_1 − P_1) h⁻`
      with `||h⁻|| ≤ ||h||` gives `e_1 ≤ ||P_1 − W_1|| + ||P_1 − N_1||` (and the same with P, N
      swapped); we take the least of the three. For i ≥ 2 inputs are ReLU outputs,
      `D_i = R^d_+`, `h⁻ = 0`, and `e_i = ||P_i − W_i||_2`.
    - Lipschitz constant of `L̂_i` on `D_i`: for i = 1 the least of `||[P_1, N_1]||_2` (per
      coordinate, `(a⁺ − b⁺)² + (a⁻ − b⁻)² ≤ (a − b)²`) and `||P_1|| + ||P_1 − N_1||` (as
      `h ↦ h⁻` is 1-Lipschitz), and P, N swapped; `||P_i||_2` for i ≥ 2.
    - Two ways to split `g_i − f_i = L̂_i(v) − W_i u`:
        `[L̂_i(v) − W_i v] + W_i (v − u)`   ⇒ `Δ_i ≤ e_i (B_{i−1} + Δ_{i−1}) + ||W_i|| Δ_{i−1}`
        `[L̂_i(v) − L̂_i(u)] + [L̂_i(u) − W_i u]` ⇒ `Δ_i ≤ Lip_i Δ_{i−1} + e_i B_{i−1}`
      both hold, so `Δ_i` is bounded by their minimum; `Δ_0 = 0`, `B_0 = 1`.

    With `||W_i|| ≤ 1` and small errors this is `≈ Σ_i e_i`, Pensia et al.'s composition.
    Computed in float64 with norms inflated by a relative 1e-10 for SVD rounding; it bounds
    the error of the realised matrices in exact arithmetic (the forward pass's own rounding,
    ~1e-15 relative in float64, is not included).
    """
    if len(layers) != target.depth:
        raise InvalidArgument(
            f"layers has {len(layers)} entries but the target has depth {target.depth}"
        )
    errs, lips, norms, partial = [], [], [], []
    delta, bound = 0.0, 1.0
    for i, (lay, w) in enumerate(zip(layers, target.weights, strict=True)):
        if i == 0:
            gap = _norm2(lay.P - lay.N)
            e = min(
                _norm2(torch.cat([lay.P - w, lay.N - w], dim=1)),
                _norm2(lay.P - w) + gap,
                _norm2(lay.N - w) + gap,
            )
            lip = min(
                _norm2(torch.cat([lay.P, lay.N], dim=1)),
                _norm2(lay.P) + gap,
                _norm2(lay.N) + gap,
            )
        else:
            e = _norm2(lay.P - w)
            lip = _norm2(lay.P)
        norm_w = _norm2(w)
        delta = min(e * (bound + delta) + norm_w * delta, lip * delta + e * bound)
        bound *= norm_w
        errs.append(e)
        lips.append(lip)
        norms.append(norm_w)
        partial.append(delta)
    return CertifiedBound(delta, tuple(errs), tuple(lips), tuple(norms), tuple(partial))


@dataclass(frozen=True)
class EmpiricalError:
    """The largest `||f(x) − g̃(x)||` found, at the point `argmax` (on the unit sphere)."""

    value: float
    argmax: torch.Tensor
    n_samples: int
    ascent_steps: int


def _unit_sphere(n: int, d: int, generator: torch.Generator, dtype, device) -> torch.Tensor:
    x = torch.randn((n, d), generator=generator, dtype=torch.float64).to(device=device, dtype=dtype)
    return x / x.norm(dim=1, keepdim=True).clamp_min(torch.finfo(dtype).tiny)


def empirical_error(
    f: Callable[[torch.Tensor], torch.Tensor],
    g: Callable[[torch.Tensor], torch.Tensor],
    d_in: int,
    *,
    generator: torch.Generator,
    n_samples: int = 4096,
    ascent_steps: int = 100,
    n_ascent: int = 16,
    batch_size: int = 1024,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> EmpiricalError:
    """Max of `||f(x) − g(x)||_2` over `n_samples` uniform points of the unit sphere, then
    `ascent_steps` of projected (Riemannian, normalised-step) gradient ascent from the
    `n_ascent` best points, keeping the best value seen. A lower estimate of the sup; `f`, `g`
    map `(batch, d_in)` to `(batch, d_out)` and must be differentiable in torch.
    """
    check_positive_int("n_samples", n_samples)
    check_positive_int("batch_size", batch_size)
    if ascent_steps < 0:
        raise InvalidArgument(f"ascent_steps={ascent_steps} must be >= 0")

    def gap(x: torch.Tensor) -> torch.Tensor:
        return (f(x) - g(x)).norm(dim=1)  # (batch,)

    points, values = [], []
    with torch.no_grad():
        for start in range(0, n_samples, batch_size):
            x = _unit_sphere(min(batch_size, n_samples - start), d_in, generator, dtype, device)
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
