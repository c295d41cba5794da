"""Operator norms of 2-d convolutions (stride 1, zero padding), proven upper bounds.

A convolution `T: x (c_in, H, W) ↦ conv2d(x, K, padding=p)` (torch's cross-correlation) is a
linear map between flattened tensors; the certified error needs upper bounds on
`||T||_{2→2}` (largest singular value) and `||T||_{∞→∞}` (the paper's max-norm).

`||T||_{2→2}`, three bounds, each provably ≥ the true norm; `conv_norm_2` takes their minimum:

- **FFT** (`fft_norm_bound`). Put the zero-padded input on a torus of `N_h × N_w` pixels,
  `N_h ≥ H + 2p`, `N_w ≥ W + 2p`. For every output position `(i, j)` of the finite map,
  `i + k_h − 1 ≤ H + 2p − 1 < N_h` (same for j): no index wraps around, so
  `T = R ∘ C ∘ E` with `E` the isometric embedding of x into the padded torus, `C` the
  circular cross-correlation with K on the torus and `R` a restriction to some coordinates
  (norm ≤ 1). Hence `||T|| ≤ ||C||`. The 2-d DFT (unitary) block-diagonalises `C`: on
  frequency ω it acts by the `c_out × c_in` matrix
  `K̂(ω) = Σ_{p,q} K[:, :, p, q] e^{±2πi(ω·(p,q))/N}`
  (the sign of the exponent does not change the set of singular values), so
  `||C|| = max_ω ||K̂(ω)||_2` over the `N_h N_w` DFT frequencies — a maximum over finitely
  many matrices, exact for C (Sedghi, Gupta, Long 2019, "The singular values of
  convolutional layers", Theorem 6, for the circular case).
- **Schur** (`schur_norm_bound`): `||T||_2 ≤ sqrt(||T||_{1→1} ||T||_{∞→∞})` with
  `||T||_{∞→∞} ≤ max_t Σ_{c,p,q} |K[t,c,p,q]|` and `||T||_{1→1} ≤ max_c Σ_{t,p,q} |K[t,c,p,q]|`
  (largest absolute row and column sums of T's matrix: a row or column holds each kernel entry
  at most once).
- **Exact** (`conv_matrix`): where T's matrix has at most `EXACT_ENTRIES` entries, its
  spectral norm from an SVD in float64, like a dense layer's.

Rounding: SVDs and FFTs in float64 are accurate to a few ulps of their largest values; each
bound is inflated by a relative `1e-10` and the FFT bound also by
`sqrt(c_out c_in) · 16 log2(N_h N_w + 1) · 2^-52 · max_{t,c} ||K[t, c]||_1` (an entry of
`K̂(ω)` is a sum of `k_h k_w` terms bounded by `||K[t, c]||_1`; the computed FFT's entrywise
error is below that multiple of the unit roundoff, and the spectral norm moves by at most the
Frobenius norm of the error), so they stay upper bounds for the float64 kernel given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ..basics.errors import InvalidArgument

ROUNDING_MARGIN = 1e-10  # relative, as for the dense layers' SVD norms
EXACT_ENTRIES = 4_000_000  # matrices up to this many entries get an exact SVD norm


def _check(kernel: torch.Tensor, hw: Sequence[int], padding: int) -> tuple[int, int]:
    if kernel.ndim != 4:
        raise InvalidArgument(f"kernel has shape {tuple(kernel.shape)}; expected 4 dimensions")
    h, w = (int(v) for v in hw)
    if padding < 0 or h + 2 * padding < kernel.shape[2] or w + 2 * padding < kernel.shape[3]:
        raise InvalidArgument(
            f"kernel {tuple(kernel.shape)} does not fit an input {h}x{w} with padding {padding}"
        )
    return h, w


def conv_matrix(kernel: torch.Tensor, hw: Sequence[int], padding: int = 0) -> torch.Tensor:
    """The explicit matrix of `x ↦ conv2d(x, kernel, padding=padding)` on inputs
    `(c_in, H, W)`, flattened like `torch.flatten`: `(c_out·H'·W', c_in·H·W)`, in float64.
    Column j is the image of the j-th basis tensor (the slow, obviously correct oracle)."""
    h, w = _check(kernel, hw, padding)
    c_in = kernel.shape[1]
    eye = torch.eye(c_in * h * w, dtype=torch.float64, device=kernel.device)
    basis = eye.reshape(c_in * h * w, c_in, h, w)  # (c_in·H·W, c_in, H, W)
    out = F.conv2d(basis, kernel.double(), padding=padding)  # (c_in·H·W, c_out, H', W')
    return out.flatten(1).T  # (c_out·H'·W', c_in·H·W)


def fft_norm_bound(kernel: torch.Tensor, hw: Sequence[int], padding: int = 0) -> float:
    """`max_ω ||K̂(ω)||_2` over the DFT frequencies of the `(H + 2p) × (W + 2p)` torus, with
    the rounding margin of the module docstring: an upper bound on `||T||_{2→2}`."""
    h, w = _check(kernel, hw, padding)
    c_out, c_in = kernel.shape[:2]
    n_h, n_w = h + 2 * padding, w + 2 * padding
    k = kernel.double()
    spectrum = torch.fft.fft2(k, s=(n_h, n_w))  # (c_out, c_in, n_h, n_w), complex
    norms = torch.linalg.matrix_norm(spectrum.permute(2, 3, 0, 1), ord=2)  # (n_h, n_w)
    l1 = float(k.abs().sum((2, 3)).max())
    fft_error = math.sqrt(c_out * c_in) * 16 * math.log2(n_h * n_w + 1) * 2.0**-52 * l1
    return float(norms.max()) * (1 + ROUNDING_MARGIN) + fft_error


def max_norm(kernel: torch.Tensor) -> float:
    """`max_t Σ_{c,p,q} |K[t,c,p,q]|`: an upper bound on `||T||_{∞→∞}` (exact where some
    output position sees the whole kernel), inflated by the rounding margin."""
    return float(kernel.double().abs().sum((1, 2, 3)).max()) * (1 + ROUNDING_MARGIN)


def schur_norm_bound(kernel: torch.Tensor) -> float:
    """`sqrt(||T||_{1→1} ||T||_{∞→∞})` from the kernel's largest channel sums of |K|: an upper
    bound on `||T||_{2→2}` whatever the input size and padding."""
    a = kernel.double().abs()
    rows = float(a.sum((1, 2, 3)).max())  # ∞→∞: one output entry
    cols = float(a.sum((0, 2, 3)).max())  # 1→1: one input entry
    return math.sqrt(rows * cols) * (1 + ROUNDING_MARGIN)


def conv_norm_2(kernel: torch.Tensor, hw: Sequence[int], padding: int = 0) -> float:
    """The least of the FFT, Schur and (for a small map) exact SVD bounds on `||T||_{2→2}`."""
    h, w = _check(kernel, hw, padding)
    c_out, c_in, kh, kw = kernel.shape
    bound = min(fft_norm_bound(kernel, hw, padding), schur_norm_bound(kernel))
    out_entries = c_out * (h + 2 * padding - kh + 1) * (w + 2 * padding - kw + 1)
    if out_entries * c_in * h * w <= EXACT_ENTRIES:
        exact = torch.linalg.matrix_norm(conv_matrix(kernel, hw, padding), ord=2)
        bound = min(bound, float(exact) * (1 + ROUNDING_MARGIN))
    return bound
