"""check_finite's fast path (a finite sum) against the entrywise oracle."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from approx.basics.errors import InvalidArgument
from approx.basics.tensor_checks import check_finite
from tests.support import generator, seeds

BAD = (float("nan"), float("inf"), -float("inf"))


@settings(max_examples=200, deadline=None)
@given(
    seed=seeds,
    size=st.integers(1, 300),
    dtype=st.sampled_from([torch.float16, torch.float32, torch.float64]),
    scale=st.sampled_from([1.0, 1e4, 1e30, 1e300]),
    bad=st.lists(st.sampled_from(BAD), max_size=3),
)
def test_check_finite_agrees_with_the_entrywise_check(seed, size, dtype, scale, bad):
    g = generator(seed)
    # huge finite entries: the sum overflows, which must not be taken for a bad entry
    t = ((torch.rand(size, generator=g, dtype=torch.float64) - 0.5) * scale).to(dtype)
    where = torch.randint(size, (len(bad),), generator=g)
    for i, v in zip(where.tolist(), bad, strict=True):
        t[i] = v
    if torch.isfinite(t).all():
        check_finite("t", t)
    else:
        n_bad = int((~torch.isfinite(t)).sum())
        with pytest.raises(InvalidArgument, match=rf"t has {n_bad} non-finite"):
            check_finite("t", t)


def test_check_finite_takes_an_empty_tensor():
    check_finite("t", torch.zeros(0))
