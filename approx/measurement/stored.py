"""The half-line matrices of a pruned network, computed from its stored weights with a proven
bound on every entry's rounding.

A pruned depth-2l network whose first layer of each pair keeps at most one edge per hidden
unit computes, for target layer i, `L̂_i(h) = P_i σ(h) − N_i σ(−h)` with

    P_kj = Σ_{u serves j, a_u > 0} b_ku a_u,      N_kj = Σ_{u serves j, a_u < 0} b_ku a_u

(`a_u` the unit's kept input weight, `b_ku` its kept output weight; docs/error.md). The
bounds of `approx.measurement.certified` and `approx.measurement.sandwich` need `P − W`,
`N − W`, `P − N`, `P`, `N` for the *stored* weights, in exact arithmetic: a construction's
own `P`, `N` are sums rounded in the network's dtype (in float32 a relative 6e-8 of `P ≈ 1`
is already 1% of an error of 6e-6).

How the sums are made exact to the last bit (Ogita, Rump & Oishi 2005, "Accurate sum and
dot product", SIAM J. Sci. Comput. 26(6)):
- every product `b a` is split error-free into `p + e` (`TwoProduct`, Dekker's splitting):
  `p = fl(ba)`, `e = ba − p` exactly, both float64 (for float32 weights `e = 0`: a product of
  two 24-bit significands fits float64's 53 bits);
- the terms and `−W` are summed by `Sum2` (cascaded `TwoSum`), whose result `res` satisfies
  `|res − s| ≤ u|res|/(1 − u) + γ²_{K−1} Σ|t|/(1 − u)` (their Proposition 4.5, rearranged;
  `u = 2^-53`, `γ_k = ku / (1 − ku)`, K terms), as accurate as a sum in twice the precision.
`TwoSum` is exact even with underflow; `TwoProduct` is exact unless `|ba| < 2^-969`, so a
further 2^-1000 per product is allowed for that (our weights are ≥ 2^-53 in magnitude or 0).
No overflow is possible for weights in [−1, 1] and fewer than 2^50 terms.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..basics.errors import InvalidArgument
from ..basics.kernel_cache import uncached
from ..basics.masks import Masks, kept_sum
from ..basics.network import Network
from ._stored_kernel import KEYS, accumulate, accumulators

U64 = 2.0**-53  # unit roundoff of float64
_SPLIT = 2.0**27 + 1  # Dekker's splitter for float64
_UNDERFLOW = 2.0**-1000  # per-product allowance for TwoProduct below 2^-969


def gamma(k: int) -> float:
    """`γ_k = k u / (1 − k u)` for float64 (Higham, Accuracy and Stability, §3.1)."""
    return k * U64 / (1 - k * U64)


def two_sum(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Knuth's TwoSum: `s = fl(a + b)`, `e = a + b − s` exactly (any rounding to nearest)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def two_product(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Dekker's TwoProduct without FMA: `p = fl(ab)`, `e = ab − p` exactly (no underflow)."""
    p = a * b
    ca, cb = _SPLIT * a, _SPLIT * b
    ah, bh = ca - (ca - a), cb - (cb - b)
    al, bl = a - ah, b - bh
    return p, al * bl - (((p - ah * bh) - al * bh) - ah * bl)


class _Sum2:
    """Running `Sum2` over terms added one tensor at a time (elementwise)."""

    def __init__(self, first: torch.Tensor) -> None:
        self.s = first.clone()
        self.c = torch.zeros_like(first)
        self.abs = first.abs()
        self.count = 1

    @classmethod
    def of(cls, s: torch.Tensor, c: torch.Tensor, total: torch.Tensor, count: int) -> _Sum2:
        """The accumulator after `count` terms, from its running sum `s`, correction `c` and
        sum of magnitudes `total` (`approx.measurement._stored_kernel`'s)."""
        out = cls.__new__(cls)
        out.s, out.c, out.abs, out.count = s, c, total, count
        return out

    def add(self, t: torch.Tensor) -> None:
        self.s, e = two_sum(self.s, t)
        self.c += e
        self.abs += t.abs()
        self.count += 1

    def result(self, extra: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """`(res, bound)`: `|res − exact sum| ≤ bound` entrywise. `extra`: an absolute error
        already in the terms (added to the bound). `self.abs`, a float sum of `count`
        nonnegative terms, is at most `(1 + γ_count)` times too small."""
        res = self.s + self.c
        k = self.count
        total_abs = self.abs * (1 + 2 * gamma(k))
        bound = (U64 * res.abs() + gamma(k - 1) ** 2 * total_abs) / (1 - U64)
        if extra is not None:
            bound = bound + extra
        return res, bound * (1 + 4 * U64)  # the bound's own arithmetic: a few roundings


@dataclass(frozen=True)
class StoredLayer:
    """One target layer and its realisation, float64, each with an entrywise bound on its
    rounding (`|computed − exact| ≤ bound`): `W` exact; `P`, `N`, `DP = P − W`,
    `DN = N − W`, `PN = P − N` as sums of the stored network's kept products."""

    W: torch.Tensor
    P: torch.Tensor
    N: torch.Tensor
    DP: torch.Tensor
    DN: torch.Tensor
    PN: torch.Tensor
    P_err: torch.Tensor
    N_err: torch.Tensor
    DP_err: torch.Tensor
    DN_err: torch.Tensor
    PN_err: torch.Tensor


def _unit_columns(mask1: torch.Tensor, i: int) -> torch.Tensor:
    """The input each hidden unit keeps (−1 if none); refuses a unit keeping two."""
    kept = mask1.sum(1)
    if bool((kept > 1).any()):
        raise InvalidArgument(
            f"masks layer {2 * i + 1} keeps {int(kept.max())} input edges for one hidden unit; "
            "the half-line form needs at most one"
        )
    col = mask1.to(torch.uint8).argmax(1)
    return torch.where(kept == 1, col, torch.full_like(col, -1))


def _slots(col: torch.Tensor, d_in: int) -> torch.Tensor:
    """`(d_in, G)` unit indices serving each input (padded with `hidden`, a zero unit)."""
    hidden = col.numel()
    counts = torch.bincount(col[col >= 0], minlength=d_in)
    width = int(counts.max()) if counts.numel() else 0
    order = torch.argsort(col, stable=True)
    sorted_col = col[order]
    start = torch.searchsorted(sorted_col, torch.arange(d_in, device=col.device))
    r = torch.arange(width, device=col.device)
    pos = start[:, None] + r  # (d_in, G)
    ok = r[None, :] < counts[:, None]
    return torch.where(ok, order[pos.clamp(max=hidden - 1)], torch.full_like(pos, hidden))


def stored_layer(w: torch.Tensor, m1, m2, mask1, mask2, i: int) -> StoredLayer:
    """`StoredLayer` of target weight `w` `(d_out, d_in)` realised by random layers `m1`
    `(h, d_in)`, `m2` `(d_out, h)` under masks `mask1`, `mask2`."""
    d_out, d_in = w.shape
    col = _unit_columns(mask1, i)
    a = kept_sum(m1, mask1).double()  # (h,): the kept input weight (exact: one term)
    b = (m2 * mask2).double()  # (d_out, h)
    a = torch.cat([a, a.new_zeros(1)])  # index h: the zero unit
    b = torch.cat([b, b.new_zeros(d_out, 1)], dim=1)
    slots = _slots(col, d_in)  # (d_in, G)
    wd = w.double()
    exact_products = m1.dtype in (torch.float32, torch.float16, torch.bfloat16)
    if wd.device.type == "cpu":
        acc = _accumulate_cpu(wd, a, b, slots, exact_products)
    else:
        acc = _accumulate_torch(wd, a, b, slots, exact_products)
    extra = 0.0 if exact_products else _UNDERFLOW * (slots.shape[1] + 1)
    out = {}
    for key, s in acc.items():
        out[key], out[key + "_err"] = s.result(torch.full_like(wd, extra))
    return StoredLayer(W=wd, **out)


def _accumulate_cpu(wd, a, b, slots, exact_products: bool) -> dict[str, _Sum2]:
    """The five accumulators of `stored_layer` by the fused numba loop (the same numbers)."""
    arrays = accumulators(
        wd.detach().contiguous().numpy(),
        a.detach().contiguous().numpy(),
        b.detach().contiguous().numpy(),
        slots.to(torch.int64).contiguous().numpy(),
        exact_products,
    )
    count = 1 + slots.shape[1] * (1 if exact_products else 2)
    acc = torch.from_numpy(arrays)
    return {key: _Sum2.of(*acc[i], count) for i, key in enumerate(KEYS)}


def _accumulate_torch(wd, a, b, slots, exact_products: bool) -> dict[str, _Sum2]:
    """The five accumulators of `stored_layer`, one `(d_out, d_in)` tensor operation at a time
    (any device; the oracle of `_accumulate_cpu`)."""
    d_out, d_in = wd.shape
    acc = {k: _Sum2(torch.zeros_like(wd)) for k in ("P", "N")}
    acc["DP"], acc["DN"], acc["PN"] = _Sum2(-wd), _Sum2(-wd), _Sum2(torch.zeros_like(wd))
    for g in range(slots.shape[1]):
        u = slots[:, g]  # (d_in,)
        au = a[u]  # (d_in,)
        bu = b[:, u]  # (d_out, d_in)
        parts = [bu * au] if exact_products else list(two_product(bu, au.expand(d_out, -1)))
        pos = (au > 0).expand(d_out, d_in)
        for t in parts:  # (d_out, d_in)
            tp, tn = torch.where(pos, t, 0.0), torch.where(pos, 0.0, t)
            for key, term in (("P", tp), ("N", tn), ("DP", tp), ("DN", tn), ("PN", tp - tn)):
                acc[key].add(term)  # tp − tn: one of them is 0, so exact
    return acc


def stored_layers(target: Network, random_net: Network, masks: Masks) -> tuple[StoredLayer, ...]:
    """`StoredLayer` for every target layer of a pruned depth-2l network (any construction
    whose first layer of each pair keeps at most one input edge per hidden unit)."""
    masks.check_fits(random_net)
    if random_net.depth != 2 * target.depth:
        raise InvalidArgument(
            f"random_net has depth {random_net.depth}, not 2 x target depth {2 * target.depth}"
        )
    out = []
    for i, w in enumerate(target.weights):
        m1, m2 = random_net.weights[2 * i], random_net.weights[2 * i + 1]
        k1, k2 = masks.masks[2 * i].to(m1.device), masks.masks[2 * i + 1].to(m2.device)
        out.append(stored_layer(w, m1, m2, k1, k2, i))
    return tuple(out)


def stored_kernel_uncompiled() -> tuple[str, ...]:
    """The CPU accumulation kernel's name if numba's on-disk cache does not hold it yet (the
    first certify on a machine compiles it, seconds)."""
    return uncached((accumulate,))
