"""Subnetworks of a depth-2 network on a line segment: the exact sup error of one, and two lower
bounds on the error of *every* one (what no search can beat).

The network is `g(u) = Σ_u B_u σ(A_u · u)` (`A` `(m, d_in)`, `B` `(1, m)`, no biases, one
output), restricted to the segment `u(x) = start + x (end − start)`, x ∈ [0, 1]. A subnetwork
keeps, per hidden unit, its output edge and a subset of its input edges; with the output edge
kept and input set J it contributes `B_u σ(A_u^J · u(x))`, where `A_u^J` zeroes the edges
outside J. On the segment that is piecewise linear in x with at most one kink, at the x where
`A_u^J · u(x) = 0`. So every subnetwork restricted to the segment is piecewise linear with
its kinks among those of its units' options.

- `segment_error`: `sup_x |g̃(u(x)) − f(u(x))|` for one set of masks, exact when `f` is linear
  between the `target_breakpoints` given: `f − g̃` is then linear between consecutive points
  of the union of both breakpoint sets, so its sup is attained at one of them.
- `piece_count_bound`: a function with k linear pieces on [0, 1] crosses any level at most k
  times, so it cannot stay within `h/2` of a function that alternates between 0 and h at
  `2^l + 1` points unless `k ≥ 2^l`; m hidden units give at most m + 1 pieces.
- `brute_force_best`: the best subnetwork's error at given points by enumerating every
  subnetwork (small widths only): the oracle for the bound below.
- `lp_lower_bound`: the best subnetwork's error on a finite set of points is a 0/1 program
  (one indicator per unit and input set, at most one per unit); letting each indicator take
  any value in [0, 1] can only lower the optimum, and the relaxation is a linear program
  (scipy's HiGHS). Its optimum is a lower bound on the error of every subnetwork at those
  points, hence on the sup over the segment. It is "random features with coefficients in
  [0, B_u]": it ignores that a unit is all or nothing, and keeps that its kinks are where
  the random weights put them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import torch
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, hstack, identity, kron, vstack

from ..basics.errors import InvalidArgument
from ..basics.masks import Masks
from ..basics.network import Network

MAX_INPUTS = 4  # options per unit grow as 2^d_in


def _check_pair(net: Network) -> tuple[torch.Tensor, torch.Tensor]:
    if net.depth != 2 or net.widths[-1] != 1 or net.widths[0] > MAX_INPUTS:
        raise InvalidArgument(
            f"net has widths {list(net.widths)}: need a depth-2 network with one output and "
            f"at most {MAX_INPUTS} inputs"
        )
    if any(b is not None for b in net.biases):
        raise InvalidArgument("net has biases: the segment bounds are for bias-free networks")
    return net.weights[0], net.weights[1]


def segment_points(start: torch.Tensor, end: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """`u(x) = start + x (end − start)`: `x` `(S,)` -> `(S, d_in)`."""
    return start[None, :] + x[:, None] * (end - start)[None, :]


def _options(d_in: int) -> list[tuple[int, ...]]:
    return [j for r in range(1, d_in + 1) for j in itertools.combinations(range(d_in), r)]


def kinks(A: torch.Tensor, start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
    """Every x ∈ (0, 1) at which some unit, with some subset of its input edges, has a kink
    on the segment: `(K,)`, sorted."""
    found = []
    for opt in _options(A.shape[1]):
        a = A[:, list(opt)]
        s0, s1 = a @ start[list(opt)], a @ (end - start)[list(opt)]  # (m,), (m,)
        x = -s0 / torch.where(s1 == 0, torch.ones_like(s1), s1)
        found.append(x[(s1 != 0) & (x > 0) & (x < 1)])
    return torch.cat(found).unique()


def segment_error(
    net: Network,
    masks: Masks,
    f: Callable[[torch.Tensor], torch.Tensor],
    start: torch.Tensor,
    end: torch.Tensor,
    target_breakpoints: torch.Tensor,
) -> float:
    """`sup_{x∈[0,1]} |g̃(u(x)) − f(u(x))|` for the masked depth-2 `net` (module docstring):
    exact if `f` is linear on the segment between consecutive `target_breakpoints` (x values;
    the ends 0 and 1 are always added)."""
    A, _ = _check_pair(net)
    masks.check_fits(net)
    ends = torch.tensor([0.0, 1.0], dtype=A.dtype)
    xs = torch.cat([ends, target_breakpoints.to(A.dtype), kinks(A * masks.masks[0], start, end)])
    u = segment_points(start, end, xs.unique())
    with torch.no_grad():
        return float((masks.apply(net).forward(u) - f(u)).abs().max())


def piece_count_bound(width: int, l: int) -> float:
    """The smallest relative error (in units of the target's range h) any function with at
    most `width + 1` linear pieces on [0, 1] can have against one that alternates between 0 and
    h at `2^l + 1` points: 1/2 when `width + 1 < 2^l`, else 0 (no bound)."""
    return 0.5 if width + 1 < 2**l else 0.0


def _features(A, B, u) -> np.ndarray:
    cols = []
    for opt in _options(A.shape[1]):
        keep = torch.zeros_like(A)
        keep[:, list(opt)] = 1
        cols.append(torch.relu(u @ (A * keep).T) * B[0])  # (S, m)
    return torch.stack(cols, dim=2).reshape(u.shape[0], -1).double().numpy()  # (S, m·opts)


def lp_lower_bound(net: Network, u: torch.Tensor, goal: torch.Tensor) -> float:
    """A lower bound on `min over subnetworks max_p |g̃(u_p) − goal_p|` (module docstring):
    the optimum of the linear relaxation, solved by HiGHS (`scipy.optimize.linprog`). `u`
    `(S, d_in)`, `goal` `(S,)`. Valid up to HiGHS's feasibility tolerances (1e-7 by default)
    times `max |goal|`: the program is solved scaled so that `max |goal|` is 1."""
    A, B = _check_pair(net)
    scale = float(goal.abs().max())
    if scale == 0:
        return 0.0
    F = _features(A, B, u) / scale  # (S, k), k = m · options
    y = goal.double().numpy() / scale
    S, k = F.shape
    m = A.shape[0]
    per_unit = k // m
    one = np.ones((S, 1))
    rows = vstack(
        [
            csr_matrix(np.hstack([F, -one])),  # F z − t ≤ y
            csr_matrix(np.hstack([-F, -one])),  # −F z − t ≤ −y
            hstack([kron(identity(m), np.ones((1, per_unit))), csr_matrix((m, 1))]),
        ]
    ).tocsr()
    cost = np.zeros(k + 1)
    cost[-1] = 1.0
    res = linprog(
        cost,
        A_ub=rows,
        b_ub=np.concatenate([y, -y, np.ones(m)]),
        bounds=[(0, 1)] * k + [(0, None)],
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"HiGHS did not solve the relaxation: {res.message}")
    return float(res.fun) * scale


MAX_BRUTE_WIDTH = 8  # 4^8 = 65,536 subnetworks


def brute_force_best(net: Network, u: torch.Tensor, goal: torch.Tensor) -> float:
    """`min over every subnetwork max_p |g̃(u_p) − goal_p|`, by enumerating all
    `(2^d_in)^m` subnetworks (one option per unit: no output edge, or the output edge with one
    nonempty set of input edges): the oracle the relaxation is checked against, for widths up
    to `MAX_BRUTE_WIDTH`. At the target's breakpoints and every kink (`kinks`) it is the best
    subnetwork's sup error on the segment."""
    A, B = _check_pair(net)
    m = A.shape[0]
    if m > MAX_BRUTE_WIDTH:
        raise InvalidArgument(
            f"net has width {m}; brute force enumerates at most width {MAX_BRUTE_WIDTH}"
        )
    F = torch.from_numpy(_features(A, B, u)).view(u.shape[0], m, -1)  # (S, m, options)
    F = torch.cat([torch.zeros_like(F[:, :, :1]), F], dim=2)  # option 0: unit dropped
    choice = torch.cartesian_prod(*[torch.arange(F.shape[2])] * m).view(-1, m)  # (N, m)
    out = F[:, torch.arange(m)[None, :], choice].sum(2)  # (S, N)
    return float((out - goal.double()[:, None]).abs().max(0).values.min())
