"""Greedy layer-wise search (our design): best-improvement local search over mask bits.

Random pair i (layers 2i−1, 2i) is fitted to target layer i, one pair after another: on S
points x of the sphere, its input is the pruned network's own output so far (so earlier errors
are corrected, not compounded) and its goal is the target's pre-activation `f_i(x)`. Starting
from the empty mask, every step applies the single move that lowers the pair's mean squared
error most, among: toggle one output edge of a unit that has an input; toggle one input edge of
a unit that has an output; open a path input j → unit u → output k through an unused unit (the
smallest move that changes anything from an empty unit). The gain of every move is computed in
closed form from the current residual (see `_pair_moves`). It stops when no move lowers the
error by a relative 1e-9, or after `max_steps` moves per pair. It knows what a pair is for
(layer i of the target), never which unit should serve which weight.
"""

from __future__ import annotations

import time

import torch

from ...basics import defaults
from ...basics.errors import check_positive_int
from ...basics.masks import Masks
from ...basics.network import Network
from ...basics.sampling import unit_sphere
from .base import SearchResult, check_pairing


def _pair_moves(
    H: torch.Tensor,
    R: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    mA: torch.Tensor,
    mB: torch.Tensor,
) -> tuple[float, tuple]:
    """The best move for one pair and its change of the summed squared error.

    `H` `(S, d_in)` inputs, `R` `(S, d_out)` residual (output − goal), `A` `(h, d_in)`, `B`
    `(d_out, h)` weights, `mA`, `mB` their masks. With `F = σ(H (A∘mA)ᵀ)` `(S, h)`:
    - output edge (k, u) toggled by s = ±1: the residual's column k moves by `s B_ku F_u`, so
      `Δ = 2 s B_ku ⟨R_k, F_u⟩ + B_ku² ||F_u||²`;
    - input edge (u, j) toggled: `F_u` becomes `F'_u = σ(Z_u ± A_uj H_j)`, and with
      `D = F'_u − F_u` and `Be = B∘mB`, `Δ = 2 ⟨D, R Be_u⟩ + ||D||² ||Be_u||²`;
    - path j → u → k through an unused unit u: `F_u = |A_uj| σ(±H_j)` (sign of A_uj), so
      `Δ = 2 B_ku |A_uj| ⟨R_k, σ(±H_j)⟩ + B_ku² A_uj² ||σ(±H_j)||²`.
    """
    Ae, Be = A * mA, B * mB
    Z = H @ Ae.T  # (S, h)
    F = torch.relu(Z)
    has_in, has_out = mA.any(1), mB.any(0)  # (h,)
    sign_b = 1 - 2 * mB.to(B.dtype)  # +1 adds, -1 removes
    d_out_edge = 2 * sign_b * B * (R.T @ F) + B**2 * (F**2).sum(0)  # (d_out, h)
    d_out_edge = d_out_edge.masked_fill(~has_in.expand_as(B), torch.inf)

    # only units with an output edge can change the output through an input edge
    used = has_out.nonzero().squeeze(1)  # (u,)
    Au, Bu = A[used], Be[:, used]  # (u, d_in), (d_out, u)
    sign_a = 1 - 2 * mA[used].to(A.dtype)
    Zn = Z[:, used, None] + sign_a * Au * H[:, None, :]  # (S, u, d_in)
    D = torch.relu(Zn) - F[:, used, None]
    RB = R @ Bu  # (S, u)
    d_in_edge = torch.full(A.shape, torch.inf, dtype=A.dtype, device=A.device)  # (h, d_in)
    d_in_edge[used] = 2 * (D * RB[:, :, None]).sum(0) + (D**2).sum(0) * (Bu**2).sum(0)[:, None]

    Hs = torch.stack([torch.relu(H), torch.relu(-H)])  # (2, S, d_in): σ(H), σ(−H)
    RH = torch.einsum("sk,psj->pkj", R, Hs)  # (2, d_out, d_in)
    HH = (Hs**2).sum(1)  # (2, d_in)
    neg = (A < 0).long()  # (h, d_in): which half-line a unit's edge from j serves
    RHsel = RH.permute(1, 0, 2)[:, neg, torch.arange(A.shape[1])]  # (d_out, h, d_in)
    HHsel = HH[neg, torch.arange(A.shape[1])]  # (h, d_in)
    d_path = 2 * B[:, :, None] * A.abs() * RHsel + B[:, :, None] ** 2 * A**2 * HHsel
    unused = ~(has_in | has_out)
    d_path = d_path.masked_fill(~unused[None, :, None].expand_as(d_path), torch.inf)

    options = [
        (d_out_edge, "out"),
        (d_in_edge, "in"),
        (d_path, "path"),
    ]
    best_val, best_move = torch.inf, None
    for delta, kind in options:
        if delta.numel() == 0:
            continue
        val, flat = delta.flatten().min(0)
        if float(val) < best_val:
            best_val = float(val)
            best_move = (kind, *(int(v) for v in torch.unravel_index(flat, delta.shape)))
    return best_val, best_move


def fit_pair(
    H: torch.Tensor, goal: torch.Tensor, A: torch.Tensor, B: torch.Tensor, *, max_steps: int
) -> tuple[torch.Tensor, torch.Tensor, list[float]]:
    """Masks over one random pair `x ↦ (B∘mB) σ((A∘mA) x)` fitted greedily to `goal` on the
    inputs `H`: from the empty masks, apply the best move of `_pair_moves` while it lowers the
    summed squared error by a relative 1e-9, at most `max_steps` moves; then drop every unit
    left without an input or an output edge. `H` `(S, d_in)`, `goal` `(S, d_out)`, `A`
    `(h, d_in)`, `B` `(d_out, h)`. Returns `mA`, `mB` and the mean squared error after each
    move. A depth-2 random network fitted to any function of its inputs is one such pair."""
    check_positive_int("max_steps", max_steps)
    mA = torch.zeros(A.shape, dtype=torch.bool, device=A.device)
    mB = torch.zeros(B.shape, dtype=torch.bool, device=B.device)

    def output():
        return torch.relu(H @ (A * mA).T) @ (B * mB).T  # (S, d_out)

    history: list[float] = []
    R = output() - goal
    for _ in range(max_steps):
        loss = float((R**2).sum())
        delta, move = _pair_moves(H, R, A, B, mA, mB)
        if move is None or not delta < -1e-9 * loss:
            break
        kind, p, q, *rest = move
        if kind == "out":
            mB[p, q] = ~mB[p, q]
        elif kind == "in":
            mA[p, q] = ~mA[p, q]
        else:  # path (k, u, j)
            mB[p, q] = True
            mA[q, rest[0]] = True
        R = output() - goal
        history.append(float((R**2).sum(1).mean()))
    # a unit without an output edge, or without an input edge, contributes nothing
    live = mA.any(1) & mB.any(0)
    mA &= live[:, None]
    mB &= live[None, :]
    return mA, mB, history


def greedy_layerwise(
    target: Network,
    random_net: Network,
    *,
    generator: torch.Generator,
    samples: int = defaults.GREEDY_SAMPLES,
    max_steps: int = defaults.GREEDY_MAX_STEPS,
) -> SearchResult:
    """Greedy layer-wise local search (module docstring); `samples` points of the sphere,
    at most `max_steps` moves per pair."""
    check_pairing(target, random_net)
    check_positive_int("samples", samples)
    check_positive_int("max_steps", max_steps)
    t0 = time.perf_counter()
    dtype, device = random_net.dtype, random_net.device
    x = unit_sphere(samples, target.widths[0], generator, dtype, device)
    goals, h = [], x
    with torch.no_grad():
        for w in target.weights:
            h = h @ w.T  # (S, d_i): the target's pre-activation of layer i
            goals.append(h)
            h = torch.relu(h)
    masks: list[torch.Tensor] = []
    history: list[float] = []
    H = x
    for i in range(target.depth):
        A, B = random_net.weights[2 * i], random_net.weights[2 * i + 1]
        mA, mB, moves = fit_pair(H, goals[i], A, B, max_steps=max_steps)
        masks += [mA, mB]
        history += moves
        H = torch.relu(torch.relu(H @ (A * mA).T) @ (B * mB).T)
    steps = len(history)
    return SearchResult(
        method="greedy",
        masks=Masks(tuple(masks)),
        history=tuple(history),
        steps=steps,
        seconds=time.perf_counter() - t0,
        seed=-1,
        config={"samples": samples, "max_steps": max_steps},
    )
