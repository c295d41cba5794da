"""The error in the CNN theorem's own norm: `sup_{||x||_∞ ≤ 1} ||f(x) − g̃(x)||_∞` (da Cunha et al.
2022 bound inputs and the error in max-norm), certified and empirical, for the depth-2l
constructions' half-line layers (dense or convolutional).

The partner of `approx.measurement.certified` (the l2 error) and of
`approx.measurement.empirical`: `empirical ≤ true sup ≤ certified` here too.
"""

from __future__ import annotations

import torch

from ..basics import defaults
from ..basics.errors import InvalidArgument, check_positive_int
from ..basics.network import Network
from ..constructions.base import HalfLineLayer
from .certified import CertifiedBound
from .conv_norm import ROUNDING_MARGIN
from .empirical import flat_forward

# points per forward pass of the sample phase (approx.pipeline.estimate sizes its memory)
CHUNK_ROWS = 1024


def _rows(a: torch.Tensor) -> float:
    """Largest absolute row sum: `||A||_{∞→∞}` of a matrix `(d_out, d_in)`; for a kernel
    `(c_out, c_in, k_h, k_w)` the largest `Σ_{c,p,q} |K[t,c,p,q]|`, an upper bound on the
    convolution's `||·||_{∞→∞}` (an output entry reads each kernel entry at most once)."""
    return float(a.double().abs().flatten(1).sum(1).max()) * (1 + ROUNDING_MARGIN)


def certified_error_max_norm(target: Network, layers: tuple[HalfLineLayer, ...]) -> CertifiedBound:
    """Upper bound on `sup_{||x||_∞ ≤ 1} ||f(x) − g̃(x)||_∞`, `g̃ = L̂_l ∘ σ ∘ … ∘ L̂_1`,
    `L̂_i(h) = P_i σ(h) − N_i σ(−h)` (ours).

    `approx.measurement.certified.certified_error`'s recursion with ∞-norms (ReLU is
    1-Lipschitz in every coordinate, so in max-norm), and the layer-1 terms in their ∞ form:
    per input coordinate only one of `h⁺_j`, `h⁻_j` is non-zero, so
    `|[(P − W) h⁺ − (N − W) h⁻]_k| ≤ Σ_j max(|P − W|, |N − W|)_kj ||h||_∞` gives
    `e_1 = ||max(|P − W|, |N − W|)||_{∞→∞}`; and since `|u⁺_j − v⁺_j| + |u⁻_j − v⁻_j| =
    |u_j − v_j|`, `Lip_1 = ||max(|P|, |N|)||_{∞→∞}`. For i ≥ 2 (inputs ≥ 0) `e_i =
    ||P_i − W_i||_{∞→∞}`, `Lip_i = ||P_i||_{∞→∞}`. A convolution's `||·||_{∞→∞}` is bounded by
    its largest output channel's `Σ |K|` (exact where an output entry sees the whole kernel).
    """
    if len(layers) != target.depth:
        raise InvalidArgument(
            f"layers has {len(layers)} entries but the target has depth {target.depth}"
        )
    errs, lips, norms, partial = [], [], [], []
    delta, bound = 0.0, 1.0
    for i, (lay, w) in enumerate(zip(layers, target.weights, strict=True)):
        P, N, W = lay.P.double(), lay.N.double(), w.double()
        if i == 0:
            e = _rows(torch.maximum((P - W).abs(), (N - W).abs()))
            lip = _rows(torch.maximum(P.abs(), N.abs()))
        else:
            e, lip = _rows(P - W), _rows(P)
        norm_w = _rows(W)
        delta = min(e * (bound + delta) + norm_w * delta, lip * delta + e * bound)
        bound *= norm_w
        errs.append(e)
        lips.append(lip)
        norms.append(norm_w)
        partial.append(delta)
    return CertifiedBound(delta, tuple(errs), tuple(lips), tuple(norms), tuple(partial))


def empirical_error_max_norm(
    f,
    g,
    d_in: int,
    *,
    generator: torch.Generator,
    n_samples: int,
    ascent_steps: int,
    n_ascent: int = defaults.ASCENT_STARTS,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> float:
    """The largest `||f(x) − g(x)||_∞` found on the cube `||x||_∞ ≤ 1`: `n_samples` points
    (even-numbered at random vertices, odd-numbered uniform inside), then `ascent_steps` of
    projected sign-gradient ascent from the `n_ascent` best (step 0.5, × 0.95 per step,
    clipped to the cube). A lower estimate; `f`, `g` map `(batch, d_in)` to `(batch, d_out)`."""
    check_positive_int("n_samples", n_samples)
    if ascent_steps < 0:
        raise InvalidArgument(f"ascent_steps={ascent_steps} must be >= 0")

    def gap(x: torch.Tensor) -> torch.Tensor:
        return (f(x) - g(x)).abs().amax(dim=1)  # (batch,)

    u = torch.rand(n_samples, d_in, generator=generator, dtype=torch.float64) * 2 - 1
    vertex = (torch.arange(n_samples) % 2 == 0)[:, None]
    x = torch.where(vertex, torch.sign(u), u).to(device=device, dtype=dtype)  # (n, d_in)
    with torch.no_grad():
        values = torch.cat([gap(chunk) for chunk in x.split(CHUNK_ROWS)])
    top = torch.topk(values, min(n_ascent, n_samples)).indices
    best = values[top].clone()
    x, step = x[top].clone(), 0.5
    for _ in range(ascent_steps):
        x.requires_grad_(True)
        (grad,) = torch.autograd.grad(gap(x).sum(), x)
        with torch.no_grad():
            x = (x + step * torch.sign(grad)).clamp(-1.0, 1.0)
            best = torch.maximum(best, gap(x))
        step *= 0.95
    return float(best.max())


def max_norm_errors(
    target: Network,
    g,
    layers: tuple[HalfLineLayer, ...],
    *,
    generator: torch.Generator,
    n_samples: int,
    ascent_steps: int,
    certified_l2: float,
) -> tuple[float, float]:
    """(certified, empirical) `sup_{||x||_∞ ≤ 1} ||f(x) − g(x)||_∞` of the realised `layers`
    and of `g`, the masked random network's forward pass on flattened inputs.

    Certified: the least of `certified_error_max_norm` and `sqrt(d_0) · certified_l2` (the l2
    bound over the unit ball): `||x||_2 ≤ sqrt(d_0) ||x||_∞`, `||·||_∞ ≤ ||·||_2`, and a
    bias-free ReLU target and its realisation are positively homogeneous, so the sup over the
    l2 ball of radius `sqrt(d_0)` is `sqrt(d_0)` times that over the unit ball."""
    d_in = target.feature_widths[0]
    cert = min(certified_error_max_norm(target, layers).value, d_in**0.5 * certified_l2)
    emp = empirical_error_max_norm(
        flat_forward(target.forward, target.input_shape),
        g,
        d_in,
        generator=generator,
        n_samples=n_samples,
        ascent_steps=ascent_steps,
        dtype=target.dtype,
        device=target.device,
    )
    return cert, emp
