"""The sandwich: an upper and a lower value of `sup_{||x||_2 ≤ 1} ||f(x) − g̃(x)||_2` that close
on each other as the budget grows.

Exact where the input has 1 or 2 dimensions: the two points of the 0-sphere, or every linear
region of the error map on the circle (`approx.measurement.difference.circle_sup`). Otherwise
branch and bound over input regions with linear-relaxation bounds per ReLU, as neural-network
verifiers bound a network (DeepZ / CROWN-style: every ReLU replaced by a linear map plus a
bounded error term on a region), applied to the *difference* of the two networks (as
differential verifiers do: ReluDiff / NeuroDiff, Paulsen et al. 2020):

- Regions. `e(cx) = c e(x)` for `c ≥ 0` (`approx.measurement.difference`), so the sup over the
  ball is the sup over the sphere, and over the sphere's part in a cone `K(B) = {t y : y ∈ B,
  t ≥ 0}` it is `sup_{y ∈ B} ||e(y)|| / ||y||`. The cones over boxes `B` on the faces of the
  cube `[−1, 1]^d` (2d faces, each a (d−1)-box) cover every direction; branching halves a box
  along its widest side.
- Bounds on a box. Affine forms over noise symbols `ε ∈ [−1, 1]^K` (a zonotope): the input
  `y = c + r ε_x`; `u_i` (target pre-activations) and `δ_i = v_i − u_i` (the realisation's
  minus the target's, `approx.measurement.difference`) propagate exactly through the linear
  maps. `σ(z)` on `z ∈ [lo, hi]` with `lo < 0 < hi` becomes `λz + μ + μ ε_new`, `λ =
  hi/(hi − lo)`, `μ = max(−λ lo, (1 − λ) hi)/2` (sound for any λ ∈ [0, 1]: `σ(z) − λz` is
  convex, 0 at 0, largest at an end). `Δs = σ(u + δ) − σ(u)` is the lesser-radius of two
  sound enclosures: the difference of the two ReLU relaxations (sharing u's symbol; exact
  where both ReLUs are stable), or the interval `[max(min(0, δlo), σ(vlo) − σ(uhi)),
  min(max(0, δhi), σ(vhi) − σ(ulo))]` on a new symbol (its width is the error's size, not
  the box's, which is what makes this work where the box straddles a ReLU of both nets).
  The output form `δ_l = c + G ε` is bounded by the exact max of `||·||_2` over the vertices
  of its `m` largest generators plus the norms of the rest (the norm is convex: its max over
  the zonotope is at a vertex), divided by `min_{y ∈ B} ||y||`.
- Lower values: `||e||` at the centre and at the bounding vertex of each box, projected to the
  sphere (`difference.error_at`), and at any start points given (the empirical argmax).

Convergence: on a box where no ReLU of either net switches, the form is exact and the bound
exceeds the box's sup only by the ratio of `||y||` over the box (→ 1 as it shrinks); where one
switches, by the box-size terms of the relaxations. Best-first: the box with the largest
upper value is split next, so the upper value never grows and the gap closes with the
budget (tested in `tests/test_sandwich.py`).

Arithmetic: float64 without directed rounding; pre-activation bounds are widened by a
relative 1e-12 and every upper value by a relative 1e-9 for rounding (`difference` keeps `δ`
free of cancellation, so its relative rounding is ~1e-14). Budget: `max_boxes` boxes bounded
(deterministic), and optionally `seconds` (machine-dependent: then say so).
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from dataclasses import dataclass

import torch

from ..basics import defaults
from ..basics.errors import InvalidArgument, check_positive_int
from ..basics.units import format_widths
from .difference import circle_sup, error_at
from .stored import StoredLayer

_WIDEN = 1e-12  # relative widening of every pre-activation bound
UPPER_FACTOR = 1 + 1e-9  # relative allowance on every upper value for float64 rounding
_VERTEX_GENERATORS = 10  # generators enumerated exactly in the output norm bound
_BATCH = 256  # boxes split per step
_BOX_BYTES = 2**28  # memory for one batch of boxes' affine forms
MAX_BOX_FORM = 2**18  # symbols x neurons of one box's largest form: the sandwich's size limit


def _form_size(widths) -> int:
    """Symbols × neurons of one box's largest affine form for target `widths`."""
    symbols = 2 * widths[0] + 2 * sum(widths[1:-1])
    return symbols * max(widths)


def check_size(widths) -> None:
    """Refuse a branch and bound whose affine forms would not fit (2 inputs or fewer: any)."""
    widths = tuple(widths)
    if widths[0] > 2 and _form_size(widths) > MAX_BOX_FORM:
        raise InvalidArgument(
            f"the sandwich (error='sandwich', --error sandwich) bounds boxes with "
            f"{_form_size(widths):,} symbol-neuron terms each for widths {format_widths(widths)} "
            f"(at most {MAX_BOX_FORM:,}): use error='certified' for a network this size"
        )


def check_covers(target_widths, half_line: bool, construction: str) -> None:
    """Refuse what the sandwich cannot bound: a realisation that is not the half-line form of
    a depth-2l construction (`half_line` False: the depth-(l+1) construction realises copies),
    or one too large (`check_size`)."""
    if not half_line:
        raise InvalidArgument(
            f"the sandwich (error='sandwich', --error sandwich) bounds the half-line layers of "
            f"depth-2l constructions; {construction!r} realises copies of a depth-(l+1) "
            "network: use error='certified'"
        )
    check_size(target_widths)


def covers(target_widths, half_line: bool) -> bool:
    """Whether `check_covers` accepts these widths."""
    try:
        check_covers(target_widths, half_line, "")
    except InvalidArgument:
        return False
    return True


@dataclass(frozen=True)
class Sandwich:
    """`lower ≤ sup_{||x|| ≤ 1} ||f(x) − g̃(x)|| ≤ upper`; `lower` is `||f − g̃||` at `argmax`
    (unit sphere). `method`: "exact regions" (d_0 ≤ 2: `upper` is the closed-form sup with
    the rounding allowance) or "branch and bound"; `boxes`: regions or boxes bounded."""

    upper: float
    lower: float
    argmax: torch.Tensor
    method: str
    boxes: int
    seconds: float

    @property
    def ratio(self) -> float:
        return self.upper / self.lower if self.lower > 0 else math.inf


def _range(c: torch.Tensor, g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    rad = g.abs().sum(1)  # (B, n)
    widen = _WIDEN * (c.abs() + rad)
    return c - rad - widen, c + rad + widen


def _relax(lo: torch.Tensor, hi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """`σ(z) ∈ λ z + μ + μ ε` for `z ∈ [lo, hi]` (λ = 1, μ = 0 on, λ = μ = 0 off)."""
    on, off = lo >= 0, hi <= 0
    mixed = ~(on | off)
    span = torch.where(mixed, hi - lo, 1.0)
    lam = torch.where(on, 1.0, torch.where(off, 0.0, hi / span))
    mu = torch.where(mixed, torch.maximum(-lam * lo, (1 - lam) * hi) / 2, 0.0)
    return lam, mu


def _with(g: torch.Tensor, diag: torch.Tensor) -> torch.Tensor:
    """`g` `(B, K, n)` with one new symbol per neuron, `diag` `(B, n)` its coefficient."""
    return torch.cat([g, torch.diag_embed(diag)], dim=1)


def _output_form(stored: tuple[StoredLayer, ...], c: torch.Tensor, r: torch.Tensor):
    """Affine form `(centre (B, d_l), generators (B, K, d_l))` of `δ_l` over boxes `c ± r`;
    symbols `0 … d_0 − 1` are the input's, the others come from relaxations."""
    gx = torch.diag_embed(r)  # (B, d0, d0): y = c + r ε
    lam, mu = _relax(-c - r, -c + r)  # σ(−y)
    neg_c, neg_g = lam * -c + mu, _with(lam[:, None, :] * -gx, mu)
    gx = torch.cat([gx, torch.zeros_like(gx)], dim=1)
    first = stored[0]
    u_c, u_g = c @ first.W.T, gx @ first.W.T
    d_c, d_g = c @ first.DP.T + neg_c @ first.PN.T, gx @ first.DP.T + neg_g @ first.PN.T
    for s in stored[1:]:
        lo_u, hi_u = _range(u_c, u_g)
        v_c, v_g = u_c + d_c, u_g + d_g
        lo_v, hi_v = _range(v_c, v_g)
        lo_d, hi_d = _range(d_c, d_g)
        lam_u, mu_u = _relax(lo_u, hi_u)
        s_c, s_g = lam_u * u_c + mu_u, _with(lam_u[:, None, :] * u_g, mu_u)
        lam_v, mu_v = _relax(lo_v, hi_v)
        two_c = lam_v * v_c + mu_v - s_c
        two_g = _with(lam_v[:, None, :] * _with(v_g, torch.zeros_like(mu_u)) - s_g, mu_v)
        a = torch.maximum(torch.clamp(lo_d, max=0), torch.relu(lo_v) - torch.relu(hi_u))
        b = torch.minimum(torch.clamp(hi_d, min=0), torch.relu(hi_v) - torch.relu(lo_u))
        box_c, box_r = (a + b) / 2, ((b - a) / 2).clamp(min=0)
        use_box = box_r < two_g.abs().sum(1)  # (B, n)
        ds_c = torch.where(use_box, box_c, two_c)
        ds_g = torch.where(use_box[:, None, :], 0.0, two_g)
        ds_g[:, -box_r.shape[1] :] += torch.diag_embed(use_box * box_r)
        s_g = _with(s_g, torch.zeros_like(mu_v))
        u_c, u_g = s_c @ s.W.T, s_g @ s.W.T
        d_c, d_g = s_c @ s.DP.T + ds_c @ s.P.T, s_g @ s.DP.T + ds_g @ s.P.T
    return d_c, d_g


def _norm_bound(c: torch.Tensor, g: torch.Tensor, y_c: torch.Tensor, y_r: torch.Tensor):
    """Upper bound, per box, on `max_ε ||c + ε G|| / ||y(ε)||` over `ε ∈ [−1, 1]^K`, with
    `y = y_c + y_r ε_x` the input (symbols `0 … d_0 − 1`), and the symbols `(B, K)` of the
    vertex attaining it. `||y|| ≥ ŷ·y` for the unit `ŷ = y_c / ||y_c||` (tangent plane), an
    affine `ℓ(ε)` with second-order error; `(||c + εG|| + R) / ℓ(ε)` is quasi-convex (convex
    over positive affine), so its max over the cube of the `m` largest generators is at a
    vertex; the other generators add their norms `R` and lower `ℓ` by their `|ℓ_k|`."""
    batch, k, n = g.shape
    d0 = y_c.shape[1]
    norms = g.norm(dim=2)  # (B, K)
    m = max(1, min(_VERTEX_GENERATORS, int((norms > 0).sum(1).max())))
    top = norms.topk(m, dim=1).indices  # (B, m)
    gt = g.gather(1, top[:, :, None].expand(-1, -1, n))  # (B, m, n)
    rest = (norms.sum(1) - norms.gather(1, top).sum(1)).clamp(min=0)
    lin = torch.zeros(batch, k, dtype=g.dtype)
    lin[:, :d0] = y_c / y_c.norm(dim=1, keepdim=True) * y_r  # ℓ's slope per input symbol
    lt = lin.gather(1, top)  # (B, m)
    l0 = y_c.norm(dim=1) - (lin.abs().sum(1) - lt.abs().sum(1))
    signs = torch.tensor(list(itertools.product((-1.0, 1.0), repeat=m)), dtype=g.dtype)
    vn = (c[:, None, :] + torch.einsum("vm,bmn->bvn", signs, gt)).norm(dim=2)  # (B, 2^m)
    ell = (l0[:, None] + lt @ signs.T) * (1 - 1e-12)  # (B, 2^m)
    ratio = torch.where(ell > 0, (vn + rest[:, None]) / ell.clamp(min=1e-300), torch.inf)
    best, idx = ratio.max(1)
    far = (y_c.abs() - y_r).clamp(min=0).norm(dim=1) * (1 - 1e-12)  # min ||y|| on the box
    plain = (vn.max(1).values + rest) / far
    eps = torch.zeros(batch, k, dtype=g.dtype)
    eps.scatter_(1, top, signs[idx])
    return torch.minimum(best, plain), eps


def _bound(stored, c: torch.Tensor, r: torch.Tensor, chunk: int):
    """Per box: the upper value of `sup ||e||/||y||` and two candidate points (centre, vertex)."""
    uppers, cands = [], []
    for lo in range(0, c.shape[0], chunk):
        cc, rr = c[lo : lo + chunk], r[lo : lo + chunk]
        upper, eps = _norm_bound(*_output_form(stored, cc, rr), cc, rr)
        uppers.append(upper * UPPER_FACTOR)
        cands += [cc, cc + rr * eps[:, : cc.shape[1]]]
    return torch.cat(uppers), torch.cat(cands)


class _Best:
    """The best lower value so far and where."""

    def __init__(self, d0: int) -> None:
        self.value, self.point = 0.0, torch.zeros(d0, dtype=torch.float64)
        self.point[0] = 1.0

    def offer(self, stored, points: torch.Tensor) -> None:
        x = points / points.norm(dim=1, keepdim=True)
        vals = error_at(stored, x).norm(dim=1)
        i = int(vals.argmax())
        if float(vals[i]) > self.value:
            self.value, self.point = float(vals[i]), x[i].clone()


def _roots(d0: int) -> tuple[torch.Tensor, torch.Tensor]:
    c = torch.cat([torch.eye(d0), -torch.eye(d0)]).double()  # (2 d0, d0): face centres
    return c, 1.0 - c.abs()


def _push(heap, upper, c, r, target, tie) -> float:
    """Push the boxes whose upper value exceeds `target` and that can still be split (a box
    of zero size is a point: its value is exact); return the largest upper value not pushed."""
    rest = 0.0
    splittable = (r.amax(1) > 0).tolist()
    for i, u in enumerate(upper.tolist()):
        if u > target and splittable[i]:
            heapq.heappush(heap, (-u, next(tie), c[i], r[i]))
        else:
            rest = max(rest, u)
    return rest


def _branch_and_bound(stored, best: _Best, max_boxes: int, rel_tol: float, seconds, t0):
    d0 = stored[0].W.shape[1]
    widths = (d0, *(s.W.shape[0] for s in stored))
    check_size(widths)
    per_box = max(2**_VERTEX_GENERATORS * widths[-1], 10 * _form_size(widths))
    chunk = max(1, _BOX_BYTES // (8 * per_box))
    c, r = _roots(d0)
    upper, cands = _bound(stored, c, r, chunk)
    best.offer(stored, cands)
    boxes, tie, heap = c.shape[0], itertools.count(), []
    settled = _push(heap, upper, c, r, best.value * (1 + rel_tol), tie)
    while heap and boxes < max_boxes:
        if seconds is not None and time.perf_counter() - t0 > seconds:
            break
        target = best.value * (1 + rel_tol)
        if -heap[0][0] <= target:
            break
        take = []
        while heap and len(take) < _BATCH and -heap[0][0] > target:
            take.append(heapq.heappop(heap))
        pc, pr = torch.stack([t[2] for t in take]), torch.stack([t[3] for t in take])
        dim = pr.argmax(1)  # widest side
        half = pr.gather(1, dim[:, None]).squeeze(1) / 2
        step = torch.zeros_like(pc).scatter_(1, dim[:, None], half[:, None])
        kids_r = pr - step
        kids_c = torch.cat([pc - step, pc + step])
        kids_r = torch.cat([kids_r, kids_r])
        upper, cands = _bound(stored, kids_c, kids_r, chunk)
        # a kid's cone lies in its parent's, so the parent's upper value holds for it too: the
        # relaxation of a smaller box is not always tighter, and without the cap the upper
        # value could grow with the budget
        parent = torch.tensor([-t[0] for t in take], dtype=upper.dtype)
        upper = torch.minimum(upper, torch.cat([parent, parent]))
        best.offer(stored, cands)
        boxes += kids_c.shape[0]
        settled = max(settled, _push(heap, upper, kids_c, kids_r, best.value * (1 + rel_tol), tie))
    top = -heap[0][0] if heap else 0.0
    return max(top, settled, best.value), boxes


def _check(max_boxes: int, rel_tol: float, seconds: float | None) -> None:
    check_positive_int("max_boxes", max_boxes)
    if not rel_tol >= 0:
        raise InvalidArgument(f"rel_tol={rel_tol!r} must be >= 0")
    if seconds is not None and not seconds > 0:
        raise InvalidArgument(f"seconds={seconds!r} must be > 0")


def _start(stored, start_points: torch.Tensor | None) -> _Best:
    d0 = stored[0].W.shape[1]
    best = _Best(d0)
    if start_points is not None and start_points.numel():
        best.offer(stored, start_points.double().reshape(-1, d0).cpu())
    return best


def bound_by_boxes(
    stored: tuple[StoredLayer, ...],
    *,
    max_boxes: int = defaults.SANDWICH_BOXES,
    rel_tol: float = defaults.SANDWICH_TOL,
    seconds: float | None = None,
    start_points: torch.Tensor | None = None,
) -> Sandwich:
    """Branch and bound over cones of input boxes (module docstring), for any `d_0`, until
    `upper ≤ (1 + rel_tol) lower`, `max_boxes` boxes, or `seconds`."""
    _check(max_boxes, rel_tol, seconds)
    t0 = time.perf_counter()
    best = _start(stored, start_points)
    upper, boxes = _branch_and_bound(stored, best, max_boxes, rel_tol, seconds, t0)
    method = "exact regions" if stored[0].W.shape[1] == 1 else "branch and bound"
    return Sandwich(upper, best.value, best.point, method, boxes, time.perf_counter() - t0)


def sandwich(
    stored: tuple[StoredLayer, ...],
    *,
    max_boxes: int = defaults.SANDWICH_BOXES,
    rel_tol: float = defaults.SANDWICH_TOL,
    seconds: float | None = None,
    start_points: torch.Tensor | None = None,
) -> Sandwich:
    """Upper and lower values of `sup_{||x|| ≤ 1} ||f(x) − g̃(x)||` for the stored layers (see
    the module docstring): exact for `d_0 ≤ 2` (for `d_0 = 1` the two points are the boxes);
    otherwise `bound_by_boxes`. `start_points` `(k, d_0)`: candidate points for the lower
    value (e.g. the empirical argmax)."""
    _check(max_boxes, rel_tol, seconds)
    if stored[0].W.shape[1] != 2:
        return bound_by_boxes(
            stored, max_boxes=max_boxes, rel_tol=rel_tol, seconds=seconds, start_points=start_points
        )
    t0 = time.perf_counter()
    best = _start(stored, start_points)
    exact = circle_sup(stored)
    best.offer(stored, exact.argmax[None, :])
    upper = max(exact.value * UPPER_FACTOR, best.value)
    return Sandwich(
        upper, best.value, best.point, "exact regions", exact.regions, time.perf_counter() - t0
    )
