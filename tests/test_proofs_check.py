"""proofs_check: every check passes on the published (or corrected) claims in quick mode, every
family rejects a deliberately wrong claim, and the Monte Carlo machinery is itself checked
against obviously-correct oracles.

Statistical tests here reuse the checks' own pass rules (Clopper–Pearson, family-wise false
failure ≤ 1e-3 per check); the seeds are fixed, so a run is deterministic.
"""

from __future__ import annotations

import math
import re
import types

import pytest
import sympy as sp
import torch
from hypothesis import given
from hypothesis import strategies as st

import proofs_check
from approx.basics.errors import InvalidArgument
from approx.basics.statistics import clopper_pearson
from proofs_check import (
    burkholz,
    malach_single_pair,
    pensia_lemma1,
    pensia_lemma2,
    pensia_lemma3,
    pensia_theorem1,
    pensia_theorem2,
    product_distribution,
    relu,
    runner,
    subset_sum_success,
)
from proofs_check._cases import ALL_SIGNS, cells, prove_identity, prove_nonnegative
from proofs_check._subset_sum import brute_force_errors, mitm_errors
from proofs_check.result import METHODS, CheckResult

from .support import generator, seeds

LN2 = sp.log(2)
SMALL_MC = {"samples": 50_000}


@pytest.fixture(scope="module")
def quick_results() -> list[CheckResult]:
    return proofs_check.run_all(quick=True)


def test_every_check_passes_in_quick_mode(quick_results):
    failed = [f"{r.name}: {r.detail}" for r in quick_results if not r.passed]
    assert not failed, "\n".join(failed)


def test_results_cover_every_family_once(quick_results):
    names = [r.name for r in quick_results]
    assert len(names) == len(set(names))
    families = {name.split(".")[0] + "." + name.split(".")[1] for name in names}
    assert {
        "relu.split",
        "relu.positive_homogeneity",
        "pensia.lemma1",
        "pensia.lemma2",
        "pensia.lemma3",
        "pensia.theorem1",
        "pensia.theorem2",
        "product.density",
        "product.mixing_weight",
        "malach.single_pair_order",
        "malach.union_bound",
        "subset_sum.success",
        "burkholz.leaky_half_lines",
        "burkholz.smooth_remainder",
        "burkholz.cube_norm",
        "burkholz.copies_propagation",
        "burkholz.first_layer_products",
        "burkholz.parameter_count",
    } <= families
    for r in quick_results:
        assert r.method in METHODS and r.paper and r.statement and r.detail
        if r.method == "monte carlo":
            assert "seed" in r.config


def test_findings_name_the_published_claims_that_do_not_hold(quick_results):
    findings = {r.name: r.finding for r in quick_results if r.finding}
    assert set(findings) == {
        "product.mixing_weight.product",
        "malach.single_pair_order.product",
        "burkholz.leaky_half_lines",
    }
    assert "Theta(eps^2)" in findings["malach.single_pair_order.product"]
    assert "(1 + alpha) w" in findings["burkholz.leaky_half_lines"]
    assert "ln 2 / 4" in findings["product.mixing_weight.product"]


def _first_order(ws, es):
    return sum(e * sp.prod([w for j, w in enumerate(ws) if j != i]) for i, e in enumerate(es))


def _halved_k(p, weights, delta):
    return sp.log(weights / delta) / (2 * p)


WRONG_CLAIMS = {
    "relu split, wrong sign": lambda: relu.check_relu_split(
        lambda w, x: relu.relu(w * x) + relu.relu(-w * x)
    ),
    "homogeneity, x >= 0 dropped": lambda: relu.check_positive_homogeneity(x_signs=ALL_SIGNS),
    "homogeneity, halved": lambda: relu.check_positive_homogeneity(lambda a, x: a * x / 2),
    "relu scaling, t < 0 allowed": lambda: relu.check_relu_scaling(ALL_SIGNS),
    "relu Lipschitz constant halved": lambda: relu.check_relu_lipschitz(sp.Rational(1, 2)),
    "lemma 1, N with wrong sign": lambda: pensia_lemma1.check_lemma1_identity(
        claimed_negative_slope=lambda c, d: -sum(ci * di for ci, di in zip(c, d, strict=True))
    ),
    "lemma 1, bound drops |N - w|": lambda: pensia_lemma1.check_lemma1_error_bound(
        lambda big_p, big_n, w: sp.Abs(big_p - w)
    ),
    "lemma 2, cross edges kept": lambda: pensia_lemma2.check_lemma2_decomposition(
        mask_cross_edges=False
    ),
    "lemma 2, max instead of sum": lambda: pensia_lemma2.check_lemma2_error_sum(
        lambda e: sp.Max(*e)
    ),
    "lemma 3, second term halved": lambda: pensia_lemma3.check_lemma3_parameter_count(
        lambda d1, d2, n: 2 * d1**2 * n + d1 * d2 * n
    ),
    "theorem 1, dropped second-order term": lambda: pensia_theorem1.check_theorem1_closed_form(
        _first_order
    ),
    "theorem 1, budget eps/l": lambda: pensia_theorem1.check_theorem1_layer_budget(
        lambda eps, depth: eps / depth
    ),
    "theorem 1, errors simply add": lambda: pensia_theorem1.check_theorem1_sum_of_errors(1),
    "density without the 1/2": lambda: product_distribution.check_product_density(
        lambda z: sp.log(1 / sp.Abs(z))
    ),
    "density without the 1/2 (monte carlo)": lambda: product_distribution.check_product_density_mc(
        lambda z: sp.log(1 / sp.Abs(z)), **SMALL_MC
    ),
    "mixing weight doubled (product)": lambda: product_distribution.check_mixing_weight(
        "product", LN2
    ),
    "mixing weight of the product for sign-pruned units": lambda: (
        product_distribution.check_mixing_weight("sign_pruned", LN2 / 2)
    ),
    "mixing weight doubled (monte carlo)": lambda: product_distribution.check_mixing_weight_mc(
        "product", LN2, **SMALL_MC
    ),
    "sign-pruned weight doubled (monte carlo)": lambda: product_distribution.check_mixing_weight_mc(
        "sign_pruned", LN2 / 2, **SMALL_MC
    ),
    "lower bound without the 2": lambda: pensia_theorem2.check_lower_bound(
        lambda d, eps: d**2 * sp.log(1 / eps, 2) - 1
    ),
    "single pair Theta(eps^2), product reading": lambda: malach_single_pair.check_single_pair_order(
        "product", 2
    ),
    "single pair Theta(eps), both coordinates": lambda: malach_single_pair.check_single_pair_order(
        "both coordinates", 1
    ),
    "single pair probability halved (monte carlo)": lambda: malach_single_pair.check_single_pair_mc(
        lambda w, eps: malach_single_pair.hit_probability(w, eps) / 2, **SMALL_MC
    ),
    "union bound K halved": lambda: malach_single_pair.check_union_bound(_halved_k),
    "union bound K halved (monte carlo)": lambda: malach_single_pair.check_union_bound_mc(
        _halved_k, trials=300
    ),
    "subset sum n=12, eps=1e-4 doubled": lambda: subset_sum_success.check_subset_sum_success(
        subset_sum_success.PublishedRow("test", "uniform", 12, {1e-4: 0.37}, 10_000)
    ),
    "burkholz leaky ReLU, both subsets at w (the authors' code)": lambda: (
        burkholz.check_leaky_half_lines(lambda w, alpha: w)
    ),
    "burkholz tanh remainder constant 1/4": lambda: burkholz.check_smooth_remainder(
        "tanh", sp.Rational(1, 4)
    ),
    "burkholz sigmoid remainder constant 1/64": lambda: burkholz.check_smooth_remainder(
        "sigmoid", sp.Rational(1, 64)
    ),
    "burkholz cube norm by the sup norm": lambda: burkholz.check_cube_norm(
        claimed_rhs=lambda ys: sp.Max(*ys) ** 3 if len(ys) > 1 else ys[0] ** 3
    ),
    "burkholz copies as if they erred alike": lambda: burkholz.check_copies_propagation(
        burkholz._as_if_alike, trials=50
    ),
    "burkholz first layer U[0,1] covers U[-1,1]": lambda: burkholz.check_first_layer_products(1),
    "burkholz parameters linear in n (Pensia's count)": lambda: burkholz.check_parameter_count(
        lambda d, n: sum(2 * d[i] * n[i] * (d[i] + d[i + 1]) for i in range(3))
    ),
    "subset sum, uniform n=16 row claimed for products": lambda: (
        subset_sum_success.check_subset_sum_success(
            subset_sum_success.PublishedRow("test", "product", 16, {1e-2: 0.997}, 10_000)
        )
    ),
}


@pytest.mark.parametrize("name", list(WRONG_CLAIMS))
def test_a_wrong_claim_is_rejected(name):
    result = WRONG_CLAIMS[name]()
    assert result.status == "fail", result.detail


WEAKER_BUT_TRUE = {
    "lemma 1, sum of both errors": lambda: pensia_lemma1.check_lemma1_error_bound(
        lambda big_p, big_n, w: sp.Abs(big_p - w) + sp.Abs(big_n - w)
    ),
    "lemma 2, twice the sum": lambda: pensia_lemma2.check_lemma2_error_sum(lambda e: 2 * sum(e)),
    "theorem 1, factor 2": lambda: pensia_theorem1.check_theorem1_sum_of_errors(2),
    "theorem 1, budget eps ln2 / l (the threshold)": lambda: (
        pensia_theorem1.check_theorem1_layer_budget(lambda eps, depth: eps * LN2 / depth)
    ),
    "lower bound minus 2": lambda: pensia_theorem2.check_lower_bound(
        lambda d, eps: d**2 * sp.log(1 / (2 * eps), 2) - 2
    ),
    "union bound, one extra candidate": lambda: malach_single_pair.check_union_bound(
        lambda p, weights, delta: sp.log(weights / delta) / p + 1
    ),
    "mixing weight ln 2 / 4 for the product": lambda: product_distribution.check_mixing_weight(
        "product", LN2 / 4
    ),
    "burkholz tanh remainder constant 1/2": lambda: burkholz.check_smooth_remainder(
        "tanh", sp.Rational(1, 2)
    ),
    "burkholz first-layer products weight ln 2 / 4": lambda: burkholz.check_first_layer_products(
        2, LN2 / 4
    ),
}


@pytest.mark.parametrize("name", list(WEAKER_BUT_TRUE))
def test_a_weaker_true_claim_passes(name):
    result = WEAKER_BUT_TRUE[name]()
    assert result.passed, result.detail


def test_monte_carlo_checks_are_deterministic():
    a = malach_single_pair.check_single_pair_mc(samples=20_000, seed=7)
    b = malach_single_pair.check_single_pair_mc(samples=20_000, seed=7)
    assert a == b


def test_hit_probability_matches_direct_integration():
    # at w = 0 the interval straddles the log singularity: p = eps (1 + ln(1/eps))
    eps = 0.05
    assert malach_single_pair.hit_probability(0.0, eps) == pytest.approx(
        eps * (1 + math.log(1 / eps)), rel=1e-12
    )
    # the whole range has probability 1
    assert malach_single_pair.hit_probability(0.0, 1.0) == pytest.approx(1.0, rel=1e-12)


@given(seed=seeds, n=st.integers(min_value=1, max_value=10))
def test_meet_in_the_middle_equals_brute_force(seed, n):
    gen = generator(seed)
    coeffs = torch.rand(32, n, generator=gen, dtype=torch.float64) * 2 - 1
    targets = torch.rand(32, generator=gen, dtype=torch.float64) * 4 - 2  # some out of reach
    exact = brute_force_errors(coeffs, targets)
    assert torch.allclose(mitm_errors(coeffs, targets, chunk_elems=64), exact, atol=1e-12, rtol=0)


def test_a_solver_that_misses_the_optimum_is_rejected(monkeypatch):
    def greedy_like(coeffs, targets, valid, method):
        return types.SimpleNamespace(error=mitm_errors(coeffs, targets) + 1e-3 * (targets > 0))

    monkeypatch.setattr(subset_sum_success, "solve", greedy_like)
    result = subset_sum_success.check_library_solver("uniform", 10, samples=200)
    assert result.status == "fail" and "instances differ" in result.detail


def test_full_mode_adds_the_large_rows():
    quick = {name for name, _ in runner.checks(quick=True)}
    full = {name for name, _ in runner.checks(quick=False)}
    assert {"subset_sum.success.uniform.n20", "subset_sum.success.uniform.n24"} <= full - quick


def test_clopper_pearson_edges_are_exact():
    n, conf = 50, 0.95
    assert clopper_pearson(0, n, conf) == (0.0, pytest.approx(1 - 0.025 ** (1 / n)))
    assert clopper_pearson(n, n, conf) == (pytest.approx(0.025 ** (1 / n)), 1.0)


def test_cells_partition_the_sign_and_order_cases():
    a, b = sp.symbols("a b", real=True)
    assert len(cells({a: ALL_SIGNS, b: ALL_SIGNS})) == 9
    # signs 3 x 3; both nonzero: 3 orders of |a| vs |b| (<, =, >)
    assert len(cells({a: ALL_SIGNS, b: ALL_SIGNS}, order_magnitudes=True)) == 4 * 3 + 4 + 1
    assert prove_identity(
        sp.Abs(a * b) - sp.Abs(a) * sp.Abs(b), cells({a: ALL_SIGNS, b: ALL_SIGNS})
    ).holds
    refuted = prove_nonnegative(a - b, cells({a: ALL_SIGNS, b: ALL_SIGNS}, order_magnitudes=True))
    assert not refuted.holds and "counterexample" in refuted.failure


def _result(name: str, status: str, finding: str = "") -> CheckResult:
    return CheckResult(name, "paper", "claim", "symbolic", status, "how", finding)


def test_main_writes_the_report_and_fails_when_a_check_fails(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(
        runner,
        "run_all",
        lambda quick, seed, progress: [_result("a", "pass"), _result("b", "fail", "F!")],
    )
    report = tmp_path / "r.md"
    assert proofs_check.main(["--quick", "--report", str(report)]) == 1
    text = report.read_text()
    assert "| a | paper | symbolic | **pass** | how |" in text
    assert "**b**: F!" in text and "Mode: quick" in text
    out = capsys.readouterr().out
    assert "FAIL" in out and "1/2 checks passed" in out


def test_main_writes_nothing_unasked_and_exits_0(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(runner, "run_all", lambda quick, seed, progress: [_result("a", "pass")])
    monkeypatch.chdir(tmp_path)
    assert proofs_check.main([]) == 0
    assert proofs_check.main(["--", "--quick"]) == 0  # as `approx check-proofs -- --quick` does
    assert list(tmp_path.iterdir()) == []
    assert "1/1 checks passed" in capsys.readouterr().out


def test_an_unwritable_report_is_refused_before_any_check_runs(monkeypatch, tmp_path, capsys):
    ran = []
    monkeypatch.setattr(runner, "run_all", lambda quick, seed, progress: ran.append(1) or [])
    assert proofs_check.main(["--report", str(tmp_path / "no" / "such" / "r.md")]) == 2
    assert proofs_check.main(["--report", str(tmp_path)]) == 2
    assert not ran
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all("--report" in e for e in err)


def test_a_crashing_check_is_a_failing_row(monkeypatch):
    def boom():
        raise RuntimeError("kaput")

    monkeypatch.setattr(runner, "checks", lambda quick, seed: [("x.y", boom)])
    (result,) = runner.run_all(quick=True)
    assert result.status == "fail" and "kaput" in result.detail


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: product_distribution.check_mixing_weight("products", LN2), "setting='products'"),
        (lambda: malach_single_pair.check_single_pair_order("sum", 1), "reading='sum'"),
        (lambda: malach_single_pair.check_single_pair_mc(samples=0), "samples=0"),
        (lambda: subset_sum_success.check_library_solver("gauss", 8), "law='gauss'"),
    ],
)
def test_bad_arguments_name_the_argument_and_value(call, message):
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        call()
