"""The error map `e(x) = g̃(x) − f(x)` of a target and its realisation, evaluated without
cancellation, and its exact sup over the unit circle for networks with 2 inputs.

With `u_i`, `v_i` the pre-activations of layer i in `f` and in `g̃` and `δ_i = v_i − u_i`
(`StoredLayer` matrices: `DP = P − W`, `PN = P − N`):

    u_1 = W_1 x,            δ_1 = DP_1 x + PN_1 σ(−x)        (as σ(x) = x + σ(−x))
    s_i = σ(u_i),          Δs_i = σ(u_i + δ_i) − σ(u_i)
    u_{i+1} = W_{i+1} s_i,  δ_{i+1} = DP_{i+1} s_i + P_{i+1} Δs_i     (inputs ≥ 0 after a ReLU)

and `e(x) = δ_l`. Nothing of size `||f(x)||` is ever subtracted from something of the same
size, so `e` keeps its relative accuracy however small it is (`f(x) − g̃(x)` computed from
the two outputs loses `u·||f(x)|| / ||e(x)||` relative, 1e-11 in float64 at `e = 1e-5`).

The sup over the ball equals the sup over the sphere: `f` and `g̃` are bias-free ReLU networks,
so `f(cx) = c f(x)` and `g̃(cx) = c g̃(x)` for `c ≥ 0`, hence `e(cx) = c e(x)`, and a point
`x = r s` of the ball (`||s|| = 1`, `0 ≤ r ≤ 1`) has `||e(x)|| = r ||e(s)|| ≤ ||e(s)||`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import torch

from .stored import StoredLayer


def error_at(stored: tuple[StoredLayer, ...], x: torch.Tensor) -> torch.Tensor:
    """`e(x)` `(batch, d_l)` for `x` `(batch, d_0)` (float64), by the recursion above."""
    first = stored[0]
    u = x @ first.W.T  # (batch, d_1)
    delta = x @ first.DP.T + torch.relu(-x) @ first.PN.T
    for s in stored[1:]:
        act = torch.relu(u)
        v = u + delta
        both_on, both_off = (u > 0) & (v > 0), (u <= 0) & (v <= 0)
        ds = torch.where(both_on, delta, torch.where(both_off, 0.0, torch.relu(v) - act))
        u, delta = act @ s.W.T, act @ s.DP.T + ds @ s.P.T
    return delta


@dataclass(frozen=True)
class CircleSup:
    """`sup_{||x|| = 1} ||e(x)||` for 2 inputs, from every linear region of `e` on the circle:
    `value` (closed form per region), `argmax` `(2,)`, `regions` (arcs enumerated)."""

    value: float
    argmax: torch.Tensor
    regions: int


def _arc_max(m: np.ndarray, a: float, b: float) -> tuple[float, float]:
    """Max of `||M (cos θ, sin θ)||²` over `θ ∈ [a, b]`, `b − a < π/2`, and where: with
    `Q = MᵀM` it is `α + β cos 2θ + γ sin 2θ`, largest at `2θ = atan2(γ, β)` (mod 2π)."""
    q = m.T @ m
    alpha, beta, gamma = (q[0, 0] + q[1, 1]) / 2, (q[0, 0] - q[1, 1]) / 2, q[0, 1]

    def value(t: float) -> float:
        return alpha + beta * math.cos(2 * t) + gamma * math.sin(2 * t)

    best = max((value(a), a), (value(b), b))
    peak = math.atan2(gamma, beta) / 2
    k = math.ceil((a - peak) / math.pi)
    if peak + k * math.pi <= b:
        t = peak + k * math.pi
        best = max(best, (alpha + math.hypot(beta, gamma), t))
    return best


def _crossings(rows: np.ndarray, ends: np.ndarray, a: float, b: float) -> list[float]:
    """Angles in (a, b) where a linear function `r·x` of a row changing sign between the arc's
    ends is 0 (one per row: an arc shorter than π holds at most one zero of `r·x`)."""
    va, vb = rows @ ends[0], rows @ ends[1]
    out = []
    for r in rows[(va * vb) < 0]:
        t = math.atan2(-r[0], r[1])  # r0 cos t + r1 sin t = 0
        t += math.ceil((a - t) / math.pi) * math.pi
        if a < t < b:
            out.append(t)
    return out


def circle_sup(stored: tuple[StoredLayer, ...]) -> CircleSup:
    """Exact `sup_{||x|| = 1} ||e(x)||` for a target with 2 inputs (see `CircleSup`). The circle
    is cut at every angle where a ReLU of `f` or of `g̃` switches, found layer by layer (on an
    arc where layers < i are linear, a pre-activation of layer i is `r·x`, which changes sign
    at most once on an arc shorter than π); on each final arc `e(x) = M x` and its max is in
    closed form. The four quadrants start it: `σ(±x_j)` are linear on each."""
    mats = [tuple(t.cpu().numpy() for t in (s.W, s.DP, s.P, s.DN)) for s in stored]
    best = [-1.0, 0.0]
    regions = 0
    stack = []
    for q in range(4):
        a, b = q * math.pi / 2, (q + 1) * math.pi / 2
        mid = np.array([math.cos((a + b) / 2), math.sin((a + b) / 2)])
        pos = np.diag((mid > 0).astype(float))
        W, DP, _, DN = mats[0]
        stack.append((a, b, 1, W.copy(), DP @ pos + DN @ (np.eye(2) - pos)))  # σ(−x) = −(I − pos) x
    while stack:
        a, b, i, A, D = stack.pop()  # u_i = A x, δ_i = D x on the arc [a, b]
        if i == len(mats):
            regions += 1
            val, t = _arc_max(D, a, b)
            if val > best[0]:
                best = [val, t]
            continue
        ends = np.array([[math.cos(a), math.sin(a)], [math.cos(b), math.sin(b)]])
        cuts = sorted(set(_crossings(A, ends, a, b) + _crossings(A + D, ends, a, b)))
        if cuts:
            edges = [a, *cuts, b]
            stack.extend((lo, hi, i, A, D) for lo, hi in itertools.pairwise(edges) if hi > lo)
            continue
        mid = np.array([math.cos((a + b) / 2), math.sin((a + b) / 2)])
        s = (A @ mid > 0).astype(float)[:, None]
        t = ((A + D) @ mid > 0).astype(float)[:, None]
        W, DP, P, _ = mats[i]
        stack.append((a, b, i + 1, W @ (s * A), DP @ (s * A) + P @ ((t - s) * A + t * D)))
    angle = best[1]
    return CircleSup(
        math.sqrt(max(best[0], 0.0)),
        torch.tensor([math.cos(angle), math.sin(angle)], dtype=torch.float64),
        regions,
    )
