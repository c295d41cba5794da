"""Pruning Burkholz's depth-(l+1) layout (`approx.constructions.burkholz` describes it): one
batch of subset-sum instances per random layer, the masks, and the realised copies that the
certified bound reads.

Instances, per copy r of target neuron k (copies-first tensors, `(copies, d_out, …)`):

- target layer 1, weight `W[k, j]`: the products `b·a` of the first-layer units serving input
  j (`a` their weight, `b` the copy's weight to them). ReLU family: the first n units with
  a > 0 and the first n with a < 0 (of the 2n) are two instances, each targeting
  `W[k, j] / (1 + α)`; smooth: one instance over the block's first n units with coefficients
  `m·a·b`, targeting `W[k, j]`. So no instance has more than n coefficients.
- target layer 1, bias `b[k]`: the products `b·φ(c)` of the copy's weights to the first n
  bias units with their outputs φ(c), targeting `b[k] − φ(0) Σ b` (the kept input units' own
  offset); the constant units use the other n bias units.
- later layer t, weight `W_t[k', k]`: the copy's random weights from the n copies of neuron k
  (plain Uniform[-1, 1] coefficients); bias: its weights to the constant units times their
  outputs. Constant units are pruned like biases, to the pre-activation 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ..basics import defaults
from ..basics.errors import InvalidArgument
from ..basics.masks import Masks
from ..basics.network import Activation, Network
from ..engine.subset_sum import solve
from ..engine.subset_sum.any_size import ANY_SIZE_METHODS, ROW_METHODS, solve_any_size
from .base import CopyLayer, CopyRealisation, FirstCopies


@dataclass(frozen=True)
class Profile:
    """What the construction uses of an activation φ: `φ(t) = value0 + slope·t + r(t)` with
    `|r(t)| ≤ K |t|³` (smooth, `negative_slope` None), or the ReLU family `φ(t) = t` for t ≥ 0,
    `negative_slope·t` for t < 0 (K = 0). `scale` is λ, the first random layer's scale."""

    activation: Activation
    value0: float
    slope: float
    negative_slope: float | None
    K: float
    scale: float

    @property
    def homogeneous(self) -> bool:
        return self.negative_slope is not None


@dataclass
class Search:
    """The subset-sum solver and its tolerances, and how many instances each row method of
    `ROW_METHODS` solved (``exact``/``fewest`` take instances of any size: one beyond a meet
    in the middle is enumerated or solved over a prefix widened until `prefix_tolerance`)."""

    solver: str
    tolerance: float | None = None
    prefix_tolerance: float | None = None
    routed: list[int] = field(default_factory=lambda: [0] * len(ROW_METHODS))


def _solve(groups, search: Search):
    """Solve groups of instances `(coeffs (…, k), targets (…), valid (…, k) | None)`, all with
    the same k, in one batch (one solver call: each costs a thread start-up); per group
    `(chosen (…, k), value (…))`."""
    flat = []
    for coeffs, targets, valid in groups:
        shape = coeffs.shape[:-1]
        v = torch.ones_like(coeffs, dtype=torch.bool) if valid is None else valid.expand_as(coeffs)
        flat.append((coeffs.reshape(-1, coeffs.shape[-1]), targets.expand(shape).reshape(-1), v))
    coeffs = torch.cat([c for c, _, _ in flat])
    targets = torch.cat([t for _, t, _ in flat])
    valid = torch.cat([v.reshape(-1, v.shape[-1]) for _, _, v in flat])
    if search.solver in ANY_SIZE_METHODS:
        stop = search.tolerance if search.solver == "fewest" else search.prefix_tolerance
        out = solve_any_size(coeffs, targets, valid, method=search.solver, tolerance=stop)
        res = out.result
        for code in range(len(ROW_METHODS)):
            search.routed[code] += int((out.how == code).sum())
    else:
        res = solve(coeffs, targets, valid, method=search.solver, tolerance=search.tolerance)
    out, start = [], 0
    for coeffs, _, _ in groups:
        m = coeffs[..., 0].numel()
        chosen = res.chosen[start : start + m].reshape(coeffs.shape)
        out.append((chosen, res.value[start : start + m].reshape(coeffs.shape[:-1])))
        start += m
    return out


def _copies(d_out: int, rows: int, last: bool, where: str) -> int:
    """Copies per neuron of a random layer with `rows` units realising `d_out` neurons."""
    if last:
        if rows != d_out:
            raise InvalidArgument(f"{where} has {rows} units; the last layer needs d_l = {d_out}")
        return 1
    if rows % (d_out + 1):
        raise InvalidArgument(f"{where} has {rows} units, not a multiple of d + 1 = {d_out + 1}")
    return rows // (d_out + 1)


def _bias(target: Network, t: int) -> torch.Tensor:
    b = target.biases[t]
    return torch.zeros_like(target.weights[t][:, 0]) if b is None else b


def _first_layer(target, net, prof, search):
    """Target layer 1 on random layers 1-2: (mask1, bias mask1, mask2, FirstCopies, constant
    outputs or None, instance count)."""
    m1, b1, m2 = net.weights[0], net.biases[0], net.weights[1]
    d0, d1 = target.widths[0], target.widths[1]
    h0 = m1.shape[0]
    if m1.shape[1] != d0 or h0 % (d0 + 1) or b1 is None:
        raise InvalidArgument(
            f"random_net layer 1 has shape {tuple(m1.shape)} (bias: {b1 is not None}); "
            f"burkholz needs 2n(d_0 + 1) x {d0} with biases"
        )
    two_n = h0 // (d0 + 1)
    last = target.depth == 1
    R = _copies(d1, m2.shape[0], last, "random_net layer 2")
    w, phi = target.weights[0], prof.activation
    a = torch.diagonal(m1[: d0 * two_n].reshape(d0, two_n, d0), dim1=0, dim2=2).T  # (d0, 2n)
    out_b = phi(b1[d0 * two_n :])  # (2n,): the bias units' outputs
    rows = m2[: d1 * R].reshape(d1, R, h0).transpose(0, 1)  # (R, d1, h0)
    bw = rows[..., : d0 * two_n].reshape(R, d1, d0, two_n)  # copy -> input units
    bb = rows[..., d0 * two_n :]  # (R, d1, 2n): copy -> bias units
    half = torch.arange(two_n, device=m1.device) < two_n // 2  # (2n,): the first n units
    goal_c = w.new_full((R,), defaults.BURKHOLZ_CONSTANT)
    crow = m2[d1 * R :, d0 * two_n :]  # (R or 0, 2n): constant units -> bias units
    constants = [] if last else [(crow * out_b, goal_c, ~half)]
    if prof.homogeneous:  # every instance at once: the ReLU family has no offset
        alpha = prof.negative_slope
        coeffs, goal = bw * a, (w / (1 + alpha)).expand(R, d1, d0)
        # each sign's first n units: at most n coefficients per instance, like the others
        pos = (a > 0) & ((a > 0).cumsum(-1) <= two_n // 2)
        neg = (a < 0) & ((a < 0).cumsum(-1) <= two_n // 2)
        groups = [(coeffs, goal, pos), (coeffs, goal, neg)]
        groups += [(bb * out_b, _bias(target, 0), half), *constants]
        (ch_p, P), (ch_n, N), (ch_b, bias), *rest = _solve(groups, search)
        chosen = ch_p | ch_n
        P, N = P + alpha * N, N + alpha * P
        tau = torch.zeros_like(P)
    else:  # no sign split: n units per input suffice (the authors' code: rho_in = rho)
        ((chosen, P),) = _solve([(prof.slope * bw * a, w.expand(R, d1, d0), half)], search)
        N = P
        zero = torch.zeros((), dtype=w.dtype)
        tau = prof.K * torch.where(chosen, bw.abs() * a.abs() ** 3, zero).sum(-1)  # (R, d1, d0)
        offset = prof.value0 * torch.where(chosen, bw, zero).sum((-1, -2))  # (R, d1)
        (ch_b, bias), *rest = _solve(
            [(bb * out_b, _bias(target, 0) - offset, half), *constants], search
        )
        bias = bias + offset
    count = chosen.numel() // two_n * (2 if prof.homogeneous else 1) + ch_b.numel() // two_n
    mask2 = torch.cat([chosen.reshape(R, d1, d0 * two_n), ch_b], -1).transpose(0, 1)
    mask2 = mask2.reshape(d1 * R, h0)
    used_b = ch_b.any(0).any(0)  # (2n,)
    consts = None
    if not last:
        ((ch_c, z),) = rest
        count += R
        zeros = torch.zeros(R, d0 * two_n, dtype=torch.bool, device=m2.device)
        mask2 = torch.cat([mask2, torch.cat([zeros, ch_c], -1)])
        used_b = used_b | ch_c.any(0)
        consts = phi(z)  # (R,): the constant units' outputs
    mask1 = torch.zeros(m1.shape, dtype=torch.bool, device=m1.device)
    torch.diagonal(mask1[: d0 * two_n].view(d0, two_n, d0), dim1=0, dim2=2).copy_(
        chosen.any(0).any(0).T
    )
    bias_mask = torch.cat([torch.zeros(d0 * two_n, dtype=torch.bool, device=b1.device), used_b])
    return mask1, bias_mask, mask2, FirstCopies(P=P, N=N, bias=bias, tau=tau), consts, count


def _later_layer(target, net, t, consts, phi, search):
    """Target layer t ≥ 2 (0-based index t ≥ 1) on random layer t + 2: (mask, CopyLayer, new
    constant outputs or None, instance count)."""
    m = net.weights[t + 1]
    d_in, d_out = target.widths[t], target.widths[t + 1]
    n_in = consts.shape[0]
    if m.shape[1] != n_in * (d_in + 1):
        raise InvalidArgument(
            f"random_net layer {t + 2} has {m.shape[1]} inputs; expected {n_in * (d_in + 1)}"
        )
    last = t == target.depth - 1
    R = _copies(d_out, m.shape[0], last, f"random_net layer {t + 2}")
    rows = m[: d_out * R].reshape(d_out, R, -1).transpose(0, 1)  # (R, d_out, cols)
    cw = rows[..., : d_in * n_in].reshape(R, d_out, d_in, n_in)
    cb = rows[..., d_in * n_in :] * consts  # (R, d_out, n_in)
    groups = [(cw, target.weights[t].expand(R, d_out, d_in), None), (cb, _bias(target, t), None)]
    if not last:
        crow = m[d_out * R :, d_in * n_in :]  # (R, n_in): constant units -> constant units
        groups.append((crow * consts, m.new_full((R,), defaults.BURKHOLZ_CONSTANT), None))
    (chosen, _), (ch_b, bias), *rest = _solve(groups, search)
    C = torch.where(chosen, cw, torch.zeros((), dtype=cw.dtype))
    count = R * d_out * (d_in + 1)
    mask = torch.cat([chosen.reshape(R, d_out, d_in * n_in), ch_b], -1).transpose(0, 1)
    mask = mask.reshape(d_out * R, -1)
    new_consts = None
    if not last:
        ((ch_c, z),) = rest
        zeros = torch.zeros(R, d_in * n_in, dtype=torch.bool, device=m.device)
        mask = torch.cat([mask, torch.cat([zeros, ch_c], -1)])
        count += R
        new_consts = phi(z)
    return mask, CopyLayer(C=C, bias=bias), new_consts, count


def prune_copies(
    target: Network, net: Network, prof: Profile, search: Search
) -> tuple[Masks, CopyRealisation, int]:
    """Masks over `net` realising `target`, the realised copies, and the number of subset-sum
    instances solved (`search.routed` counts how). A hidden unit no kept edge leaves loses its
    incoming edges (and bias)."""
    mask1, bias1, mask2, first, consts, count = _first_layer(target, net, prof, search)
    masks, later = [mask1, mask2], []
    for t in range(1, target.depth):
        mask, lay, consts, c = _later_layer(target, net, t, consts, prof.activation, search)
        masks.append(mask)
        later.append(lay)
        count += c
    for i in range(len(masks) - 2, 0, -1):  # hidden units of random layers 2 … l
        dead = ~masks[i + 1].any(0)
        masks[i][dead] = False
    alive = masks[1].any(0)  # first-layer units
    masks[0][~alive] = False
    bias1 = bias1 & alive
    biases = (bias1,) + (None,) * (len(masks) - 1)
    realised = CopyRealisation(first=first, later=tuple(later), activation=prof.activation)
    return Masks(tuple(masks), biases), realised, count
