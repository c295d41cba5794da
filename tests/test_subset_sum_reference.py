"""The exact CPU kernels against their previous version (tests/mitm_reference_kernels.py): the
same chosen subset in every row, not only the same error, so that runs keep their masks.

Tie rule: both versions return the pair of list positions the four-chain sweep finds over the
same sorted lists (stable merges, the sums formed in the same float64 order), so on equal sums,
or equal distances, they pick the same subset; the integer instances, full of equal sums, check
exactly that.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from approx.engine.subset_sum._numba_mitm import exact_numba

from .mitm_reference_kernels import reference_exact
from .support import kinds_of_instances, seeds

F64 = torch.float64
BUDGET = 2**30


def _same_choice(seed, m, k, p_valid, kind) -> None:
    coeffs, targets, valid = kinds_of_instances(seed, m, k, p_valid, kind)
    want = reference_exact(coeffs, targets, valid)
    got = exact_numba(coeffs, targets, valid, BUDGET)
    differ = (want != got).any(1)
    assert not differ.any(), f"{int(differ.sum())} of {m} rows differ, first {differ.nonzero()[0]}"


@given(
    seed=seeds,
    k=st.integers(0, 26),
    p_valid=st.sampled_from([0.5, 0.9, 1.0]),
    kind=st.sampled_from(["f64", "f32", "int"]),
)
def test_same_subset_as_the_previous_kernels(seed, k, p_valid, kind):
    _same_choice(seed, 64, k, p_valid, kind)


@pytest.mark.parametrize(
    ("m", "k", "p_valid", "kind"),
    [(20_000, 21, 1.0, "f64"), (20_000, 42, 0.5, "f32"), (20_000, 16, 1.0, "int")],
)
def test_same_subset_on_manykinds_of_instances(m, k, p_valid, kind):
    _same_choice(1, m, k, p_valid, kind)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("m", "k", "p_valid", "kind"),
    [
        (1_000_000, 21, 1.0, "f64"),
        (1_000_000, 42, 0.5, "f32"),
        (300_000, 16, 1.0, "int"),
        (300_000, 12, 0.8, "int"),
        (20_000, 28, 1.0, "f64"),
    ],
)
def test_same_subset_on_a_millionkinds_of_instances(m, k, p_valid, kind):
    _same_choice(2, m, k, p_valid, kind)
