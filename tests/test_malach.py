"""Malach et al.'s construction: one unit per weight and sign, its identity, its width formula,
and the rate at which the single best product's error falls."""

import csv
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from approx.basics.network import Network
from approx.basics.sampling import random_target
from approx.constructions import get_construction, realised_forward
from approx.constructions.layout import unit_input_weights
from approx.constructions.malach import (
    _product_cdf,
    hit_probability,
    malach_samples_per_weight,
)
from approx.measurement.certified import certified_error

from .support import TOL, generator, seeds

MALACH = get_construction("malach")


def in_class(widths, seed) -> Network:
    t = random_target(widths, generator=generator(seed))
    return Network.dense(
        tuple(w * f for w, f in zip(t.weights, MALACH.rescale_factors(t), strict=True))
    )


def build(seed, widths, n):
    target = in_class(widths, seed)
    net = MALACH.sample(widths, (n,) * (len(widths) - 1), generator=generator(seed + 1))
    return target, net, MALACH.prune(target, net)


@given(seed=seeds, n=st.integers(1, 8))
def test_each_weight_is_one_unit_per_sign_with_the_closest_product(seed, n):
    """Against a plain loop (the oracle): for every target weight and sign, the kept unit is
    the argmin of |b a − w| over the units of that sign, or none when 0 is closer."""
    widths = (3, 4, 2)
    target, net, pruned = build(seed, widths, n)
    for i, w in enumerate(target.weights):
        d_out, d_in = w.shape
        m1, m2 = pruned.masks.masks[2 * i], pruned.masks.masks[2 * i + 1]
        a = unit_input_weights(net.weights[2 * i], d_in, n)  # (d_in, 2n)
        b = net.weights[2 * i + 1].view(d_out, d_in, 2 * n)
        kept = m2.view(d_out, d_in, 2 * n)
        off_diagonal = m1.clone()
        unit_input_weights(off_diagonal, d_in, n).zero_()
        assert not off_diagonal.any()  # a unit keeps at most the edge from its own input
        assert torch.equal(unit_input_weights(m1, d_in, n), kept.any(0))
        for k in range(d_out):
            for j in range(d_in):
                for sign, realised in ((1, pruned.layers[i].P), (-1, pruned.layers[i].N)):
                    units = [u for u in range(2 * n) if sign * float(a[j, u]) > 0]
                    best, best_err = None, abs(float(w[k, j]))
                    for u in units:
                        err = abs(float(b[k, j, u] * a[j, u]) - float(w[k, j]))
                        if err < best_err:
                            best, best_err = u, err
                    chosen = [u for u in units if kept[k, j, u]]
                    assert chosen == ([] if best is None else [best])
                    want = 0.0 if best is None else float(b[k, j, best] * a[j, best])
                    assert float(realised[k, j]) == want


@given(seed=seeds, n=st.integers(1, 8))
def test_masked_net_is_the_target_with_each_weight_replaced_by_its_product(seed, n):
    """On x ≥ 0 every layer input is ≥ 0, so the masked net is exactly the target network with
    W_i replaced by P_i (the matched products of the positive units); on general x the first
    layer uses N_1 on the negative coordinates."""
    widths = (3, 4, 2)
    _target, net, pruned = build(seed, widths, n)
    sub = pruned.masks.apply(net)
    x = torch.randn(64, 3, generator=generator(seed + 2), dtype=torch.float64)
    replaced = Network.dense(tuple(lay.P for lay in pruned.layers))
    assert torch.allclose(sub(x.abs()), replaced(x.abs()), atol=TOL[torch.float64])
    assert torch.allclose(sub(x), realised_forward(pruned.layers, x), atol=TOL[torch.float64])


def test_check_target_names_the_entry_bound():
    w1 = torch.tensor([[0.6, 0.0, 0.0, 0.0], [0.0, 0.1, 0.0, 0.0]], dtype=torch.float64)
    violations = MALACH.check_target(Network.dense((w1,)))
    assert len(violations) == 1 and violations[0].layer == 1
    assert "|W[0,0]| = 0.6 > 1/sqrt(4) = 0.5" in violations[0].message
    assert MALACH.rescale_factors(Network.dense((w1,))) == pytest.approx((0.5 / 0.6,))


def test_product_law_closed_form_matches_monte_carlo():
    """hit_probability against 400,000 simulated units: |mean − p| < 5 standard errors
    (false failure ~6e-7 per point)."""
    g = generator(7)
    a = torch.rand(400_000, generator=g, dtype=torch.float64) * 2 - 1
    b = torch.rand(400_000, generator=g, dtype=torch.float64) * 2 - 1
    for w, eta in [(0.0, 0.05), (0.3, 0.01), (0.7, 0.1), (1.0, 0.2), (-0.5, 0.02)]:
        hits = ((a > 0) & ((a * b - w).abs() <= eta)).double().mean().item()
        p = hit_probability(w, eta)
        assert abs(hits - p) < 5 * math.sqrt(p * (1 - p) / a.numel())
    # the antiderivative is right: its difference quotient is the density ln(1/|z|)/2
    for z in (0.1, 0.5, -0.9):
        h = 1e-6
        slope = (_product_cdf(z + h) - _product_cdf(z - h)) / (2 * h)
        assert slope == pytest.approx(math.log(1 / abs(z)) / 2, rel=1e-6)


def test_width_formula_scales_like_one_over_eps_and_certifies_eps():
    n_coarse = malach_samples_per_weight((4, 4, 2), 1e-2, 0.01)
    n_fine = malach_samples_per_weight((4, 4, 2), 1e-3, 0.01)
    assert all(9 < f / c < 11 for f, c in zip(n_fine, n_coarse, strict=True))  # ~ eps^-1
    # a fan-in of 1 allows |w| = 1, where a single product needs ~eps^-2
    ratio = (
        malach_samples_per_weight((1, 1), 1e-2, 0.01)[0]
        / malach_samples_per_weight((1, 1), 1e-1, 0.01)[0]
    )
    assert 80 < ratio < 120
    # at the formula's width (C = 1) the certified error meets eps; delta = 0.01 per seed
    widths, eps = (2, 2, 1), 0.2
    n = MALACH.size(widths, eps, 0.01, 1.0)
    for seed in range(3):
        target = in_class(widths, seed)
        net = MALACH.sample(widths, n, generator=generator(seed + 100))
        pruned = MALACH.prune(target, net)
        assert certified_error(target, pruned.layers).value <= eps


def test_single_best_error_falls_like_one_over_n_with_the_predicted_law():
    """Target weight w = 0.3 (fan-in 1), n candidates per weight (2n units), 400 seeds each
    at n = 40 and n = 640. The per-weight error e has the exact law
    P(e > t) = (1 − hit_probability(w, t))^{2n} for t < |w|; we check
    - the Kolmogorov–Smirnov distance to that law < 1.95/sqrt(400) (each false-fails w.p.
      ~1e-3), and
    - the median falls by 640/40 = 16 within a factor 1.5 (the log-ratio of two medians of 400
      has sd ~0.1; 1.5 is 4 sd, false failure ~1e-4): the error is Θ(1/n), so the candidates
      needed for error ε are Θ(1/ε)."""
    w0, reps = 0.3, 400
    target = Network.dense((torch.tensor([[w0]], dtype=torch.float64),))
    medians = []
    for n in (40, 640):
        errs = []
        for seed in range(reps):
            net = MALACH.sample((1, 1), (n,), generator=generator(1000 * n + seed))
            pruned = MALACH.prune(target, net)
            errs.append(abs(float(pruned.layers[0].P[0, 0]) - w0))
        errs = torch.tensor(sorted(errs), dtype=torch.float64)
        law = torch.tensor([1 - (1 - hit_probability(w0, float(t))) ** (2 * n) for t in errs])
        ecdf_hi = torch.arange(1, reps + 1, dtype=torch.float64) / reps
        ks = max(float((ecdf_hi - law).abs().max()), float((law - (ecdf_hi - 1 / reps)).max()))
        assert ks < 1.95 / math.sqrt(reps)
        medians.append(float(errs.median()))
    assert 16 / 1.5 < medians[0] / medians[1] < 16 * 1.5


def test_comparison_script_writes_its_table_csv_and_plot(tmp_path):
    """scripts/compare_malach_pensia.py end to end at a tiny size (smoke test)."""
    path = Path(__file__).parent.parent / "scripts" / "compare_malach_pensia.py"
    args = ["--quick", "--trials", "60", "--eps", "3", "--out", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, str(path), *args], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "candidates_vs_eps.csv") as f:
        rows = list(csv.DictReader(f))
    methods = {r["method"] for r in rows}
    assert methods == {
        "single best product (Malach)",
        "greedy subset sum",
        "exact subset sum (Pensia)",
    }
    for eps in ("0.1", "0.01"):
        need = {
            r["method"]: float(r["n_needed"])
            for r in rows
            if r["eps"] == eps and "U" in r["targets"]
        }
        assert need["exact subset sum (Pensia)"] <= need["greedy subset sum"]
        assert need["greedy subset sum"] <= need["single best product (Malach)"]
    assert (tmp_path / "candidates_vs_eps.png").stat().st_size > 0
    assert "alpha" in (tmp_path / "candidates_vs_eps.md").read_text()
