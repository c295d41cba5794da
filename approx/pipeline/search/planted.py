"""Planted tickets (Fischer & Burkholz 2022, "Plant 'n' seek: can you find the winning ticket?",
arXiv 2111.11153; their code, RelationalML/PlantNSeek, `plant_lottery_tickets/plant.py`): hide
a known sparse network that computes the target inside the random network, then ask every
method to find it.

The ticket (`half_line_ticket`). A depth-2l network of the random network's form computing the
target exactly: for target layer i, two hidden units per input coordinate j, one keeping the
edge +1 from `h_j` and one the edge −1, and output k keeping `W_kj` from the first and `−W_kj`
from the second, so that pair i computes `W σ(h) − W σ(−h) = W h`. That is the constructions'
half-line form with error zero, `2 d_{i−1} + 2 d_{i−1} d_i` weights per layer (fewer where W
has zero columns), certified like theirs.

Planting (`plant`), their algorithm in our orientation (weights `(d_out, d_in)`, no biases).
Layer by layer, each ticket neuron k with incoming ticket weights `t` on its support S is
hosted by a random neuron u: with the hosts' carried scales `s` of the previous layer,
`v = t_S / s_S`, and among the unused random neurons whose weights `r = R[u, host(S)]` have
the signs of v and a positive scale `c = ⟨r, v⟩ / ||v||²`, the one of least L1 distance
`||r − c v||_1` hosts k; its entries become `c v` and k carries the scale c (a ReLU neuron
scaled by c > 0 computes c times the ticket neuron). Where none qualifies, the first unused
neuron hosts k with `c = ||r||_1 / ||v||_1`, which sizes the planted entries like the host's own
weights (their fallback takes the ratio of one entry, `|r_1| / |v_1|`).

Ours, where theirs does not fit our setting:
- their random networks are He-normal with biases; ours is the shared Uniform[-1, 1] bias-free
  network every method and construction searches, and nothing is planted in biases;
- their network's last layer is reduced to the hosts of the ticket's outputs and its output
  divided by the carried scales; our error compares outputs directly, so output k of the
  ticket is planted in output k of the network at scale 1. Likewise every layer as wide as
  the ticket's (the depth-2l network's layers of the target's widths) leaves no choice but a
  permutation: neuron k is hosted by neuron k at scale 1. The masked planted network then
  realises every target layer exactly (`P_i = N_i = W_i`, so the certified bound applies with
  error ~0), and scales never accumulate along the depth (which, for a path whose product of
  weights must be 1, would force one huge planted weight);
- a neuron with one ticket input matches every host of the right sign exactly (L1 distance 0);
  they then take the first, we take the one of largest scale c — the largest |weight| — which
  leaves its entry unchanged and keeps the next layer's planted entries `W / c` small;
- hosts are unused neurons only (their duplicates fall back to the first unused neuron).

Their hand-built tickets that fit bias-free ReLU targets: the ReLU identity chain (`relu_chain`,
every layer the 1×1 matrix [1]) fits as is. Their circle ticket computes x1² + x2² from
piecewise-linear knots `σ(±x_i − s)`, which needs biases; a bias-free ReLU network is positively
homogeneous, so `circle` is its homogeneous analogue: `c Σ_k σ(⟨v_k, x⟩)` over K equally spaced
unit directions, a piecewise-linear approximation of c·||x||_2 whose level sets are circles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ...basics import defaults
from ...basics.errors import InvalidArgument, as_tuple, check_positive_int
from ...basics.masks import Masks
from ...basics.network import Network
from ...basics.tensor_checks import check_finite


def _check_weights(name: str, value: int, weights: int) -> None:
    """A built-in target is held to the size any target is (`defaults.MAX_TARGET_BYTES` as
    float64), checked before it is built: `directions=99999999999` would otherwise ask the
    allocator for 800 GB."""
    most = defaults.MAX_TARGET_BYTES // 8
    if weights > most:
        raise InvalidArgument(
            f"{name}={value} gives a target of {weights:.3g} weights, more than the {most:,} "
            "a target may have"
        )


def relu_chain(depth: int, *, dtype=torch.float64, device="cpu") -> Network:
    """Fischer & Burkholz's ReLU ticket as a target: `depth` layers `[[1]]`, f(x) = σ(x) for
    depth ≥ 2 (the identity for depth 1). Widths (1, …, 1); every `||W_i||_2 = 1`."""
    check_positive_int("depth", depth)
    _check_weights("depth", depth, depth)
    return Network.dense([torch.ones((1, 1), dtype=dtype, device=device)] * depth)


def circle(directions: int, *, dtype=torch.float64, device="cpu") -> Network:
    """The bias-free analogue of their circle ticket (module docstring): widths (2, K, 1),
    `W_1` the K unit directions at angles 2πk/K divided by `sqrt(K/2)` and `W_2 = 1/√K`,
    both of spectral norm 1, so `f(x) = (√2/K) Σ_k σ(⟨v_k, x⟩) ≈ (√2/π) ||x||_2`."""
    if isinstance(directions, bool) or not isinstance(directions, int) or directions < 3:
        raise InvalidArgument(f"directions={directions!r} must be an integer >= 3")
    _check_weights("directions", directions, 3 * directions)
    k = directions
    angles = torch.arange(k, dtype=torch.float64) * (2 * math.pi / k)
    v = torch.stack([angles.cos(), angles.sin()], dim=1)  # (K, 2)
    v = v.masked_fill(v.abs() < 1e-12, 0.0)  # cos(π/2) is 6e-17, not 0: keep the ticket sparse
    w1 = v / math.sqrt(k / 2)
    w2 = torch.full((1, k), 1 / math.sqrt(k), dtype=torch.float64)
    return Network.dense([w1.to(device=device, dtype=dtype), w2.to(device=device, dtype=dtype)])


def half_line_ticket(target: Network) -> list[torch.Tensor]:
    """The depth-2l weights of the ticket computing `target` exactly (module docstring):
    for layer i, `A` `(2m, d_{i-1})` and `B` `(d_i, 2m)` over the m input coordinates with a
    nonzero column in `W_i`; unit 2r keeps +1 from the r-th such coordinate, unit 2r+1 keeps
    −1, `B[:, 2r] = W[:, j]`, `B[:, 2r+1] = −W[:, j]`."""
    out = []
    for w in target.weights:
        cols = w.ne(0).any(0).nonzero().squeeze(1)  # inputs the layer uses
        m = cols.numel()
        a = torch.zeros((2 * m, w.shape[1]), dtype=w.dtype, device=w.device)
        rows = torch.arange(m, device=w.device)
        a[2 * rows, cols] = 1.0
        a[2 * rows + 1, cols] = -1.0
        b = torch.zeros((w.shape[0], 2 * m), dtype=w.dtype, device=w.device)
        b[:, 2 * rows] = w[:, cols]
        b[:, 2 * rows + 1] = -w[:, cols]
        out += [a, b]
    return out


@dataclass(frozen=True)
class Planted:
    """The random network with the ticket written into it, and where: `masks` keeps exactly
    the planted weights, so `masks.apply(net)` computes the ticket's function."""

    net: Network
    masks: Masks


def _host(r: torch.Tensor, v: torch.Tensor, used: torch.Tensor) -> tuple[int, float]:
    """Fischer & Burkholz's choice of the random neuron hosting a ticket neuron: `r`
    `(n_random, |S|)` the candidates' weights from the planted inputs, `v` `(|S|,)` the scaled
    ticket weights, `used` `(n_random,)` the neurons already hosting one."""
    c = r @ v / (v @ v)  # (n_random,): each candidate's best positive scale
    dist = (r - c[:, None] * v[None, :]).abs().sum(1)
    ok = ~used & (c > 0) & (torch.sign(r) == torch.sign(v)).all(1)
    if bool(ok.any()):
        best = dist.masked_fill(~ok, math.inf).min()
        tie = ok & (dist <= best + 1e-12 * (1 + float(best)))
        u = int(c.masked_fill(~tie, -math.inf).argmax())
        return u, float(c[u])
    u = int((~used).nonzero()[0])
    c = float(r[u].abs().sum() / v.abs().sum())
    return u, c if c > 0 else 1.0


def _check_ticket(ticket, random_net: Network) -> list[torch.Tensor]:
    """`ticket` as a list of finite float matrices that chain (each reads its predecessor's
    output); `random_net` a dense Network."""
    if not isinstance(random_net, Network) or not random_net.is_dense:
        what = "convolutional" if isinstance(random_net, Network) else type(random_net).__name__
        raise InvalidArgument(f"random_net must be a dense approx.Network, not a {what} one")
    ticket = list(as_tuple("ticket", ticket, "a list of weight matrices"))
    for i, t in enumerate(ticket):
        if not isinstance(t, torch.Tensor) or t.ndim != 2 or not t.is_floating_point():
            what = f"{t.dtype} of shape {tuple(t.shape)}" if isinstance(t, torch.Tensor) else t
            raise InvalidArgument(
                f"ticket[{i}] must be a float (d_out, d_in) tensor, not {what!r:.60}"
            )
        check_finite(f"ticket[{i}]", t)
        if i and t.shape[1] != ticket[i - 1].shape[0]:
            raise InvalidArgument(
                f"ticket[{i}] has shape {tuple(t.shape)}; it reads ticket[{i - 1}]'s "
                f"{ticket[i - 1].shape[0]} outputs"
            )
    return ticket


def plant(ticket: list[torch.Tensor], random_net: Network) -> Planted:
    """Write `ticket` (weights of the random network's depth, each no wider than the random
    layer; the last layer as wide as the network's output) into `random_net`."""
    ticket = _check_ticket(ticket, random_net)
    if len(ticket) != random_net.depth:
        raise InvalidArgument(
            f"ticket has {len(ticket)} layers; the random network has {random_net.depth}"
        )
    for i, (t, r) in enumerate(zip(ticket, random_net.weights, strict=True)):
        if t.shape[0] > r.shape[0] or (i == 0 and t.shape[1] != r.shape[1]):
            raise InvalidArgument(
                f"ticket layer {i} {tuple(t.shape)} does not fit random layer {tuple(r.shape)}"
            )
    if ticket[-1].shape[0] != random_net.widths[-1]:
        raise InvalidArgument("the ticket's output width must be the network's")
    weights = [w.clone() for w in random_net.weights]
    masks = [torch.zeros(w.shape, dtype=torch.bool, device=w.device) for w in weights]
    hosts = torch.arange(random_net.widths[0])
    scales = torch.ones(random_net.widths[0], dtype=torch.float64)
    for layer, t in enumerate(ticket):
        t = t.to(device="cpu", dtype=torch.float64)
        fixed = t.shape[0] == weights[layer].shape[0]
        used = torch.zeros(weights[layer].shape[0], dtype=torch.bool)
        new_hosts = torch.empty(t.shape[0], dtype=torch.long)
        new_scales = torch.ones(t.shape[0], dtype=torch.float64)
        r_cpu = weights[layer].to(device="cpu", dtype=torch.float64)
        for k in range(t.shape[0]):
            support = t[k].nonzero().squeeze(1)
            cols = hosts[support]
            v = t[k, support] / scales[support]
            if fixed:
                u, c = k, 1.0
            elif support.numel() == 0:
                u, c = int((~used).nonzero()[0]), 1.0
            else:
                u, c = _host(r_cpu[:, cols], v, used)
            used[u] = True
            new_hosts[k], new_scales[k] = u, c
            if support.numel():
                weights[layer][u, cols.to(weights[layer].device)] = (c * v).to(weights[layer])
                masks[layer][u, cols.to(weights[layer].device)] = True
        hosts, scales = new_hosts, new_scales
    return Planted(net=random_net.with_weights(weights), masks=Masks(tuple(masks)))


def overlap(found: Masks, planted: Masks) -> tuple[float | None, float]:
    """(precision, recall) of `found`'s kept weights against the planted ones: the fraction of
    found weights that are planted (None when nothing is kept) and of planted weights found."""
    hit = sum(
        int((f & p.to(f.device)).sum()) for f, p in zip(found.masks, planted.masks, strict=True)
    )
    precision = hit / found.n_kept if found.n_kept else None
    return precision, hit / planted.n_kept
