"""The certified error: a proven upper bound on `sup_{||x||_2 ≤ 1} ||f(x) − g̃(x)||_2`,
computed from layerwise spectral norms of the realised half-line layers (`certified_error`,
depth-2l constructions) or of the realised copies (`certified_error_copies`, the depth-(l+1)
construction); `certify` picks the one a `Pruned` needs.

The quantity bounded is the error of the *stored* networks: `f` and `g̃` are the functions
the stored weights define in exact arithmetic (in a float32 run, the float32 numbers read as
reals). For half-line layers `certify` bounds it in every dtype: the half-line matrices are
summed from the stored weights with a proven bound on their rounding
(`approx.measurement.stored`), every spectral norm is inflated by that rounding and by the
SVD's, and the recursion's own float64 rounding is covered by a final factor. (The copies'
bound is computed from the realised copies with the SVD margin only: rounding of their sums
is not accounted for.) Its partners are `approx.measurement.empirical` (a lower
estimate found at actual points) and `approx.measurement.sandwich`: always
`empirical ≤ true sup ≤ certified`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

from ..basics.errors import InvalidArgument, as_tuple
from ..basics.network import IDENTITY, RELU, Activation, Network
from ..constructions.base import CopyRealisation, HalfLineLayer, Pruned
from .conv_norm import conv_norm_2
from .stored import U64, StoredLayer, gamma
from .threads import one_torch_thread

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


def _norm_near(x: torch.Tensor, err: torch.Tensor, y: torch.Tensor, sigma: float) -> float:
    """`_norm_upper(x, err)` without an SVD of x, from a float64 matrix y of x's shape and the
    computed largest singular value σ̂ of y: `||X|| ≤ ||y|| + ||X − y||_F` with
    `|X − y| ≤ err + |x − y|` entrywise, and `|x − y| ≤ |fl(x − y)| / (1 − u)`. Close to
    `_norm_upper`'s value when y is x up to rounding (the construction's own float64 sums)."""
    m, n = x.shape
    if x.numel() == 0:
        return 0.0
    gap = err + (x - y).abs() * (1 + 2 * U64)
    frob = float(torch.linalg.vector_norm(gap)) * (1 + 2 * gamma(gap.numel() + 2))
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

    Convolutions (the CNN construction): the same proof with operators on flattened tensors —
    a layer `W_i` is a convolution, `P_i`, `N_i` its realised kernels, `[P − W, N − W]` the
    convolution of `[h⁺; h⁻]` stacked along channels, ReLU acts entrywise — and each norm an
    upper bound on the convolution's l2 operator norm at the layer's input size and padding
    (`approx.measurement.conv_norm.conv_norm_2`). Only upper bounds enter: the recursion is
    monotone in every norm.

    Computed in float64 with norms inflated by a relative 1e-10 for SVD rounding, from the
    matrices given: it bounds the error of `P_i`, `N_i` as given, read as reals. For the
    stored network itself use `certify` (the given matrices may be rounded sums).
    """
    _check_half_line(target, layers)
    return _certified_error_recorded(target, layers)[0]


def _check_half_line(target: Network, layers) -> None:
    """`certified_error`'s arguments: a bias-free ReLU network and one half-line layer of
    its weight's shape per target layer (the proof covers nothing else)."""
    if not isinstance(target, Network):
        raise InvalidArgument(f"target is a {type(target).__name__}, not an approx.Network")
    for i, ly in enumerate(target.layers):
        act = RELU if i < target.depth - 1 else IDENTITY
        if ly.bias is not None or ly.activation != act:
            raise InvalidArgument(
                f"target layer {i} ({ly.describe()}, {ly.activation}"
                f"{', with a bias' if ly.bias is not None else ''}): certified_error covers "
                "bias-free networks with ReLU between their layers"
            )
    layers = as_tuple("layers", layers, "a tuple of HalfLineLayer")
    if len(layers) != target.depth:
        raise InvalidArgument(
            f"layers has {len(layers)} entries but the target has depth {target.depth}"
        )
    for i, (lay, w) in enumerate(zip(layers, target.weights, strict=True)):
        if not isinstance(lay, HalfLineLayer):
            raise InvalidArgument(f"layers[{i}] is a {type(lay).__name__}, not a HalfLineLayer")
        for name in ("P", "N"):
            t = getattr(lay, name)
            if not isinstance(t, torch.Tensor) or t.shape != w.shape:
                raise InvalidArgument(
                    f"layers[{i}].{name} is not a tensor shaped like weights[{i}] {tuple(w.shape)}"
                )


def _layer_terms(i: int, norm_of) -> tuple[float, float, float]:
    """`(e_i, Lip_i, ||W_i||)` of `certified_error`'s proof for layer i (0-based) from
    `norm_of(name)`, an upper bound on the norm of the layer's matrix `name`: ``PN`` `P − N`,
    ``cat`` `[P − W, N − W]`, ``DP`` `P − W`, ``DN`` `N − W`, ``both`` `[P, N]`, ``P``, ``N``,
    ``W``."""
    if i == 0:
        gap = norm_of("PN")
        e = min(norm_of("cat"), norm_of("DP") + gap, norm_of("DN") + gap)
        lip = min(norm_of("both"), norm_of("P") + gap, norm_of("N") + gap)
    else:
        e, lip = norm_of("DP"), norm_of("P")
    return e, lip, norm_of("W")


def _certified_error_recorded(target: Network, layers: tuple[HalfLineLayer, ...]):
    """`certified_error` and, for a dense target, per layer the float64 matrices whose
    spectral norms it took with their computed largest singular values, `{name: (matrix,
    σ̂)}` (`_layer_terms`' names; None for a convolutional target)."""
    norms_of = _layer_norms(target)
    per_layer, seen = [], [] if target.is_dense else None
    for i, (lay, w) in enumerate(zip(layers, target.weights, strict=True)):
        matrices = {
            "PN": lambda lay=lay: lay.P - lay.N,
            "cat": lambda lay=lay, w=w: torch.cat([lay.P - w, lay.N - w], dim=1),
            "DP": lambda lay=lay, w=w: lay.P - w,
            "DN": lambda lay=lay, w=w: lay.N - w,
            "both": lambda lay=lay: torch.cat([lay.P, lay.N], dim=1),
            "P": lambda lay=lay: lay.P,
            "N": lambda lay=lay: lay.N,
            "W": lambda w=w: w,
        }
        if seen is None:  # the layer's operator-norm bound (a convolution's for conv layers)
            norm = norms_of[i]
            per_layer.append(_layer_terms(i, lambda name, f=norm, m=matrices: f(m[name]())))
            continue
        seen.append({})

        def norm_of(name: str, record=seen[-1], matrices=matrices) -> float:
            if name not in record:
                y = matrices[name]().double()
                record[name] = (y, float(torch.linalg.matrix_norm(y, ord=2)))
            return record[name][1] * (1 + _ROUNDING_MARGIN)  # `_norm2`

        per_layer.append(_layer_terms(i, norm_of))
    return _compose(per_layer), seen


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


def _layer_norms(target: Network) -> list:
    """Per layer, a function giving a proven upper bound on the l2 operator norm of the layer's
    linear map with another weight (same shape; a convolution's kernel may have more input
    channels, as `[P − W, N − W]` does): the SVD norm for a dense layer, `conv_norm_2` at the
    layer's input size and padding for a convolution."""
    if target.is_dense:
        return [_norm2] * target.depth
    out = []
    for layer, shape in zip(target.layers, target.shapes(), strict=False):
        if layer.kind == "dense":
            out.append(_norm2)
        else:
            out.append(functools.partial(conv_norm_2, hw=shape[1:], padding=layer.padding))
    return out


def certified_error_stored(
    stored: tuple[StoredLayer, ...], nearby: list[dict] | None = None
) -> CertifiedBound:
    """`certified_error`'s bound for the exact half-line matrices of the stored weights
    (`approx.measurement.stored`), proven in exact arithmetic of those weights whatever
    their dtype: each norm is an upper bound of the exact matrix's norm (`_norm_upper`), and
    the recursion — a formula in nonnegative numbers with additions, products and minima, at
    most 8 roundings deep per layer — is multiplied by `1 + γ_{8l+2}`. `nearby`: per layer,
    float64 matrices near the exact ones with their computed largest singular values
    (`_certified_error_recorded`'s), whose SVDs the norms then reuse (`_norm_near`)."""
    per_layer = []
    for i, s in enumerate(stored):
        exact = {
            "PN": (s.PN, s.PN_err),
            "cat": (torch.cat([s.DP, s.DN], dim=1), torch.cat([s.DP_err, s.DN_err], dim=1)),
            "DP": (s.DP, s.DP_err),
            "DN": (s.DN, s.DN_err),
            "both": (torch.cat([s.P, s.N], dim=1), torch.cat([s.P_err, s.N_err], dim=1)),
            "P": (s.P, s.P_err),
            "N": (s.N, s.N_err),
            "W": (s.W, torch.zeros_like(s.W)),
        }
        near = None if nearby is None else nearby[i]

        def norm_of(name: str, exact=exact, near=near) -> float:
            if near is None or name not in near:
                return _norm_upper(*exact[name])
            return _norm_near(*exact[name], *near[name])

        per_layer.append(_layer_terms(i, norm_of))
    return _compose(per_layer, 1 + 2 * gamma(8 * len(stored) + 2))


def certify(
    target: Network, pruned: Pruned, stored: tuple[StoredLayer, ...] | None = None
) -> CertifiedBound:
    """The certified bound of what `pruned` realises: `certified_error_copies` for copies;
    for half-line layers with `stored` (`approx.measurement.stored.stored_layers` of the
    stored network), an upper bound in every dtype: in float64 `certified_error` of the
    construction's own matrices where the proven `certified_error_stored` confirms it (it is
    then ≥ a proven bound, so a bound itself; this keeps the values of earlier versions),
    else the proven one; in other dtypes the proven one (the construction's own float32
    matrices are rounded by up to 1% of the error they measure). Without `stored`:
    `certified_error` of the construction's matrices as given."""
    if pruned.copies is not None:
        with one_torch_thread():  # (its SVDs: `approx.measurement.threads`)
            return certified_error_copies(target, pruned.copies)
    if stored is None:
        return certified_error(target, pruned.layers)
    with one_torch_thread():  # (its SVDs: `approx.measurement.threads`)
        if target.dtype != torch.float64:
            return certified_error_stored(stored)
        legacy, seen = _certified_error_recorded(target, pruned.layers)
        proven = certified_error_stored(stored, nearby=seen)  # (the same SVDs: `_norm_near`)
    return legacy if legacy.value >= proven.value else proven


def _lipschitz(act: Activation) -> float:
    """Lipschitz constant of the activation (sigmoid ¼; ReLU, leaky ReLU with slope ≤ 1, tanh 1)."""
    return 0.25 if act.name == "sigmoid" else 1.0


def _activation_norm(act: Activation, F: float, d: int) -> float:
    """A bound on `||φ(z)||` given `||z|| ≤ F`, z in R^d: `F` where `|φ(t)| ≤ |t|` (ReLU, leaky
    ReLU with slope ≤ 1, tanh); sigmoid, `|σ(t)| ≤ ½ + |t|/4` and `σ < 1`."""
    if act.name == "sigmoid":
        return min(d**0.5, d**0.5 / 2 + F / 4)
    return F


def _bias_of(target: Network, t: int) -> torch.Tensor:
    b = target.biases[t]
    return torch.zeros(target.widths[t + 1], dtype=torch.float64) if b is None else b.double()


def certified_error_copies(target: Network, real: CopyRealisation) -> CertifiedBound:
    """Upper bound on `sup_{||x||≤1} ||f(x) − g̃(x)||` for the depth-(l+1) construction, whose
    target layer t is realised by copies r (one in the last layer); ours.

    Notation: `f_t = W_t u_{t−1} + b_t` the target's pre-activations (`u_0 = x`, `u_t = φ(f_t)`),
    `g_t[r]` copy r's, `v_t[r] = φ(g_t[r])`; `E_t[r] = sup ||g_t[r] − f_t||`, and
    `D_t[r] = Lip(φ) E_t[r] ≥ sup ||v_t[r] − u_t||`. `B_t ≥ sup ||u_t||`: `B_0 = 1`,
    `F_t = ||W_t|| B_{t−1} + ||b_t||`, `B_t = F_t` where `|φ(s)| ≤ |s|` (ReLU, leaky ReLU with
    slope ≤ 1, tanh), `B_t = min(√d_t, √d_t/2 + F_t/4)` for sigmoid.

    - Layer 1: `g_1[r](x) − f_1(x) = [P σ(x) − N σ(−x) − W_1 x] + [bias − b_1] + R(x)`; the first
      bracket is a half-line layer's error on the unit ball (`certified_error`, layer 1:
      least of `||[P − W, N − W]||`, `||P − W|| + ||P − N||`, `||N − W|| + ||P − N||`), and
      `|R_k(x)| ≤ Σ_j tau_kj |x_j|³` gives `||R(x)|| ≤ ||tau||_2 ||(|x_j|³)_j||_2 ≤ ||tau||_2`,
      as `Σ_j x_j⁶ ≤ (Σ_j x_j²)³ ≤ 1`. So `E_1[r] ≤ e_hl + ||bias − b_1|| + ||tau||_2`.
    - Layer t ≥ 2: `g_t[r'] − f_t = Σ_r C_r (v[r] − u) + (A − W_t) u + (bias − b_t)` with
      `C_r = C[r', :, :, r]`, `A = Σ_r C_r`. The first term is at most
      `min(Σ_r ||C_r|| D[r], ||[C_1 … C_ρ]||_2 (Σ_r D[r]²)^½)` (the sum over copies r that
      `C` uses): the copies err independently, so `||A|| max_r D[r]` is NOT a bound
      (proofs_check/burkholz.py rejects it). Hence
      `E_t[r'] ≤ that + ||A − W_t|| B_{t−1} + ||bias − b_t||`.

    The value is `E_l` of the last layer's one copy. `layer_errors[t]`, `lipschitz[t]` and
    `partial[t]` are the largest over copies of the layer's own error (everything but the
    propagated term), of the propagation factor, and of `E_t`. Norms in float64, inflated by
    a relative 1e-10 for SVD rounding; exact arithmetic of the realised tensors (the forward
    pass's own rounding is not included).
    """
    layers = (real.first, *real.later)
    if len(layers) != target.depth:
        raise InvalidArgument(f"copies realise {len(layers)} layers; the target has {target.depth}")
    lip_phi = _lipschitz(real.activation)
    first = real.first
    W = target.weights[0].double()
    P, N = first.P.double(), first.N.double()
    own = torch.tensor(
        [
            min(
                _norm2(torch.cat([p - W, n - W], dim=1)),
                _norm2(p - W) + _norm2(p - n),
                _norm2(n - W) + _norm2(p - n),
            )
            + float((bias - _bias_of(target, 0)).norm()) * (1 + _ROUNDING_MARGIN)
            + _norm2(tau)
            for p, n, bias, tau in zip(P, N, first.bias.double(), first.tau.double(), strict=True)
        ],
        dtype=torch.float64,
    )  # (copies,)
    E = own
    norm_w = _norm2(W)
    B = _activation_norm(real.activation, norm_w + float(_bias_of(target, 0).norm()), W.shape[0])
    errs, lips, norms, partial = [float(own.max())], [1.0], [norm_w], [float(E.max())]
    for t, lay in enumerate(real.later, start=1):
        D = lip_phi * E  # (copies_in,)
        E, own, prop, norm_w = _copy_layer(
            lay, target.weights[t].double(), _bias_of(target, t), D, B
        )
        F = norm_w * B + float(_bias_of(target, t).norm())
        B = _activation_norm(real.activation, F, target.widths[t + 1])
        errs.append(float(own.max()))
        lips.append(float(prop.max()))
        norms.append(norm_w)
        partial.append(float(E.max()))
    return CertifiedBound(float(E.max()), tuple(errs), tuple(lips), tuple(norms), tuple(partial))


def _copy_layer(lay, W: torch.Tensor, b: torch.Tensor, D: torch.Tensor, B: float):
    """One later layer of `certified_error_copies`: per copy r', (E, own error, propagation
    factor), and `||W||`. `D` `(copies_in,)`: the previous layer's activation errors."""
    C = lay.C.double()  # (R, d_out, d_in, R_in)
    R, d_out, d_in, r_in = C.shape
    margin = 1 + _ROUNDING_MARGIN
    each = torch.linalg.matrix_norm(C.permute(0, 3, 1, 2), ord=2) * margin  # (R, R_in)
    used = (C != 0).flatten(1, 2).any(1)  # (R, R_in): copies each row reads
    cat = torch.linalg.matrix_norm(C.reshape(R, d_out, d_in * r_in), ord=2) * margin  # (R,)
    spread = torch.sqrt(torch.where(used, D.square(), torch.zeros_like(D)).sum(1))  # (R,)
    prop_term = torch.minimum((each * D).sum(1), cat * spread)  # (R,)
    A = C.sum(-1)  # (R, d_out, d_in)
    own = (
        torch.linalg.matrix_norm(A - W, ord=2) * margin * B
        + (lay.bias.double() - b).norm(dim=1) * margin
    )
    factor = torch.where(D.max() > 0, prop_term / D.max().clamp_min(1e-300), torch.zeros_like(own))
    return prop_term + own, own, factor, _norm2(W)
