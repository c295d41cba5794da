"""The empirical error: a lower estimate of `sup_{||x||_2 ≤ 1} ||f(x) − g̃(x)||_2`, the largest
error actually found at points of the unit sphere or ball.

Bias-free ReLU networks are positively homogeneous (`f(cx) = c f(x)` for `c ≥ 0`), so for them
the sup over the ball is attained on the sphere (`domain="sphere"`). Networks with biases or a
smooth activation are not, and their sup may lie inside the ball (`domain="ball"`: points
uniform in the ball, half of them on its boundary, and normalised gradient steps projected
onto the ball).

On the sphere, the error map of the depth-2l constructions is piecewise linear, with a linear
piece per orthant of the input (the half-line layers act on `σ(x)` and `σ(−x)`) and per ReLU
pattern; in 16 dimensions its local maxima differ by 10% and more. The sphere's search
(`search_schedule` sets its budget) mixes moves, each kept only where it improves a point: line
searches along great circles (towards the local linear map's top right singular vector, the
gradient of `||e||²`, the last successful step) and sign flips of the `FLIPS` largest
coordinates (a jump to a neighbouring orthant); then restarts from moved copies of the best
points (`_restarts`); then a polish of the best points by projected Adam (ridges between
pieces, where the other moves stall). It runs on `error_map` when given (an exact and cheaper
form of `e = g̃ − f`, such as `approx.measurement.difference.error_at`), and the value
reported is `||f(x) − g̃(x)||` evaluated on the networks themselves at the points found.

Memory and threads. Points are drawn in batches of `batch_size` and evaluated in chunks of
`chunk_rows` rows (one chunk's activations per thread, whatever `n_samples`). On CPU every
matrix product runs single-threaded (torch's thread count is 1 for the phase, restored after
it) and chunks run in parallel on a pool of that many threads instead: a single-threaded
product gives each row the same bits whatever the other rows of its chunk (of at least
`defaults.EMPIRICAL_MIN_ROWS` rows: smaller chunks are padded with zero rows), so the result
depends neither on the thread count nor on the chunk size.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from ..basics import defaults
from ..basics.devices import available_memory, parse_device
from ..basics.errors import InvalidArgument, check_positive_int
from ..basics.sampling import unit_sphere
from ..basics.tensor_checks import check_float_dtype, check_generator
from ..basics.units import format_bytes
from .ascent import ball_ascent, polish_in_pool
from .threads import one_torch_thread

Map = Callable[[torch.Tensor], torch.Tensor]
DOMAINS = ("sphere", "ball")
FLIPS = 16  # coordinates tried for a sign flip per step (the largest in magnitude)
LINE_ANGLES = 12  # angles of each line search, log-spaced from 1e-5 to π/2
JACOBIAN_ROWS = 16  # outputs up to which the singular-vector move is computed


@dataclass(frozen=True)
class EmpiricalError:
    """The largest `||f(x) − g̃(x)||` found, at the point `argmax` (on the unit sphere, or in
    the ball for `domain="ball"`)."""

    value: float
    argmax: torch.Tensor
    n_samples: int
    ascent_steps: int


@contextlib.contextmanager
def single_threaded_products(device: torch.device) -> Iterator[int]:
    """For the duration: torch computes single-threaded on CPU; yields the thread count it had
    (the pool size for parallel chunks). On other devices nothing changes and it yields 1."""
    if torch.device(device).type != "cpu":
        yield 1
        return
    with one_torch_thread() as threads:
        yield threads


def _padded(x: torch.Tensor, rows: int) -> torch.Tensor:
    if len(x) >= rows:
        return x
    return torch.cat([x, x.new_zeros((rows - len(x), *x.shape[1:]))])


def evaluate_in_chunks(
    gap: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    chunk_rows: int,
    pool: cf.Executor | None,
    threads: int = 1,
) -> torch.Tensor:
    """`gap` of every row of `x` `(batch, d_in)` -> `(batch,)`, evaluated at most `chunk_rows`
    rows at a time and in at least `threads` chunks where the rows allow (a chunk shorter than
    `EMPIRICAL_MIN_ROWS` is padded with zero rows), in `pool` if given."""
    minimum = defaults.EMPIRICAL_MIN_ROWS
    even = -(-math.ceil(len(x) / max(1, threads)) // minimum) * minimum  # a multiple of it
    chunk_rows = max(1, min(chunk_rows, even))

    def one(start: int) -> torch.Tensor:
        part = x[start : start + chunk_rows]
        with torch.no_grad():  # grad mode is per thread
            return gap(_padded(part, minimum))[: len(part)]

    starts = range(0, len(x), chunk_rows)
    parts = list(pool.map(one, starts)) if pool is not None and len(starts) > 1 else None
    return torch.cat(parts if parts is not None else [one(s) for s in starts])


def _into_ball(x: torch.Tensor, start: int, generator: torch.Generator) -> torch.Tensor:
    """Odd-numbered points (counting from `start`) moved inside, to radius `U^(1/d)`."""
    u = torch.rand(x.shape[0], generator=generator, dtype=torch.float64)
    inside = (torch.arange(start, start + x.shape[0]) % 2 == 1).to(torch.float64)
    r = 1 - inside + inside * u ** (1 / x.shape[1])
    return x * r.to(device=x.device, dtype=x.dtype)[:, None]


def _best_points(
    values_of, n_samples, d_in, generator, n_ascent, batch_size, dtype, device, ball
) -> tuple[torch.Tensor, torch.Tensor]:
    """The `min(n_ascent, n_samples)` points with the largest gap (`values_of`: the gaps of a
    batch), best first, and their gaps: a running top-k over batches, so memory does not grow
    with `n_samples`."""
    top_x = torch.empty((0, d_in), dtype=dtype, device=device)
    top_v = torch.empty((0,), dtype=dtype, device=device)
    with torch.no_grad():
        for start in range(0, n_samples, batch_size):
            x = unit_sphere(min(batch_size, n_samples - start), d_in, generator, dtype, device)
            if ball:
                x = _into_ball(x, start, generator)
            values = values_of(x)
            cand_x, cand_v = torch.cat([top_x, x]), torch.cat([top_v, values])
            keep = torch.topk(cand_v, min(n_ascent, len(cand_v))).indices
            top_x, top_v = cand_x[keep], cand_v[keep]
    return top_x, top_v


def _tangent(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    w = w - (w * x).sum(1, keepdim=True) * x
    return w / w.norm(dim=1, keepdim=True).clamp_min(torch.finfo(x.dtype).tiny)


def _jacobian(e: Map, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """`(e(x) (S, m), J (S, m, d))` (J None beyond `JACOBIAN_ROWS` outputs) and the gradient
    of `½||e||²`."""
    x = x.detach().requires_grad_(True)
    out = e(x)
    (grad,) = torch.autograd.grad(0.5 * (out * out).sum(), x, retain_graph=True)
    if out.shape[1] > JACOBIAN_ROWS:
        return grad, None
    rows = [
        torch.autograd.grad(out[:, k].sum(), x, retain_graph=k + 1 < out.shape[1])[0]
        for k in range(out.shape[1])
    ]
    return grad, torch.stack(rows, 1)


def _candidates(x, grad, jac, prev, angles) -> torch.Tensor:
    """`(S, c, d)`: points along the great circles of each move, and the sign flips."""
    dirs = [_tangent(grad, x), _tangent(prev, x)]
    if jac is not None:
        v = torch.linalg.svd(jac, full_matrices=False).Vh[:, 0, :]  # (S, d)
        dirs.append(_tangent(v * torch.sign((v * x).sum(1, keepdim=True)), x))
    cos, sin = angles.cos()[None, :, None], angles.sin()[None, :, None]
    pts = [x[:, None, :] * cos + w[:, None, :] * sin for w in dirs]
    # back onto the sphere where a direction is 0 (one input: no tangent; a zero gradient)
    pts = [p / p.norm(dim=2, keepdim=True).clamp_min(torch.finfo(x.dtype).tiny) for p in pts]
    k = min(FLIPS, x.shape[1])
    idx = x.abs().topk(k, dim=1).indices  # (S, k)
    flipped = x[:, None, :].repeat(1, k, 1)  # (S, k, d)
    flipped.scatter_(2, idx[:, :, None], -x.gather(1, idx)[:, :, None])
    return torch.cat([*pts, flipped], 1)


def _local_search(gap: Map, e: Map, x: torch.Tensor, best: torch.Tensor, steps: int):
    angles = torch.logspace(
        -5, math.log10(math.pi / 2), LINE_ANGLES, dtype=x.dtype, device=x.device
    )
    prev = torch.zeros_like(x)
    rows = torch.arange(x.shape[0], device=x.device)
    for _ in range(steps):
        grad, jac = _jacobian(e, x)
        with torch.no_grad():
            cand = _candidates(x, grad, jac, prev, angles)  # (S, c, d)
            vals = gap(cand.reshape(-1, x.shape[1])).reshape(cand.shape[:2])
            top, where = vals.max(1)
            better = top > best
            new = cand[rows, where]
            prev = torch.where(better[:, None], new - x, prev)
            x = torch.where(better[:, None], new, x)
            best = torch.maximum(best, top)
    return x, best


def _restarts(gap: Map, e: Map, x, best, plan: Schedule, generator: torch.Generator):
    """Iterated local search (Lourenço, Martin & Stützle 2003): each round copies the
    `EMPIRICAL_RESTART_ELITE` best points found so far (as many copies in all as the search
    has starts), moves each copy by a Gaussian step of expected length the round's entry of
    `EMPIRICAL_RESTART_SIGMAS` (taken in turn; back onto the sphere), and runs
    `EMPIRICAL_RESTART_STEPS` (at most the search's steps) of the local search from the copies.
    A local maximum's neighbourhood holds better ones (nearby orthants and ReLU patterns) out
    of reach of moves that must each improve."""
    d, steps = x.shape[1], min(defaults.EMPIRICAL_RESTART_STEPS, plan.steps)
    for sigma in (defaults.EMPIRICAL_RESTART_SIGMAS * plan.restarts)[: plan.restarts]:
        elite = torch.topk(best, min(defaults.EMPIRICAL_RESTART_ELITE, len(best))).indices
        copies = max(1, plan.starts // len(elite))
        start = x[elite].repeat_interleave(copies, 0)  # (elite · copies, d)
        noise = torch.randn(start.shape, generator=generator, dtype=torch.float64)
        start = start + sigma / math.sqrt(d) * noise.to(start)
        start = start / start.norm(dim=1, keepdim=True).clamp_min(torch.finfo(x.dtype).tiny)
        with torch.no_grad():
            values = gap(start)
        found, value = _local_search(gap, e, start, values, steps)
        x, best = torch.cat([x, found]), torch.cat([best, value])
    return x, best


@dataclass(frozen=True)
class Schedule:
    starts: int  # points the local search starts from; then its steps, rounds of restarts,
    steps: int  # polish steps and the number of best points polished
    restarts: int
    polish_steps: int
    polish_points: int


def search_schedule(d_in, ascent_steps, n_ascent, restarts, polish_steps) -> Schedule:
    """The sphere search's budget (`None`: the default; measured in docs/error.md). Up to
    `EMPIRICAL_FULL_DIM` inputs: `ascent_steps` local-search steps from `ASCENT_STARTS` points,
    `EMPIRICAL_RESTARTS` rounds of restarts, and the polish of the best half for
    `min(EMPIRICAL_POLISH_STEPS, EMPIRICAL_POLISH_PER_STEP × ascent_steps)` steps. Above it an
    evaluation costs more and a local-search step (~50 evaluations a point) gains less than a
    polish step (one evaluation and its gradient): `EMPIRICAL_HIGH_DIM_STARTS` points, at most
    `EMPIRICAL_HIGH_DIM_STEPS` local-search steps, no restarts, and `EMPIRICAL_HIGH_DIM_POLISH`
    polish steps for all of them. No search at all when `ascent_steps` is 0."""
    high = d_in > defaults.EMPIRICAL_FULL_DIM
    starts = n_ascent or (defaults.EMPIRICAL_HIGH_DIM_STARTS if high else defaults.ASCENT_STARTS)
    if not ascent_steps:
        return Schedule(starts, 0, 0, 0, 0)
    if restarts is None:
        restarts = 0 if high else defaults.EMPIRICAL_RESTARTS
    if polish_steps is None:
        per_step = defaults.EMPIRICAL_POLISH_PER_STEP * ascent_steps
        polish_steps = (defaults.EMPIRICAL_HIGH_DIM_POLISH if high else
                        min(defaults.EMPIRICAL_POLISH_STEPS, per_step))  # fmt: skip
    steps = min(ascent_steps, defaults.EMPIRICAL_HIGH_DIM_STEPS) if high else ascent_steps
    return Schedule(starts, steps, restarts, polish_steps, starts if high else max(1, starts // 2))


def _check_options(*, domain: str, maps: dict, device, dtype, **counts) -> None:
    """`empirical_error`'s maps, counts, generator, device, dtype and domain, each named where
    wrong (None stands for the default only where the signature says so)."""
    for name, f in maps.items():
        if not callable(f) and not (name == "error_map" and f is None):
            raise InvalidArgument(f"{name} is a {type(f).__name__}, not a function of x")
    optional = ("n_ascent", "search_chunk_rows", "restarts", "polish_steps")
    for name in ("d_in", "n_samples", "batch_size", "n_ascent", "chunk_rows", "search_chunk_rows"):
        if counts[name] is not None or name not in optional:
            check_positive_int(name, counts[name])
    for name in ("ascent_steps", "restarts", "polish_steps"):
        v = counts[name]
        if v is None and name in optional:
            continue
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise InvalidArgument(f"{name}={v!r} must be an integer >= 0")
    if domain not in DOMAINS:
        raise InvalidArgument(f"domain={domain!r} is not one of {DOMAINS}")
    check_generator("generator", counts["generator"])
    check_float_dtype("dtype", dtype)
    device = parse_device(device)
    # a batch of points, and the restarts' copies of the starts: (rows, d_in) each
    batch, starts = min(counts["n_samples"], counts["batch_size"]), counts["n_ascent"] or 0
    room = available_memory(device)
    for name, rows in (("d_in", batch), ("n_ascent", starts)):
        need = rows * counts["d_in"] * dtype.itemsize
        if room is not None and need > room:
            raise InvalidArgument(
                f"{name}={counts[name]}: {rows} points of {counts['d_in']} coordinates take "
                f"{format_bytes(need)}, more than the {format_bytes(room)} available"
            )


def empirical_error(
    f: Map,
    g: Map,
    d_in: int,
    *,
    generator: torch.Generator,
    n_samples: int = defaults.EMPIRICAL_SAMPLES,
    ascent_steps: int = defaults.ASCENT_STEPS,
    n_ascent: int | None = None,
    batch_size: int = defaults.EMPIRICAL_BATCH,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
    chunk_rows: int = defaults.EMPIRICAL_CHUNK_ROWS,
    error_map: Map | None = None,
    search_chunk_rows: int | None = None,
    polish_steps: int | None = None,
    domain: str = "sphere",
    restarts: int | None = None,
) -> EmpiricalError:
    """Max of `||f(x) − g(x)||_2` over `n_samples` uniform points of the unit sphere, then the
    local search from the `n_ascent` best, `restarts` rounds of restarts and `polish_steps` of
    projected Adam (module docstring; `search_schedule` says what None means and when
    `ascent_steps` is cut). A lower estimate of the sup; `f`, `g` map `(batch, d_in)` to
    `(batch, d_out)`, differentiable. `error_map`: the same `g − f` computed another way,
    searched instead (the value is still `f − g` at the points found), in chunks of at most
    `search_chunk_rows` rows (None: `chunk_rows`, which bounds the chunks of `f` and `g`
    themselves). `domain="ball"`: every other point moved inside, to radius `U^(1/d)`, and
    `ascent_steps` normalised gradient steps projected onto the ball
    (`approx.measurement.ascent.ball_ascent`)."""
    search_rows = chunk_rows if search_chunk_rows is None else search_chunk_rows
    _check_options(
        n_samples=n_samples, batch_size=batch_size, n_ascent=n_ascent, chunk_rows=chunk_rows,
        search_chunk_rows=search_rows, ascent_steps=ascent_steps, restarts=restarts,
        domain=domain, maps={"f": f, "g": g, "error_map": error_map}, d_in=d_in,
        generator=generator, device=device, dtype=dtype, polish_steps=polish_steps,
    )  # fmt: skip
    plan = search_schedule(d_in, ascent_steps, n_ascent, restarts, polish_steps)

    def plain(x: torch.Tensor) -> torch.Tensor:
        return g(x) - f(x)

    e = plain if error_map is None else error_map

    def norm_of(x: torch.Tensor) -> torch.Tensor:
        return e(x).norm(dim=1)  # (batch,)

    with single_threaded_products(torch.device(device)) as threads:
        pool = cf.ThreadPoolExecutor(threads) if threads > 1 else None
        try:

            def gap(x: torch.Tensor) -> torch.Tensor:
                return evaluate_in_chunks(norm_of, x, search_rows, pool, threads)

            x, best = _best_points(
                gap, n_samples, d_in, generator, plan.starts, batch_size, dtype, device,
                domain == "ball",
            )  # fmt: skip

            if domain == "ball":
                x, best = ball_ascent(norm_of, x, best, ascent_steps)
            elif plan.steps:
                x, best = _local_search(gap, e, x, best, plan.steps)
                x, best = _restarts(gap, e, x, best, plan, generator)
                keep = torch.topk(best, min(plan.polish_points, len(best))).indices
                if plan.polish_steps:
                    px, pbest = polish_in_pool(
                        norm_of, x[keep], best[keep], plan.polish_steps, pool, threads
                    )
                    x, best = torch.cat([x, px]), torch.cat([best, pbest])
            actual = evaluate_in_chunks(
                lambda z: plain(z).norm(dim=1), x, chunk_rows, pool, threads
            )
        finally:
            if pool is not None:
                pool.shutdown()
    i = int(torch.argmax(actual))
    return EmpiricalError(float(actual[i]), x[i].detach(), n_samples, ascent_steps)


def flat_forward(forward, input_shape: tuple[int, ...] | None):
    """`forward` on flattened inputs and outputs, `(batch, c·H·W) -> (batch, features)`, for a
    network that reads `(c, H, W)` (the error's norms are those of the flattened tensors);
    `forward` itself for a dense network."""
    if input_shape is None or len(input_shape) == 1:
        return forward

    def flat(x: torch.Tensor) -> torch.Tensor:
        return forward(x.reshape(-1, *input_shape)).flatten(1)  # (batch, features)

    return flat
