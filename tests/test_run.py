"""One run end to end: determinism, the JSON contract, theorem sizing, assumption checks."""

import math

import pytest
import torch

import approx.pipeline.run as run_module
from approx.basics.errors import InvalidArgument, TargetAssumptionError
from approx.basics.network import Network
from approx.constructions.pensia import pensia_random_params, pensia_samples_per_weight
from approx.pipeline.run import run

CONTRACT = {
    "construction", "target_widths", "random_widths", "n_per_layer", "random_params",
    "kept_params", "max_weight_error", "certified_error", "empirical_error", "eps", "delta",
    "seed", "solver", "seconds",
}  # fmt: skip

FAST = {"empirical_samples": 256, "ascent_steps": 10}
VOLATILE = {"seconds", "phase_seconds"}


def stable(result):
    return {k: v for k, v in result.to_json().items() if k not in VOLATILE}


def test_same_seed_same_masks_and_numbers_other_seed_differs():
    a = run(widths=(3, 4, 2), n=6, seed=7, **FAST)
    b = run(widths=(3, 4, 2), n=6, seed=7, **FAST)
    c = run(widths=(3, 4, 2), n=6, seed=8, **FAST)
    assert stable(a) == stable(b)
    masks_a, masks_b = a.artifacts.pruned.masks.masks, b.artifacts.pruned.masks.masks
    assert all(torch.equal(x, y) for x, y in zip(masks_a, masks_b, strict=True))
    assert stable(a) != stable(c)


def test_json_contract_and_consistency():
    r = run(widths=(4, 3, 2), eps=0.05, delta=0.1, **FAST)
    d = r.to_json()
    assert CONTRACT <= d.keys()
    assert d["n_per_layer"] == list(pensia_samples_per_weight((4, 3, 2), 0.05, 0.1))
    assert d["random_params"] == pensia_random_params((4, 3, 2), tuple(d["n_per_layer"]))
    assert d["random_widths"][0] == 4 and d["random_widths"][-1] == 2
    assert len(d["random_widths"]) == 2 * 2 + 1
    assert 0 < d["kept_params"] < d["random_params"]
    assert d["empirical_error"] <= d["certified_error"] + 1e-12
    assert d["certified_within_eps"] == (d["certified_error"] <= d["eps"])


def test_theorem_formula():
    # n_i = ceil(C ln(d_{i-1} d_i l / min(eps, delta)))
    assert pensia_samples_per_weight((10, 20, 5), 0.01, 0.1, C=1.5) == (
        math.ceil(1.5 * math.log(10 * 20 * 2 / 0.01)),
        math.ceil(1.5 * math.log(20 * 5 * 2 / 0.01)),
    )


def test_norm_above_one_is_refused_naming_the_layer_or_rescaled():
    w1 = torch.tensor([[2.0, 0.0], [0.0, 0.5]], dtype=torch.float64)
    w2 = torch.tensor([[0.3, 0.4]], dtype=torch.float64)
    target = Network.dense((w1, w2))
    with pytest.raises(TargetAssumptionError, match=r"layer 1 has spectral norm 2 > 1"):
        run(target, n=4, **FAST)
    r = run(target, n=4, rescale=True, **FAST)
    assert r.rescale_factors == pytest.approx((0.5, 1.0))
    assert torch.allclose(r.artifacts.target.weights[0], w1 / 2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"eps": 0.0}, "eps=0.0"),
        ({"eps": 1.0}, "eps=1.0"),
        ({"eps": float("nan")}, "eps=nan"),
        ({"delta": -0.1}, "delta=-0.1"),
        ({"construction": "nope"}, "construction='nope'"),
        ({"solver": "nope"}, "solver='nope'"),
        ({"n": 0}, "n=0"),
        ({"n": (3, 3, 3)}, "n=.*3 entries"),
        ({"seed": -1}, "seed=-1"),
        ({"dtype": "float16"}, "dtype='float16'"),
        ({"device": "nonsense"}, "device='nonsense'"),
        ({"widths": (3,)}, "widths"),
        ({"widths": (3, 0)}, "widths"),
        ({"n": 11, "solver": "brute"}, r"n=\[11, 11\].*--solver exact \(any n\), or --n 10"),
        ({"widths": (5000, 5000, 5000), "n": 20}, "lower n or widths"),
    ],
)
def test_invalid_arguments_name_the_argument(kwargs, match):
    kw = {"widths": (3, 4, 2), **FAST, **kwargs}
    with pytest.raises(InvalidArgument, match=match):
        run(**kw)


def test_float32_runs_accept_every_random_target():
    """Random targets sit on ||W_i||_2 = 1; cast to float32 their norms read 1 ± ~1e-7. The
    assumptions are checked in float64 with float32's rounding slack, so none is refused (a
    quarter of them were, when a 1e-9 slack was applied to the float32 copy)."""
    for seed in range(12):  # the assumptions are checked before any search: none here
        r = run(widths=(5, 4, 3), n=4, dtype="float32", seed=seed, empirical_samples=16,
                ascent_steps=0)  # fmt: skip
        assert r.dtype == "float32" and r.rescale_factors is None
        assert r.artifacts.target.dtype == torch.float32


def _scaled_to(norm: float, dtype: torch.dtype) -> Network:
    w = torch.rand(6, 5, generator=torch.Generator().manual_seed(3), dtype=torch.float64) * 2 - 1
    w = (w / torch.linalg.matrix_norm(w, ord=2)).to(dtype)  # norm 1 within dtype rounding
    return Network.dense((w * norm, w.T.contiguous()))


def test_a_float32_target_normalised_in_float32_is_accepted():
    w = torch.rand(6, 5, generator=torch.Generator().manual_seed(5)) * 2 - 1
    w = w / torch.linalg.matrix_norm(w, ord=2)  # normalised in float32
    target = Network.dense((w, torch.ones(1, 6) / 6**0.5))
    r = run(target, n=3, dtype="float32", **FAST)
    assert r.rescale_factors is None


def test_a_float32_target_one_rounding_above_one_is_accepted_a_real_excess_is_not():
    just_above = _scaled_to(1 + 1e-7, torch.float32)
    assert just_above.spectral_norms()[0] > 1  # above 1 in float64, by rounding only
    run(just_above, n=3, dtype="float32", **FAST)
    with pytest.raises(TargetAssumptionError, match=r"spectral norm 1\.0010000\d* > 1"):
        run(_scaled_to(1.001, torch.float32), n=3, dtype="float32", **FAST)
    with pytest.raises(TargetAssumptionError, match=r"spectral norm 1\.000001\d* > 1"):
        run(_scaled_to(1 + 1e-6, torch.float64), n=3, **FAST)


def test_progress_shows_the_phases_on_stderr_only_when_asked(monkeypatch, capsys):
    monkeypatch.setattr(run_module, "RUN_DELAY", 0.0)  # the bar normally waits 2 s
    run(widths=(3, 2), n=3, progress=True, **FAST)
    captured = capsys.readouterr()
    assert "approx run: done (phase 4/4" in captured.err and captured.out == ""
    run(widths=(3, 2), n=3, **FAST)
    assert capsys.readouterr().err == ""
