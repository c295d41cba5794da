"""What a run will cost, from its arguments alone: peak memory and time of every phase.

`estimate_run` is called by `plan_run`, before anything is drawn; `check_memory` refuses a run
whose peak exceeds the memory available (or the caller's `max_memory_gib`), with the estimate
and the options that shrink it, in one line.

Memory model (bytes; `s` = the dtype's item size, `P` = random-network weights, `H` = its
widest hidden layer, `B_i` = `d_i × h_i`, the candidate products of target layer i):

    random network   P·s, plus the float64 draw of the largest layer while sampling
    masks            P (bool)
    prune            max_i B_i·(4s + 12)  (products, their two-sign copy, widened copy, bool
                     masks) + the solver's workspace (`solve_cost`)
    empirical        P·s (the masked copy) + threads × chunk rows × max(3·H, W)·s (a chunk's
                     activations; W = the largest per-row working set of a random layer, a
                     convolution's unfolded input included: `random_layer_work`) + ascent:
                     min(ASCENT_STARTS, samples) rows × (3·Σh + 3·H)·s
                     (autograd; the local search's candidates are evaluated in the chunks);
                     where the construction realises half-line layers the search runs on the
                     difference form: target widths for h, float64. Then, for a construction
                     with `max_norm_error` (the CNN's), the max-norm search on the random
                     network itself: max(1024 rows × W·s, ASCENT_STARTS rows × ΣW·s)
    process          PROCESS_BYTES (interpreter and libraries): announced with the peak, not
                     counted against the memory available, which excludes it already

    peak = random network + max(sampling, masks + prune, masks + empirical)

(The max-norm search was missing before: `approx run --construction cnn` on the 8×8 digits
LeNet, Conv 1→6, Conv 6→16, Linear 256→32, Linear 32→10 at the theorem's n = 25, 32, 38, 30,
was announced at 343 MiB and peaked at 1.2 GB resident, 453 MiB of it the unfolded input of
the 3×3 convolution for 1024 points; docs/cnn.md.)

Time model: sampling ~10 ns per weight; pruning from `solve_cost` (the subset-sum solvers;
`any_size_cost` for rows beyond one meet in the middle, as `solve_any_size` routes them) or ~5
ns per candidate (Malach's argmin); the empirical phase ~20 ns per point and hidden unit
(gathers and activations, memory-bound) plus ~0.04 ns per multiply-add (single-threaded BLAS),
divided among the threads for the sphere points. Where the construction realises half-line
layers the search runs on the exact difference form (~4 target units and 3 target multiply-adds
per point, ~6 ns per unit: its rows are batched). A local-search step evaluates `3·LINE_ANGLES
+ min(FLIPS, d_0)` candidate points per start (in parallel chunks) and the Jacobian of its
starts (a forward and two passes per output up to `JACOBIAN_ROWS`), plus ~10 ms; a polish step
~3 evaluations of the points it polishes plus ~0.5 ms; starts, steps, restart rounds and polish
as the search plans them (`approx.measurement.empirical.search_schedule`). A target that is not
positively homogeneous (biases, tanh, sigmoid) is searched in the ball instead (`ball_ascent`):
per step a forward and a backward pass (~3 evaluations) of its starts. The difference form's
unit cost and the step overhead were fitted to the empirical phase of six Pensia runs on quiet
cores (wall, two threads): estimated / measured 0.79 (the default run, 1.25 s), 0.98 (8-8-8-2),
1.07 (64-32-10, n = 12), 1.15 (784-500-10, n = 21, 3.4 s), 1.24 (32-64-10, n = 14), 1.26
(128-64-10, n = 16); before, 20 ns per unit and 5 ms per step gave 1.03-2.65. Constants of the
sampling fitted to the CPU time of one thread on an x86 machine (784-500-10 at n = 21: 2.0 ms
per point measured, 2.2 estimated; Malach 4-4-2 at n = 20,000: 6.0 and 6.5); the search's
checked on one loaded machine against its CPU time on one thread (docs/error.md: 16-16-16-4
default 0.96 s, 64-32-10 at n = 12 1.3 s, Burkholz 16-16-16-4 18.8 s); good to a factor of
~2-3, slower in wall time on a loaded machine. Memory is what a run is refused on, time is only
announced.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ..basics import defaults
from ..basics.devices import available_memory
from ..basics.units import format_bytes, format_seconds
from ..constructions import Construction
from ..measurement.empirical import FLIPS, JACOBIAN_ROWS, LINE_ANGLES, search_schedule
from ..measurement.max_norm import CHUNK_ROWS as MAX_NORM_CHUNK_ROWS
from .memory_refusal import MemoryRefusal
from .prune_cost import prune_cost

_SAMPLE_S_PER_WEIGHT = 1e-8
_EMPIRICAL_S_PER_UNIT = 20e-9
_EMPIRICAL_S_PER_MAC = 0.04e-9
_DIFFERENCE_S_PER_UNIT = 5e-9  # the difference form's units: batched, elementwise
_ASCENT_S_PER_STEP = 5e-3  # a local-search step's own overhead (line searches, flips, SVD)
_POLISH_S_PER_STEP = 0.5e-3
# What the process holds before a run allocates anything: the interpreter, torch, numba and
# their compiled kernels. Peak resident memory of a tiny run (`approx run --construction cnn`
# on a 1x8x8 target at n = 1, 16 points, no ascent), `/usr/bin/time -v` on Linux x86-64, torch
# 2.13 CPU: 440 MiB (imports alone: 369 MiB). Announced with the peak, not counted against the
# memory available (the process holds it already).
PROCESS_BYTES = 440 * 2**20


@dataclass(frozen=True)
class RunEstimate:
    """Peak bytes (and the parts it is made of), seconds per phase, the empirical phase's
    chunk rows, the memory available on the run's device (None: unknown) and the caller's
    limit (None: none)."""

    peak_bytes: int
    parts: dict[str, int]
    phase_seconds: dict[str, float]
    chunk_rows: int
    available_bytes: int | None
    limit_bytes: int | None = None
    process_bytes: int = PROCESS_BYTES  # held before the run starts (not in peak_bytes)
    search_chunk_rows: int = defaults.EMPIRICAL_CHUNK_ROWS  # of the searched difference form

    @property
    def seconds(self) -> float:
        return sum(self.phase_seconds.values())

    def describe(self) -> str:
        """One line: time, per phase, and peak memory against what is available."""
        phases = ", ".join(
            f"{k} {format_seconds(v)}" for k, v in self.phase_seconds.items() if v >= 1
        )
        avail = (
            ""
            if self.available_bytes is None
            else f" of {format_bytes(self.available_bytes)} available"
        )
        return (
            f"about {format_seconds(self.seconds)}"
            + (f" ({phases})" if phases else "")
            + f", peak memory about {format_bytes(self.peak_bytes + self.process_bytes)} "
            f"(the run {format_bytes(self.peak_bytes)}{avail}, and "
            f"{format_bytes(self.process_bytes)} for Python and its libraries)"
        )


def _chunk_rows(row_bytes: int, threads: int, budget: int) -> int:
    """Rows per empirical chunk: a multiple of the minimum that fits `threads` chunks in
    `budget`, between the minimum and `EMPIRICAL_CHUNK_ROWS`."""
    lo, hi = defaults.EMPIRICAL_MIN_ROWS, defaults.EMPIRICAL_CHUNK_ROWS
    rows = budget // max(1, threads * row_bytes)
    return int(min(hi, max(lo, rows // lo * lo)))


def _random_net_search_bytes(
    work, target_work, d_in, itemsize, samples, ascent_steps, threads, budget
) -> int:
    """Bytes of the empirical phase of a construction that searches its masked random network
    layer by layer (`random_layer_work`: the CNN's on a convolutional target, which has no
    stored sums to search in difference form), `work` the numbers per row each random layer
    holds (a convolution's unfolded input included), `target_work` the same for the target's
    layers (evaluated beside it on every point). The pool threads' chunks
    (`EMPIRICAL_CHUNK_ROWS` rows each) plus the most the calling thread holds: the l2 local
    search's autograd from `ASCENT_STARTS` points, and the max-norm search
    (`approx.measurement.max_norm`: `MAX_NORM_CHUNK_ROWS` points a pass, then its own
    autograd). Added, not maxed: the allocator keeps freed memory for reuse (each thread its
    own arena), so what one phase held stays resident while the next runs; measured peaks
    exceeded the maximum of the parts (docs/cnn.md)."""
    row = (max(work) + max(target_work)) * itemsize
    rows = _chunk_rows(row, threads, budget)
    in_flight = max(1, min(threads, math.ceil(min(samples, defaults.EMPIRICAL_BATCH) / rows)))
    starts = min(defaults.ASCENT_STARTS, samples)
    ascent = starts * (sum(work) + max(work)) * itemsize if ascent_steps else 0
    # its points are drawn all at once (uniform draws, their signs, the points)
    max_norm = min(samples, MAX_NORM_CHUNK_ROWS) * row + 3 * samples * d_in * itemsize
    return in_flight * rows * row + ascent + max_norm


def _max_norm_seconds(per_point: float, samples: int, ascent_steps: int, threads: int) -> float:
    """The max-norm search: every point through the random network, then per ascent step a
    forward and a backward pass (~3 evaluations) of `ASCENT_STARTS` points."""
    starts = min(defaults.ASCENT_STARTS, samples)
    return samples * per_point / threads + ascent_steps * starts * 3 * per_point


def _search_chunk_rows(target_widths, threads: int, budget: int) -> tuple[int, int]:
    """(rows per chunk, bytes per row) of the searched difference form
    (`approx.measurement.difference.error_at` holds ~10 float64 numbers per row and unit of
    its widest layer): `EMPIRICAL_SEARCH_CHUNK_BYTES` a chunk, between `EMPIRICAL_CHUNK_ROWS`
    and `EMPIRICAL_BATCH` rows, and `threads` of them within `budget`."""
    row_bytes = 10 * max(target_widths) * 8
    lo, hi = defaults.EMPIRICAL_CHUNK_ROWS, defaults.EMPIRICAL_BATCH
    rows = max(lo, min(hi, defaults.EMPIRICAL_SEARCH_CHUNK_BYTES // row_bytes))
    fit = budget // max(1, threads * row_bytes)
    m = defaults.EMPIRICAL_MIN_ROWS
    return int(max(m, min(rows, fit) // m * m)), row_bytes


def _empirical_cost(
    random_widths,
    target_widths,
    itemsize,
    samples,
    ascent_steps,
    threads,
    budget,
    half_line,
    *,
    ball: bool = False,
) -> tuple[int, float, int, float]:
    """(bytes of the chunks and the ascent, seconds, chunk rows, seconds per point on the
    random network, chunk rows of the searched map) of the empirical phase; `ball`: the
    search of a target that is not positively homogeneous (`ball_ascent`: gradient steps from
    its starts, no local search)."""
    hidden = random_widths[1:-1] or (1,)
    widest = max(hidden)
    row_bytes = 3 * widest * itemsize
    rows = _chunk_rows(row_bytes, threads, budget)
    in_flight = max(1, min(threads, math.ceil(min(samples, defaults.EMPIRICAL_BATCH) / rows)))
    starts = min(defaults.ASCENT_STARTS, samples)
    # autograd through the searched map: the difference form (float64, target-sized) where the
    # construction realises half-line layers, else the random network
    searched_widths, searched_size = (target_widths, 8) if half_line else (hidden, itemsize)
    ascent_bytes = (
        starts * 3 * (sum(searched_widths) + max(searched_widths)) * searched_size
        if ascent_steps
        else 0
    )
    chunk_bytes = in_flight * max(rows, defaults.EMPIRICAL_MIN_ROWS) * row_bytes
    search_rows = rows
    if half_line:  # the searched chunks are held while searching, the network's at the end
        search_rows, search_row_bytes = _search_chunk_rows(target_widths, threads, budget)
        chunk_bytes = max(chunk_bytes, threads * search_rows * search_row_bytes)
    # the first layer of each pair is a gather (one kept input per unit): no multiply-adds
    target_macs = sum(a * b for a, b in itertools.pairwise(target_widths))
    macs = sum(a * b for a, b in itertools.pairwise(random_widths[1:])) + target_macs
    per_point = sum(hidden) * _EMPIRICAL_S_PER_UNIT + macs * _EMPIRICAL_S_PER_MAC
    # half-line layers: the search runs on the exact difference form, target-sized
    searched = (
        4 * sum(target_widths) * _DIFFERENCE_S_PER_UNIT + 3 * target_macs * _EMPIRICAL_S_PER_MAC
        if half_line
        else per_point
    )
    seconds = samples * searched / threads
    plan = search_schedule(target_widths[0], ascent_steps, None, None, None)
    if ball:  # a forward and a backward pass (~3 evaluations) of the starts per step
        seconds += (3 * ascent_steps * searched + per_point) * plan.starts
    elif plan.steps:
        # the local search, then its restart rounds (as many starts, fewer steps each)
        steps = plan.steps + plan.restarts * min(defaults.EMPIRICAL_RESTART_STEPS, plan.steps)
        candidates = 3 * LINE_ANGLES + min(FLIPS, target_widths[0])  # per start and step, no grad
        jacobian = 1 + 2 * (1 + min(JACOBIAN_ROWS, target_widths[-1]))  # forward + backwards
        seconds += steps * (
            plan.starts * (candidates / threads + jacobian) * searched + _ASCENT_S_PER_STEP
        )
        seconds += plan.polish_steps * (3 * plan.polish_points * searched + _POLISH_S_PER_STEP)
        seconds += (plan.starts + plan.polish_points) * per_point  # the value at the points found
    return chunk_bytes + ascent_bytes, seconds, rows, per_point, search_rows


def estimate_run(
    cons: Construction,
    target_widths: Sequence[int],
    n: Sequence[int],
    *,
    solver: str,
    dtype: torch.dtype,
    device: torch.device,
    empirical_samples: int,
    ascent_steps: int,
    max_memory_gib: float | None = None,
    prefix_tolerance: float | None = None,
    homogeneous: bool = True,
) -> RunEstimate:
    """Peak memory and time of a run with these arguments (module docstring: the model).
    `max_memory_gib` (None: no limit but the device's) also sizes the empirical chunks;
    `prefix_tolerance`: where a row too large for one meet in the middle stops widening;
    `homogeneous`: the target is bias-free with a ReLU-family activation (else its empirical
    search runs in the ball, and Burkholz's prune solves its smooth-activation layout)."""
    random_widths = cons.random_widths(tuple(target_widths), tuple(n))
    s = torch.empty((), dtype=dtype).element_size()
    threads = max(1, torch.get_num_threads()) if device.type == "cpu" else 1
    per_layer = getattr(cons, "random_layer_params", None)  # convolutions: their weights
    layers = (
        list(per_layer(tuple(target_widths), tuple(n)))
        if per_layer
        else [a * b for a, b in itertools.pairwise(random_widths)]
    )
    P = sum(layers)
    limit = None if max_memory_gib is None else int(max_memory_gib * 2**30)
    net = P * s
    sampling = max(layers) * (16 + (s if s != 8 else 0))
    prune_bytes, prune_s = prune_cost(
        cons, target_widths, n, solver, s, threads, prefix_tolerance, homogeneous=homogeneous
    )
    fixed = net + P + P * s  # random network, masks, masked copy
    budget = defaults.EMPIRICAL_MEMORY_BUDGET
    if limit is not None:
        budget = max(0, min(budget, limit - fixed))
    half_line = not getattr(cons, "realises_copies", False)
    # a convolutional target has no stored sums: its search runs on the random network
    difference_form = half_line and getattr(cons, "difference_form", True)
    emp_bytes, emp_s, rows, per_point, search_rows = _empirical_cost(
        random_widths, target_widths, s, empirical_samples, ascent_steps, threads, budget,
        difference_form, ball=not homogeneous,
    )  # fmt: skip
    work = getattr(cons, "random_layer_work", None)
    if not difference_form and work is not None:
        emp_bytes = _random_net_search_bytes(
            work(tuple(target_widths), tuple(n)), cons.target_layer_work(tuple(target_widths)),
            target_widths[0], s, empirical_samples, ascent_steps, threads, budget,
        )  # fmt: skip
    if half_line and getattr(cons, "max_norm_error", False):
        emp_s += _max_norm_seconds(per_point, empirical_samples, ascent_steps, threads)
    parts = {
        "random network": net,
        "masks": P,
        "prune": prune_bytes,
        "empirical": P * s + emp_bytes,
    }
    peak = net + max(sampling, P + prune_bytes, P + P * s + emp_bytes)
    return RunEstimate(
        peak_bytes=int(peak),
        parts=parts,
        phase_seconds={
            "sample": P * _SAMPLE_S_PER_WEIGHT,
            "prune": prune_s,
            "empirical": emp_s,
        },
        chunk_rows=rows,
        available_bytes=available_memory(device),
        limit_bytes=limit,
        search_chunk_rows=search_rows,
    )


def check_memory(est: RunEstimate, n: Sequence[int], *, theorem=False, max_memory_gib=None,
                 ascent=True) -> None:  # fmt: skip
    """Refuse (one line: the estimate, its parts, the options that shrink it) a run whose peak
    exceeds the available memory or `max_memory_gib` (the caller's value, as given); `theorem`:
    `n` is the theorem's, not the caller's; `ascent`: the run has ascent steps to drop."""
    caps = []
    if est.available_bytes is not None:
        caps.append((est.available_bytes, f"{format_bytes(est.available_bytes)} is available"))
    if est.limit_bytes is not None:
        caps.append((est.limit_bytes, f"max_memory_gib={max_memory_gib:g} GiB allows no more"))
    over = [text for cap, text in caps if est.peak_bytes > cap]
    if not over:
        return
    parts = ", ".join(f"{k} {format_bytes(v)}" for k, v in est.parts.items())
    raise MemoryRefusal(
        f"this run needs about {format_bytes(est.peak_bytes)} at its peak ({parts}; "
        f"about {format_seconds(est.seconds)}) but {' and '.join(over)}",
        n,
        theorem=theorem,
        ascent=ascent
        and est.parts["empirical"] > max(est.parts["random network"], est.parts["prune"]),
    )
