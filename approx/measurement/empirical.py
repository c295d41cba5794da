"""The empirical error: a lower estimate of `sup_{||x||_2 ≤ 1} ||f(x) − g̃(x)||_2`, the largest
error actually found at points of the unit sphere or ball (random points, then projected
gradient ascent on the difference).

Bias-free ReLU networks are positively homogeneous (`f(cx) = c f(x)` for `c ≥ 0`), so for them
the sup over the ball is attained on the sphere (`domain="sphere"`). Networks with biases or a
smooth activation are not, and their sup may lie inside the ball (`domain="ball"`: points
uniform in the ball, half of them on its boundary, and ascent projected onto the ball).

Memory and threads. The points are drawn in batches of `batch_size` and each batch is
evaluated in chunks of `chunk_rows` rows, so the phase holds one chunk's activations per
thread, whatever `n_samples`; only the best `n_ascent` points are kept between batches. On CPU
every matrix product runs single-threaded (torch's thread count is set to 1 for the phase and
restored after it), and chunks run in parallel on a pool of that many threads instead. A
single-threaded product gives each row the same bits whatever the other rows of its chunk
(for chunks of at least `defaults.EMPIRICAL_MIN_ROWS` rows: smaller chunks are padded with
zero rows), so the result depends neither on the thread count (MKL or OpenMP settings,
`--workers`) nor on the chunk size; a multi-threaded product may split its sums differently
per thread count, which changed the last digits before.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from ..basics import defaults
from ..basics.errors import InvalidArgument, check_positive_int
from ..basics.sampling import unit_sphere

DOMAINS = ("sphere", "ball")


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
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield threads
    finally:
        torch.set_num_threads(threads)


def _padded(x: torch.Tensor, rows: int) -> torch.Tensor:
    if len(x) >= rows:
        return x
    return torch.cat([x, x.new_zeros((rows - len(x), *x.shape[1:]))])


def evaluate_in_chunks(
    gap: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    chunk_rows: int,
    pool: cf.Executor | None,
) -> torch.Tensor:
    """`gap` of every row of `x` `(batch, d_in)` -> `(batch,)`, evaluated `chunk_rows` rows at a
    time (a chunk shorter than `EMPIRICAL_MIN_ROWS` is padded with zero rows), in `pool` if
    given."""
    minimum = defaults.EMPIRICAL_MIN_ROWS

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
    gap, n_samples, d_in, generator, n_ascent, batch_size, chunk_rows, dtype, device, pool, ball
) -> tuple[torch.Tensor, torch.Tensor]:
    """The `min(n_ascent, n_samples)` points with the largest gap, best first, and their
    gaps: a running top-k over batches, so memory does not grow with `n_samples`."""
    top_x = torch.empty((0, d_in), dtype=dtype, device=device)
    top_v = torch.empty((0,), dtype=dtype, device=device)
    with torch.no_grad():
        for start in range(0, n_samples, batch_size):
            x = unit_sphere(min(batch_size, n_samples - start), d_in, generator, dtype, device)
            if ball:
                x = _into_ball(x, start, generator)
            values = evaluate_in_chunks(gap, x, chunk_rows, pool)
            cand_x, cand_v = torch.cat([top_x, x]), torch.cat([top_v, values])
            keep = torch.topk(cand_v, min(n_ascent, len(cand_v))).indices
            top_x, top_v = cand_x[keep], cand_v[keep]
    return top_x, top_v


def empirical_error(
    f: Callable[[torch.Tensor], torch.Tensor],
    g: Callable[[torch.Tensor], torch.Tensor],
    d_in: int,
    *,
    generator: torch.Generator,
    n_samples: int = defaults.EMPIRICAL_SAMPLES,
    ascent_steps: int = defaults.ASCENT_STEPS,
    n_ascent: int = defaults.ASCENT_STARTS,
    batch_size: int = defaults.EMPIRICAL_BATCH,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
    chunk_rows: int = defaults.EMPIRICAL_CHUNK_ROWS,
    domain: str = "sphere",
) -> EmpiricalError:
    """Max of `||f(x) − g(x)||_2` over `n_samples` uniform points of the unit sphere, then
    `ascent_steps` of projected (Riemannian, normalised-step) gradient ascent from the
    `n_ascent` best points, keeping the best value seen. A lower estimate of the sup; `f`, `g`
    map `(batch, d_in)` to `(batch, d_out)` and must be differentiable in torch. Points are
    evaluated `chunk_rows` at a time (module docstring: memory, and why threads do not change
    the result).

    `domain="ball"`: every other point is moved inside, to radius `U^(1/d)` (so the points are
    half uniform in the ball, half on the sphere), and each ascent step is a normalised
    gradient step projected onto the ball (`x / max(1, ||x||)`).
    """
    check_positive_int("n_samples", n_samples)
    check_positive_int("batch_size", batch_size)
    check_positive_int("n_ascent", n_ascent)
    check_positive_int("chunk_rows", chunk_rows)
    if isinstance(ascent_steps, bool) or not isinstance(ascent_steps, int) or ascent_steps < 0:
        raise InvalidArgument(f"ascent_steps={ascent_steps!r} must be an integer >= 0")
    if domain not in DOMAINS:
        raise InvalidArgument(f"domain={domain!r} is not one of {DOMAINS}")
    ball = domain == "ball"

    def gap(x: torch.Tensor) -> torch.Tensor:
        return (f(x) - g(x)).norm(dim=1)  # (batch,)

    with single_threaded_products(torch.device(device)) as threads:
        pool = cf.ThreadPoolExecutor(threads) if threads > 1 else None
        try:
            x, best_val = _best_points(
                gap, n_samples, d_in, generator, n_ascent, batch_size, chunk_rows, dtype,
                device, pool, ball,
            )  # fmt: skip
        finally:
            if pool is not None:
                pool.shutdown()
        best_x, best_val = x.clone(), best_val.clone()
        step = 0.1

        def keep_better(x: torch.Tensor, new: torch.Tensor) -> None:
            nonlocal best_val
            better = new > best_val
            best_val = torch.where(better, new, best_val)
            best_x[better] = x[better]

        for t in range(ascent_steps):
            x.requires_grad_(True)
            val = gap(x)  # also the value at the point the previous step reached
            if t:
                keep_better(x.detach(), val.detach())
            (grad,) = torch.autograd.grad(val.sum(), x)
            with torch.no_grad():
                x = _ascent_step(x, grad, step, ball)
            step *= 0.97
        if ascent_steps:
            with torch.no_grad():
                keep_better(x, gap(x))
    i = int(torch.argmax(best_val))
    return EmpiricalError(float(best_val[i]), best_x[i].detach(), n_samples, ascent_steps)


def _ascent_step(x: torch.Tensor, grad: torch.Tensor, step: float, ball: bool) -> torch.Tensor:
    """One normalised gradient step: projected onto the ball, or along the sphere's tangent and
    back onto the sphere."""
    tiny = torch.finfo(x.dtype).tiny
    if ball:
        x = x + step * grad / grad.norm(dim=1, keepdim=True).clamp_min(tiny)
        return x / x.norm(dim=1, keepdim=True).clamp_min(1.0)  # back into the ball
    tangent = grad - (grad * x).sum(1, keepdim=True) * x  # onto the sphere's tangent
    x = x + step * tangent / tangent.norm(dim=1, keepdim=True).clamp_min(tiny)
    return x / x.norm(dim=1, keepdim=True)
