"""Searches that do not know the proof: masks over a dense random depth-2l network, found from
samples of the target alone, compared with the constructive masks on the same network.

The constructions (`approx.constructions`) know where the ticket is: which hidden unit serves
which target weight, and that a unit keeps one input edge. The searches here are given only
the random network's weights and the target as a function, and minimise the sampled error:

- ``edge-popup`` (Ramanujan et al. 2020, "What's hidden in a randomly weighted neural
  network?", arXiv 1911.13299): weights frozen, one real score per weight; the forward pass
  keeps, in every layer, the `density` fraction of weights with the largest |score|, and the
  gradient reaches every score straight through the top-k (∂L/∂s = ∂L/∂w_eff · w). Adam on the
  scores, mean squared error on fresh batches of points of the unit sphere; the masks kept are
  the best on a fixed held-out sample, checked every `eval_every` steps. Ours: the score
  initialisation (Uniform[0, 1]) and the held-out selection.
- ``greedy`` (our design): layer-wise best-improvement local search over mask bits. Random pair
  i (layers 2i−1, 2i) is fitted to target layer i, one pair after another: on S points x of
  the sphere, its input is the pruned network's own output so far (so earlier errors are
  corrected, not compounded) and its goal is the target's pre-activation `f_i(x)`. Starting
  from the empty mask, every step applies the single move that lowers the pair's mean squared
  error most, among: toggle one output edge of a unit that has an input; toggle one input edge
  of a unit that has an output; open a path input j → unit u → output k through an unused unit
  (the smallest move that changes anything from an empty unit). The gain of every move is
  computed in closed form from the current residual (see `_pair_moves`). It stops when no move
  lowers the error by a relative 1e-9, or after `max_steps` moves per pair. It knows what a
  pair is for (layer i of the target), never which unit should serve which weight.

Both are seeded through one `torch.Generator` and run on small targets on a CPU in seconds.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import torch
import torch.optim  # imported here, not inside the first search it would then be timed with

from .constructions.base import HalfLineLayer
from .error import certified_error, empirical_error
from .errors import InvalidArgument, check_positive_int
from .masks import Masks
from .nets import ReLUNet
from .random_nets import spawn_seeds

METHODS: tuple[str, ...] = ("edge-popup", "greedy")


@dataclass(frozen=True)
class SearchResult:
    """What one search found: the masks, the sampled mean squared error along the way
    (`history`, one value per `eval_every` steps for edge-popup, per move for greedy) and its
    configuration and seed."""

    method: str
    masks: Masks
    history: tuple[float, ...]
    steps: int
    seconds: float
    seed: int
    config: dict = field(default_factory=dict)


def _sphere(n: int, d: int, generator: torch.Generator, dtype: torch.dtype, device) -> torch.Tensor:
    x = torch.randn((n, d), generator=generator, dtype=torch.float64).to(device=device, dtype=dtype)
    return x / x.norm(dim=1, keepdim=True).clamp_min(torch.finfo(dtype).tiny)  # (n, d)


def _check_pairing(target: ReLUNet, random_net: ReLUNet) -> None:
    if random_net.depth != 2 * target.depth:
        raise InvalidArgument(
            f"random_net has depth {random_net.depth}; the searches pair its layers with the "
            f"target's, so it needs 2 x target depth = {2 * target.depth}"
        )
    if random_net.widths[::2] != target.widths:
        raise InvalidArgument(
            f"random_net widths {list(random_net.widths)} must have the target's widths "
            f"{list(target.widths)} at every other position"
        )


def _topk_mask(score: torch.Tensor, k: int) -> torch.Tensor:
    idx = torch.topk(score.abs().flatten(), k).indices
    mask = torch.zeros(score.numel(), dtype=torch.bool, device=score.device)
    mask[idx] = True
    return mask.view(score.shape)


def edge_popup(
    target: ReLUNet,
    random_net: ReLUNet,
    *,
    generator: torch.Generator,
    density: float = 0.3,
    steps: int = 2000,
    lr: float = 0.01,
    batch_size: int = 256,
    eval_every: int = 50,
    eval_samples: int = 1024,
) -> SearchResult:
    """Edge-popup (module docstring): keeps `density` (a fraction in (0, 1]) of every layer's
    weights. `generator` seeds the scores and every batch."""
    _check_pairing(target, random_net)
    if not (isinstance(density, float) and 0 < density <= 1):
        raise InvalidArgument(f"density={density!r} must be a float in (0, 1]")
    check_positive_int("steps", steps)
    check_positive_int("batch_size", batch_size)
    check_positive_int("eval_every", eval_every)
    t0 = time.perf_counter()
    dtype, device, d0 = random_net.dtype, random_net.device, target.widths[0]
    weights = random_net.weights
    ks = [max(1, round(density * w.numel())) for w in weights]
    scores = [
        torch.rand(w.shape, generator=generator, dtype=torch.float64)
        .to(device=device, dtype=dtype)
        .requires_grad_(True)
        for w in weights
    ]
    opt = torch.optim.Adam(scores, lr=lr)
    x_eval = _sphere(eval_samples, d0, generator, dtype, device)
    with torch.no_grad():
        y_eval = target(x_eval)

    def current_masks() -> Masks:
        return Masks(tuple(_topk_mask(s.detach(), k) for s, k in zip(scores, ks, strict=True)))

    def held_out(masks: Masks) -> float:
        with torch.no_grad():
            g = masks.apply(random_net)(x_eval)
            return float(((g - y_eval) ** 2).sum(1).mean())

    best = current_masks()
    best_loss = held_out(best)
    history = [best_loss]
    for step in range(1, steps + 1):
        x = _sphere(batch_size, d0, generator, dtype, device)
        h = x
        for i, (w, s, k) in enumerate(zip(weights, scores, ks, strict=True)):
            hard = _topk_mask(s.detach(), k).to(dtype)
            # straight-through: the forward uses the 0/1 mask, the backward treats it as s
            h = h @ (w * (hard + s - s.detach())).T  # (batch, width_{i+1})
            if i < len(weights) - 1:
                h = torch.relu(h)
        loss = ((h - target(x)) ** 2).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % eval_every == 0 or step == steps:
            masks = current_masks()
            value = held_out(masks)
            history.append(value)
            if value < best_loss:
                best, best_loss = masks, value
    return SearchResult(
        method="edge-popup",
        masks=best,
        history=tuple(history),
        steps=steps,
        seconds=time.perf_counter() - t0,
        seed=-1,
        config={"density": density, "steps": steps, "lr": lr, "batch_size": batch_size},
    )


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


def greedy_layerwise(
    target: ReLUNet,
    random_net: ReLUNet,
    *,
    generator: torch.Generator,
    samples: int = 512,
    max_steps: int = 2000,
) -> SearchResult:
    """Greedy layer-wise local search (module docstring); `samples` points of the sphere,
    at most `max_steps` moves per pair."""
    _check_pairing(target, random_net)
    check_positive_int("samples", samples)
    check_positive_int("max_steps", max_steps)
    t0 = time.perf_counter()
    dtype, device = random_net.dtype, random_net.device
    x = _sphere(samples, target.widths[0], generator, dtype, device)
    goals, h = [], x
    with torch.no_grad():
        for w in target.weights:
            h = h @ w.T  # (S, d_i): the target's pre-activation of layer i
            goals.append(h)
            h = torch.relu(h)
    masks: list[torch.Tensor] = []
    history: list[float] = []
    steps = 0
    H = x
    for i in range(target.depth):
        A, B = random_net.weights[2 * i], random_net.weights[2 * i + 1]
        mA = torch.zeros(A.shape, dtype=torch.bool, device=device)
        mB = torch.zeros(B.shape, dtype=torch.bool, device=device)
        goal = goals[i]

        def output(mA=mA, mB=mB, A=A, B=B, H=H):
            return torch.relu(H @ (A * mA).T) @ (B * mB).T  # (S, d_out)

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
            steps += 1
            history.append(float((R**2).sum(1).mean()))
        # a unit without an output edge, or without an input edge, contributes nothing
        live = mA.any(1) & mB.any(0)
        mA &= live[:, None]
        mB &= live[None, :]
        masks += [mA, mB]
        H = torch.relu(output())
    return SearchResult(
        method="greedy",
        masks=Masks(tuple(masks)),
        history=tuple(history),
        steps=steps,
        seconds=time.perf_counter() - t0,
        seed=-1,
        config={"samples": samples, "max_steps": max_steps},
    )


def search(
    target: ReLUNet, random_net: ReLUNet, *, method: str, seed: int = 0, **options
) -> SearchResult:
    """Run `method` (one of `METHODS`) from `seed`; `options` go to `edge_popup` or
    `greedy_layerwise`."""
    if method not in METHODS:
        raise InvalidArgument(f"method={method!r} is not one of {list(METHODS)}")
    (child,) = spawn_seeds(seed, 1)
    gen = torch.Generator().manual_seed(child)
    fn = edge_popup if method == "edge-popup" else greedy_layerwise
    result = fn(target, random_net, generator=gen, **options)
    return replace(result, seed=seed)


def half_line_layers(random_net: ReLUNet, masks: Masks) -> tuple[HalfLineLayer, ...] | None:
    """The masked net as half-line layers `(P_i, N_i)` when every kept hidden unit of every
    pair keeps at most one input edge (then pair i computes exactly `P σ(h) − N σ(−h)` with
    `P = Be σ(Ae)`, `N = Be min(Ae, 0)`), else None: no certified bound applies."""
    masks.check_fits(random_net)
    layers = []
    for i in range(random_net.depth // 2):
        A = random_net.weights[2 * i] * masks.masks[2 * i]  # (h, d_in)
        B = random_net.weights[2 * i + 1] * masks.masks[2 * i + 1]  # (d_out, h)
        if bool((masks.masks[2 * i].sum(1) > 1).any()):
            return None
        layers.append(HalfLineLayer(P=B @ A.clamp(min=0), N=B @ A.clamp(max=0)))
    return tuple(layers)


@dataclass(frozen=True)
class Row:
    """One set of masks on the shared random network, measured like `approx run` measures."""

    method: str
    kept: int
    density: float
    certified_error: float | None
    empirical_error: float
    seconds: float


@dataclass(frozen=True)
class Comparison:
    """Constructive masks vs searches at equal random-net width; `rows[0]` is the empty mask
    (the zero function: the error of giving up), `rows[1]` the construction. `run` is the
    `approx.run.RunResult` that drew the target and the network."""

    rows: tuple[Row, ...]
    construction: str
    target_widths: tuple[int, ...]
    random_widths: tuple[int, ...]
    n_per_layer: tuple[int, ...]
    seed: int
    config: dict
    run: object = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict:
        return {
            "construction": self.construction,
            "target_widths": list(self.target_widths),
            "random_widths": list(self.random_widths),
            "n_per_layer": list(self.n_per_layer),
            "seed": self.seed,
            "config": self.config,
            "rows": [r.__dict__ for r in self.rows],
        }


def measure(
    target: ReLUNet,
    random_net: ReLUNet,
    masks: Masks,
    *,
    method: str,
    seconds: float,
    seed: int,
    empirical_samples: int = 4096,
    ascent_steps: int = 100,
) -> Row:
    """Certified bound (when the masks have the half-line form) and empirical estimate, the
    latter from `seed` so that every row is probed at the same points."""
    layers = half_line_layers(random_net, masks)
    cert = None if layers is None else certified_error(target, layers).value
    emp = empirical_error(
        target.forward,
        masks.apply(random_net).forward,
        target.widths[0],
        generator=torch.Generator().manual_seed(seed),
        n_samples=empirical_samples,
        ascent_steps=ascent_steps,
        dtype=random_net.dtype,
        device=random_net.device,
    )
    return Row(method, masks.n_kept, masks.density, cert, emp.value, seconds)


def compare(
    *,
    widths: Sequence[int],
    construction: str = "pensia",
    n: int | Sequence[int] = 8,
    methods: Sequence[str] = METHODS,
    seed: int = 0,
    density: float = 0.3,
    steps: int = 2000,
    lr: float = 0.01,
    samples: int = 512,
    max_steps: int = 2000,
    empirical_samples: int = 4096,
    ascent_steps: int = 100,
) -> Comparison:
    """`approx.run.run` draws the target and the construction's random network from `seed`
    and prunes it; every method in `methods` then searches the same network, and every set
    of masks is measured the same way (`measure`)."""
    from .run import run  # run imports the constructions; keep this module importable alone

    for m in methods:
        if m not in METHODS:
            raise InvalidArgument(f"method={m!r} is not one of {list(METHODS)}")
    result = run(
        widths=widths,
        construction=construction,
        n=n,
        seed=seed,
        empirical_samples=empirical_samples,
        ascent_steps=ascent_steps,
    )
    art = result.artifacts
    (eval_seed,) = spawn_seeds(seed + 1, 1)
    empty = Masks(tuple(torch.zeros_like(w, dtype=torch.bool) for w in art.random_net.weights))
    rows = [
        measure(
            art.target,
            art.random_net,
            empty,
            method="empty masks",
            seconds=0.0,
            seed=eval_seed,
            empirical_samples=empirical_samples,
            ascent_steps=ascent_steps,
        ),
        measure(
            art.target,
            art.random_net,
            art.pruned.masks,
            method=f"construction ({construction})",
            seconds=result.phase_seconds["prune"],
            seed=eval_seed,
            empirical_samples=empirical_samples,
            ascent_steps=ascent_steps,
        ),
    ]
    options = {
        "edge-popup": {"density": density, "steps": steps, "lr": lr},
        "greedy": {"samples": samples, "max_steps": max_steps},
    }
    for m in methods:
        found = search(art.target, art.random_net, method=m, seed=seed, **options[m])
        rows.append(
            measure(
                art.target,
                art.random_net,
                found.masks,
                method=m,
                seconds=found.seconds,
                seed=eval_seed,
                empirical_samples=empirical_samples,
                ascent_steps=ascent_steps,
            )
        )
    return Comparison(
        rows=tuple(rows),
        construction=construction,
        target_widths=result.target_widths,
        random_widths=result.random_widths,
        n_per_layer=result.n_per_layer,
        seed=seed,
        config={"methods": list(methods), **{m: options[m] for m in methods}},
        run=result,
    )


def format_comparison(c: Comparison) -> str:
    """The table `approx search` prints."""
    w = "-".join(map(str, c.target_widths))
    rw = "-".join(map(str, c.random_widths))
    lines = [
        f"approx search: target {w}, random net {rw} ({c.construction}'s layout, "
        f"n = {list(c.n_per_layer)}), seed {c.seed}",
        "",
        f"  {'masks':<24}{'kept':>8}{'density':>10}{'certified <=':>15}{'empirical >=':>15}"
        f"{'seconds':>10}",
    ]
    for r in c.rows:
        cert = "n/a" if r.certified_error is None else f"{r.certified_error:.3e}"
        lines.append(
            f"  {r.method:<24}{r.kept:>8,}{r.density:>10.3%}{cert:>15}"
            f"{r.empirical_error:>15.3e}{r.seconds:>10.2f}"
        )
    lines += [
        "",
        "  certified: approx.error's bound, only for masks whose kept units keep one input edge",
        "  (n/a otherwise); empirical: sphere samples + gradient ascent, same points every row",
    ]
    return "\n".join(lines)
