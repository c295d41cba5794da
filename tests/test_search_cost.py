"""The compare estimate's search costs (`approx.pipeline.search.cost`) against what the searches
really do: the steps each method reports, IMP's rounds, greedy's moves. Not timed: the
constants are fitted measurements (docs/performance.md); what is tested is what they multiply."""

from __future__ import annotations

import pytest

from approx.basics import defaults
from approx.experiments.threads import limited_threads
from approx.pipeline.plan import plan_run
from approx.pipeline.run import run
from approx.pipeline.search import METHODS, TAKES_DENSITY, search
from approx.pipeline.search.benchmark import estimate_seconds
from approx.pipeline.search.cost import greedy_moves, search_seconds, search_steps

QUICK = {"empirical_samples": 16, "ascent_steps": 0}
SHORT = {  # a few steps each: the counts, not the searches, are under test
    "edge-popup": {"steps": 7},
    "supermask": {"steps": 7},
    "imp": {"steps": 3},
    "gmp": {"steps": 7},
    "rigl": {"steps": 7},
    "evolution": {"generations": 3},
    "annealing": {"steps": 9},
}


def _network(widths, n):
    with limited_threads():
        res = run(widths=widths, n=n, **QUICK)
    return res.artifacts.target, res.artifacts.random_net, res.random_widths


def test_modelled_steps_are_the_steps_each_search_takes():
    """`search_steps` counts what `SearchResult.steps` reports, IMP's 14 rounds at density
    0.05 included."""
    density = 0.05
    target, net, widths = _network((3, 4, 2), 2)
    for method, options in SHORT.items():
        opts = {**options, **({"density": density} if method in TAKES_DENSITY else {})}
        found = search(target, net, method=method, seed=0, **opts)
        assert search_steps(method, widths, density, **options) == found.steps, method


@pytest.mark.parametrize(("widths", "n"), [((4, 4, 2), 8), ((8, 8, 4), 8)])
def test_greedy_moves_model_is_within_a_factor_of_two_of_the_moves_made(widths, n):
    """Greedy stops when no move helps, so its moves are modelled (1.5 √n per target weight of
    a pair): measured 104 and 416 moves here, deterministic for the seed."""
    target, net, _ = _network(widths, n)
    with limited_threads():
        found = search(target, net, method="greedy", seed=0)
    modelled = sum(greedy_moves(widths, (n,) * (len(widths) - 1), 2000))
    assert found.steps / 2 <= modelled <= 2 * found.steps


def test_compare_estimate_is_the_sum_of_its_parts():
    """The default comparison: every method once (at the guessed budget), the run, the other
    constructions' prunes and one empirical phase per row; a method with a budget costs once
    per budget of `densities`."""
    widths, n = (4, 4, 2), 8
    random_widths, tw, ns = (4, 64, 4, 64, 2), widths, (n, n)
    searches = sum(search_seconds(m, random_widths, tw, ns) for m in METHODS)
    total = estimate_seconds(widths=widths, n=n)
    assert searches < total < searches + 10  # the run and 13 rows' empirical phases: seconds
    two = estimate_seconds(widths=widths, n=n, densities=[0.2, 0.4])
    extra = sum(
        search_seconds(m, random_widths, tw, ns, 0.2)
        + search_seconds(m, random_widths, tw, ns, 0.4)
        - search_seconds(m, random_widths, tw, ns)
        for m in TAKES_DENSITY
    )
    # one more row per method with a budget, each measured like the run's empirical phase
    plan = plan_run(
        None, widths, eps=defaults.EPS, delta=defaults.DELTA, construction="pensia", n=n,
        C=None, solver=defaults.SOLVER, seed=0, device="cpu", dtype=defaults.DTYPE,
        empirical_samples=defaults.EMPIRICAL_SAMPLES, ascent_steps=defaults.ASCENT_STEPS,
        weight_tolerance=None,
    )  # fmt: skip
    row = plan.estimate.phase_seconds["empirical"]
    assert two - total == pytest.approx(extra + len(TAKES_DENSITY) * row)
