"""The ``fewest`` CPU kernels against their previous version (tests/fewest_reference_kernels.py):
the same chosen subset in every row, not only the same count and error, so that runs keep their
masks.

Tie rule: both versions pick, among the pairs of half sums with the fewest popcounts within the
tolerance, the one the popcount buckets' sweeps reach first at the least error (the current
kernels find it among the windows' pairs, or by the same sweeps when a window is long), over
the same sorted lists (stable merges, the sums formed in the same float64 order). The integer
instances, full of equal sums and errors exactly at the tolerance, check exactly that; the
boundary instances put a target within rounding of a sum's tolerance window edge, where the
window ends' guesses (integer keys, lowered by a rounding margin) are moved to the float64 test.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from approx.engine.subset_sum._fewest_kernels import _best_pair, _fewest_by_buckets
from approx.engine.subset_sum._numba_fewest import fewest_numba

from .fewest_reference_kernels import reference_fewest
from .support import generator, kinds_of_instances, seeds

F64 = torch.float64
BUDGET = 2**30
# From windows of a fraction of a sum (the run's 2.8e-6) to windows of thousands of sums.
TOLERANCES = (1e-9, 2.8e-6, 1e-4, 1e-2, 0.05, 0.5, 1.0, 3.0)


def _same_choice(coeffs, targets, valid, tol) -> None:
    want = reference_fewest(coeffs, targets, valid, tol)
    got = fewest_numba(coeffs, targets, valid, tol, BUDGET)
    differ = (want != got).any(1)
    m = len(coeffs)
    assert not differ.any(), f"{int(differ.sum())} of {m} rows differ, first {differ.nonzero()[0]}"


@given(
    seed=seeds,
    k=st.integers(0, 24),
    p_valid=st.sampled_from([0.0, 0.5, 0.9, 1.0]),
    kind=st.sampled_from(["f64", "f32", "int"]),
    tol=st.sampled_from(TOLERANCES),
)
def test_same_subset_as_the_previous_kernels(seed, k, p_valid, kind, tol):
    _same_choice(*kinds_of_instances(seed, 48, k, p_valid, kind), tol)


def _half_sum(x: list[float]) -> float:
    """A half's subset sum as the kernels form it: from 0.0, in column order."""
    total = 0.0
    for v in x:
        total += v
    return total


@given(seed=seeds, k=st.integers(2, 20), tol=st.sampled_from(TOLERANCES[:5]))
def test_same_subset_with_targets_at_the_tolerance_edge(seed, k, tol):
    """Each target is a random subset's float64 sum plus or minus tol (rounded): the edge of
    that sum's window within rounding, where a wrong window end would show."""
    g = generator(seed)
    coeffs = (torch.rand(32, k, generator=g, dtype=F64) * 2 - 1) * 10.0 ** torch.randint(
        -3, 3, (32, 1), generator=g
    )
    keep = torch.rand(32, k, generator=g) < 0.5
    sign = torch.randint(0, 2, (32,), generator=g) * 2 - 1
    targets = []
    for r in range(32):
        x, chosen = coeffs[r].tolist(), keep[r].tolist()
        h1 = k // 2
        a = _half_sum([v for v, c in zip(x[:h1], chosen[:h1], strict=True) if c])
        b = _half_sum([v for v, c in zip(x[h1:], chosen[h1:], strict=True) if c])
        targets.append((a + b) + float(sign[r]) * tol)
    _same_choice(coeffs, torch.tensor(targets, dtype=F64), torch.ones(32, k, dtype=torch.bool), tol)


def test_same_subset_on_edge_cases():
    """No valid coefficient, one, two; zeros of both signs; equal coefficients; a target far
    beyond every sum; coefficients of very different magnitudes."""
    rows = [
        ([0.5, -0.25, 0.125], [False, False, False], 0.3),
        ([0.5, -0.25, 0.125], [True, False, False], 0.3),
        ([0.5, -0.25, 0.125], [False, True, True], -0.125),
        ([0.0, -0.0, 0.0, 0.25], [True, True, True, True], 0.25),
        ([0.3, 0.3, 0.3, 0.3, 0.3], [True] * 5, 0.6),
        ([0.3, -0.3, 0.3, -0.3, 0.3], [True] * 5, 0.0),
        ([0.5, 0.25, 0.125, 0.0625], [True] * 4, 100.0),
        ([1e6, 1e-6, -1e6, 3e-7, 2.0, -1e-12], [True] * 6, 2.000001),
    ]
    k = max(len(c) for c, _, _ in rows)
    coeffs = torch.zeros(len(rows), k, dtype=F64)
    valid = torch.zeros(len(rows), k, dtype=torch.bool)
    for r, (c, v, _) in enumerate(rows):
        coeffs[r, : len(c)] = torch.tensor(c, dtype=F64)
        valid[r, : len(v)] = torch.tensor(v)
    targets = torch.tensor([t for _, _, t in rows], dtype=F64)
    for tol in (1e-12, 1e-6, 0.1, 0.5, 10.0):
        _same_choice(coeffs, targets, valid, tol)
    empty = torch.zeros(0, 3, dtype=F64)
    assert fewest_numba(empty, torch.zeros(0, dtype=F64), empty.bool(), 0.1, BUDGET).shape == (0, 3)


@pytest.mark.parametrize(
    ("m", "k", "p_valid", "kind", "tol"),
    [
        (20_000, 42, 0.5, "f32", 2.8e-6),  # the 784-500-10 run's instances
        (10_000, 21, 1.0, "f64", 1e-4),
        (10_000, 16, 1.0, "int", 0.5),
        (3_000, 21, 1.0, "f64", 0.05),  # long windows: the buckets
    ],
)
def test_same_subset_on_manykinds_of_instances(m, k, p_valid, kind, tol):
    _same_choice(*kinds_of_instances(1, m, k, p_valid, kind), tol)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("m", "k", "p_valid", "kind", "tol"),
    [
        (1_000_000, 42, 0.5, "f32", 2.8e-6),
        (300_000, 21, 1.0, "f64", 1e-3),
        (300_000, 16, 1.0, "int", 1.0),
        (100_000, 21, 1.0, "f64", 0.02),
        (10_000, 30, 1.0, "f64", 1e-6),
    ],
)
def test_same_subset_on_a_millionkinds_of_instances(m, k, p_valid, kind, tol):
    _same_choice(*kinds_of_instances(2, m, k, p_valid, kind), tol)


@given(
    seed=seeds,
    ks=st.tuples(st.integers(1, 10), st.integers(1, 10)),
    tol=st.sampled_from([1e-9, 2.8e-6, 1e-4, 1e-2, 0.3]),
    kind=st.sampled_from(["f64", "int"]),
)
def test_window_scan_equals_the_buckets(seed, ks, tol, kind):
    """The two ways to the pair, on sorted subset sums of both halves with popcounts, 16
    targets per draw: the windows' scan (short windows) and the popcount buckets' sweeps
    (long ones) pick the same pair; neither finds one exactly when no pair is within tol."""
    g = generator(seed)
    halves = []
    for h in ks:
        if kind == "int":  # many equal sums
            x = torch.randint(-4, 5, (h,), generator=g).to(F64) / 4
        else:
            x = torch.rand(h, generator=g, dtype=F64) * 2 - 1
        bits = (torch.arange(2**h)[:, None] >> torch.arange(h)) & 1  # (2^h, h)
        sums, order = (bits.to(F64) * x).sum(1).sort(stable=True)
        halves.append((np.append(sums.numpy(), np.inf), bits.sum(1)[order].numpy()))
    (a, ca), (b, cb) = halves
    na, nb = len(ca), len(cb)
    for t in (torch.rand(16, generator=g, dtype=F64) * 4 - 2).tolist():
        scan = _best_pair(a, ca, na, b, cb, nb, t, tol, np.zeros(na, np.int64))  # lower bounds
        n = max(na, nb)
        sums = (np.empty(n), np.empty(n))
        ends, starts = np.empty((2, n), np.int64), np.empty((2, 64), np.int64)
        buckets = _fewest_by_buckets(a, ca, na, ks[0], b, cb, nb, ks[1], t, tol, sums, ends, starts)
        if scan[0] != -2:  # no window longer than the scan takes
            assert tuple(scan) == tuple(buckets)
