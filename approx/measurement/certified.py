"""The certified error: a proven upper bound on `sup_{||x||_2 ≤ 1} ||f(x) − g̃(x)||_2`,
computed from layerwise spectral norms of the realised half-line layers.

The quantity bounded is the error of the *stored* networks: `f` and `g̃` are the functions
the stored weights define in exact arithmetic (in a float32 run, the float32 numbers read as
reals). `certify` bounds it in every dtype: the half-line matrices are summed from the stored
weights with a proven bound on their rounding (`approx.measurement.stored`), every spectral
norm is inflated by that rounding and by the SVD's, and the recursion's own float64 rounding
is covered by a final factor. Its partners are `approx.measurement.empirical` (a lower
estimate found at actual points) and `approx.measurement.sandwich`: always
`empirical ≤ true sup ≤ certified`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..basics.errors import InvalidArgument
from ..basics.network import Network
from ..constructions.base import HalfLineLayer
from .stored import U64, StoredLayer, gamma

# Spectral norms come from an SVD in float64, backward stable to a few ulps of the largest
# singular value; every norm is inflated by this relative margin so the bound stays an upper
# bound under that rounding.
_ROUNDING_MARGIN = 1e-10


def _norm2(a: torch.Tensor) -> float:
    return float(torch.linalg.matrix_norm(a.double(), ord=2)) * (1 + _ROUNDING_MARGIN)


def _norm_upper(x: torch.Tensor, err: torch.Tensor) -> float:
    """An upper bound on `||X||_2` for the exact matrix X with `|X − x| ≤ err` entrywise:
    `||X|| ≤ ||x|| + ||X − x||_2 ≤ ||x|| + ||err||_F`. LAPACK's SVD is backward stable: the
    computed largest singular value is within `p(m, n) u ||x||` of the true one for "a
    modestly growing function" p (LAPACK Users' Guide, §4.9); we take p = 10 max(m, n), a
    relative 1.1e-12 at 1,000 columns. The two float sums add a factor (1 + 4u)."""
    m, n = x.shape
    if x.numel() == 0:
        return 0.0
    sigma = float(torch.linalg.matrix_norm(x, ord=2))
    frob = float(torch.linalg.vector_norm(err)) * (1 + 2 * gamma(err.numel() + 1))
    return (sigma * (1 + 10 * max(m, n) * U64) + frob) * (1 + 4 * U64)


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


def certified_error(target: Network, layers: tuple[HalfLineLayer, ...]) -> CertifiedBound:
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
    Computed in float64 with norms inflated by a relative 1e-10 for SVD rounding, from the
    matrices given: it bounds the error of `P_i`, `N_i` as given, read as reals. For the
    stored network itself use `certify` (the given matrices may be rounded sums).
    """
    if len(layers) != target.depth:
        raise InvalidArgument(
            f"layers has {len(layers)} entries but the target has depth {target.depth}"
        )
    norm = _norm2
    per_layer = []
    for i, (lay, w) in enumerate(zip(layers, target.weights, strict=True)):
        if i == 0:
            gap = norm(lay.P - lay.N)
            e = min(
                norm(torch.cat([lay.P - w, lay.N - w], dim=1)),
                norm(lay.P - w) + gap,
                norm(lay.N - w) + gap,
            )
            lip = min(
                norm(torch.cat([lay.P, lay.N], dim=1)),
                norm(lay.P) + gap,
                norm(lay.N) + gap,
            )
        else:
            e, lip = norm(lay.P - w), norm(lay.P)
        per_layer.append((e, lip, norm(w)))
    return _compose(per_layer)


def _compose(per_layer: list[tuple[float, float, float]], factor: float = 1.0) -> CertifiedBound:
    """The recursion of `certified_error` over `(e_i, Lip_i, ||W_i||)`; every partial bound
    times `factor`."""
    errs, lips, norms, partial = [], [], [], []
    delta, bound = 0.0, 1.0
    for e, lip, norm_w in per_layer:
        delta = min(e * (bound + delta) + norm_w * delta, lip * delta + e * bound)
        bound *= norm_w
        errs.append(e)
        lips.append(lip)
        norms.append(norm_w)
        partial.append(delta * factor)
    return CertifiedBound(partial[-1], tuple(errs), tuple(lips), tuple(norms), tuple(partial))


def certified_error_stored(stored: tuple[StoredLayer, ...]) -> CertifiedBound:
    """`certified_error`'s bound for the exact half-line matrices of the stored weights
    (`approx.measurement.stored`), proven in exact arithmetic of those weights whatever
    their dtype: each norm is an upper bound of the exact matrix's norm (`_norm_upper`), and
    the recursion — a formula in nonnegative numbers with additions, products and minima, at
    most 8 roundings deep per layer — is multiplied by `1 + γ_{8l+2}`."""
    per_layer = []
    for i, s in enumerate(stored):
        if i == 0:
            gap = _norm_upper(s.PN, s.PN_err)
            cat = torch.cat([s.DP, s.DN], dim=1), torch.cat([s.DP_err, s.DN_err], dim=1)
            e = min(
                _norm_upper(*cat),
                _norm_upper(s.DP, s.DP_err) + gap,
                _norm_upper(s.DN, s.DN_err) + gap,
            )
            both = torch.cat([s.P, s.N], dim=1), torch.cat([s.P_err, s.N_err], dim=1)
            lip = min(
                _norm_upper(*both),
                _norm_upper(s.P, s.P_err) + gap,
                _norm_upper(s.N, s.N_err) + gap,
            )
        else:
            e, lip = _norm_upper(s.DP, s.DP_err), _norm_upper(s.P, s.P_err)
        per_layer.append((e, lip, _norm_upper(s.W, torch.zeros_like(s.W))))
    return _compose(per_layer, 1 + 2 * gamma(8 * len(stored) + 2))


def certify(
    target: Network, layers: tuple[HalfLineLayer, ...], stored: tuple[StoredLayer, ...]
) -> CertifiedBound:
    """The run's certified bound, an upper bound in every dtype. float64: `certified_error`
    of the construction's own matrices where the proven `certified_error_stored` confirms it
    (it is then ≥ a proven bound, so a bound itself; this keeps the values of earlier
    versions), else the proven one. Other dtypes: the proven one (the construction's own
    float32 matrices are rounded by up to 1% of the error they measure)."""
    proven = certified_error_stored(stored)
    if target.dtype != torch.float64:
        return proven
    legacy = certified_error(target, layers)
    return legacy if legacy.value >= proven.value else proven
