"""The sphere search's parts: restarts only add points (the value never drops), the parallel
polish equals the serial one bit for bit, and the budget for many inputs."""

from __future__ import annotations

import concurrent.futures as cf

import torch

from approx.basics import defaults
from approx.basics.sampling import unit_sphere
from approx.measurement import empirical
from approx.measurement.difference import error_at
from approx.measurement.stored import stored_layers
from approx.pipeline.run import run

from .support import generator


def _error_map():
    r = run(widths=(8, 8, 2), n=6, seed=1, empirical_samples=1, ascent_steps=0)
    a = r.artifacts
    stored = stored_layers(a.target, a.random_net, a.pruned.masks)
    return lambda x: error_at(stored, x)


def test_restarts_reach_at_least_what_the_local_search_reached():
    e = _error_map()

    def zero(x):
        return torch.zeros(len(x), 2, dtype=x.dtype)

    found = [
        empirical.empirical_error(
            zero, e, 8, generator=generator(0), error_map=e, n_samples=256, ascent_steps=4,
            n_ascent=16, restarts=k, polish_steps=0,
        ).value
        for k in (0, 2)
    ]  # fmt: skip
    # the same seed draws the same points and runs the same first search; restarts add points
    assert found[1] >= found[0] > 0


def test_the_parallel_polish_equals_the_serial_one_bit_for_bit():
    e = _error_map()

    def gap(x):
        return e(x).norm(dim=1)

    x = unit_sphere(40, 8, generator(3))
    with torch.no_grad():
        best = gap(x)
    serial = empirical._polish(gap, x, best, 15)
    with (
        empirical.single_threaded_products(torch.device("cpu")),
        cf.ThreadPoolExecutor(2) as pool,
    ):
        parallel = empirical._polish_in_pool(gap, x, best, 15, pool, 2)
    assert torch.equal(serial[0], parallel[0]) and torch.equal(serial[1], parallel[1])
    assert bool((serial[1] >= best).all())


def test_many_inputs_get_fewer_starts_and_steps_and_a_longer_polish():
    low = empirical.search_schedule(16, 10, None, None, None)
    high = empirical.search_schedule(defaults.EMPIRICAL_FULL_DIM + 1, 10, None, None, None)
    assert (low.starts, low.steps, low.restarts) == (
        defaults.ASCENT_STARTS, 10, defaults.EMPIRICAL_RESTARTS
    )  # fmt: skip
    assert high.starts < low.starts and high.steps < low.steps and high.restarts == 0
    assert high.polish_steps > low.polish_steps
    assert empirical.search_schedule(16, 0, None, None, None).polish_steps == 0  # no search at all
