"""The prune phase's cost in a run's estimate (`approx.pipeline.estimate`): workspace bytes and
seconds of `cons.prune`, from the subset-sum solvers' cost model (`solve_cost`; `any_size_cost`
for rows beyond one meet in the middle), the argmin of Malach's construction, or Orseau's digit
passes, over the instances the construction lists (docs/performance.md, "Estimating a run
before it starts")."""

from __future__ import annotations

import itertools
import math

from ..constructions import Construction
from ..engine.subset_sum import solve_cost
from ..engine.subset_sum.any_size import ANY_SIZE_METHODS, any_size_cost

_ARGMIN_S_PER_CANDIDATE = 5e-9
# Orseau's digit_greedy, fitted to its CPU time on one thread (R rows, c columns, K digits from
# 16x16x1000 to 256x16384x40; load average ~5 on 2 cores): ~8 ns per element and log2 c of the
# sort, ~64 µs per digit pass (~15 torch calls) and ~25 ns per row and pass; costed at 100 µs
# and 30 ns, which leaves room for the second thread's synchronisation
_DIGIT_SORT_S = 8e-9
_DIGIT_PASS_S = 100e-6
_DIGIT_ROW_S = 30e-9


def prune_cost(
    cons: Construction,
    target_widths,
    n,
    solver: str,
    itemsize: int,
    threads: int,
    tolerance,
    *,
    homogeneous: bool = True,
) -> tuple[int, float]:
    """(workspace bytes of the largest layer, seconds of all layers) of `cons.prune`; rows
    beyond one meet in the middle (``exact``, ``fewest``) as `solve_any_size` routes them, a
    prefix row widening until `tolerance`. The instances are Pensia's layout's unless the
    construction lists its own (`solver_instances`: Burkholz's copies, Natale's half-lines)
    or matches digits (`digit_passes`: Orseau's); ``fixed`` at Natale's `subset_sizes`."""
    workspace, seconds = 0, 0.0
    # weights per target layer: d_out·d_in, or a convolution's kernel entries (the CNN
    # construction's `target_layer_params`; its widths are flattened feature counts)
    per_layer = getattr(cons, "target_layer_params", None)
    weights = (
        per_layer(tuple(target_widths))
        if per_layer
        else tuple(a * b for a, b in itertools.pairwise(target_widths))
    )
    listed = getattr(cons, "solver_instances", None)
    groups = (
        listed(tuple(target_widths), tuple(n), homogeneous=homogeneous)
        if listed
        else (None,) * len(weights)
    )
    passes = getattr(cons, "digit_passes", None)
    digits = passes(tuple(target_widths), tuple(n)) if passes else (None,) * len(weights)
    sized = getattr(cons, "subset_sizes", None)
    sizes = sized(tuple(target_widths), tuple(n)) if sized else (None,) * len(weights)
    for w_i, n_i, group, digit, size in zip(weights, n, groups, digits, sizes, strict=True):
        candidates = 2 * w_i * n_i  # B_i: products of target layer i
        k = cons.instance_size(n_i)
        if digit is not None:  # two digit_greedy calls (one per half-line), no solver
            w, s = 0, 2 * _digit_seconds(*digit)
        elif k == 0:  # no solver: an argmin over the candidates, per sign
            w, s = 0, 2 * candidates * _ARGMIN_S_PER_CANDIDATE
        else:
            if group is None:
                # Pensia's layout: a row's valid coefficients are Binomial(k, 1/2), sd sqrt(k)/2
                group = ((2 * w_i, k, ((k / 2, 1.0),)),)
                most = k / 2 + 2 * math.sqrt(k)
            else:
                most = max(c for _, _, pmf in group for c, _ in pmf)
            w, s = 0, 0.0
            for rows, columns, pmf in group:
                for valid, p in pmf:
                    if p < 1e-9:
                        continue
                    if solver in ANY_SIZE_METHODS and size is None:
                        gw, gs = any_size_cost(
                            solver, rows, valid, most, tolerance=tolerance, threads=threads
                        )
                    else:  # at Natale's sizes: method fixed, whatever the solver's name
                        method = solver if size is None else "fixed"
                        gw, gs = solve_cost(
                            method, rows, columns, valid, most, threads=threads, size=size
                        )
                    w, s = max(w, gw), s + p * gs
        workspace = max(workspace, candidates * (4 * itemsize + 12) + w)
        seconds += s
    return workspace, seconds


def _digit_seconds(rows: int, columns: int, digits: int) -> float:
    """One `digit_greedy` call (`approx.constructions.orseau`): a sort of its rows, then per
    digit a binary search per row and a few torch calls."""
    sort = rows * columns * math.log2(max(2, columns)) * _DIGIT_SORT_S
    return sort + digits * (_DIGIT_PASS_S + rows * _DIGIT_ROW_S)
