"""The Python API takes what the README promises: every target form `run` accepts, masks as a
sequence that torch's pruning API applies, and docs/api.md's end-to-end example as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from torch import nn

from approx import Masks, Network, as_network, network_to_module, run
from approx.basics.errors import InvalidArgument
from approx.basics.sampling import random_target

from .support import generator

API_DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"
FAST = {"n": 6, "empirical_samples": 64, "ascent_steps": 2}


def _module() -> nn.Sequential:
    net = random_target((5, 4, 3), generator=generator(2))  # ||W_i||_2 = 1, float64
    return network_to_module(net)


def test_run_takes_a_module_state_dict_list_path_or_network(tmp_path):
    module = _module()
    weights = [m.weight.detach().clone() for m in module if isinstance(m, nn.Linear)]
    torch.save(module.state_dict(), tmp_path / "state.pt")
    forms = {
        "module": module,
        "state dict": module.state_dict(),
        "tuple": tuple(weights),
        "str path": str(tmp_path / "state.pt"),
        "Network": Network.dense(weights),
    }
    results = {name: run(target, seed=4, **FAST) for name, target in forms.items()}
    want = results["Network"]
    for name, r in results.items():
        assert r.target_widths == (5, 4, 3), name
        assert r.certified_error == want.certified_error, name
        assert r.kept_params == want.kept_params, name


def test_a_target_run_accepts_no_other_type():
    with pytest.raises(InvalidArgument, match=r"^target is a int; expected"):
        run(3, **FAST)
    with pytest.raises(InvalidArgument, match=r"^target is a list"):
        as_network([1.0, 2.0])


def test_a_float32_layer_normalised_in_float32_runs_in_float64():
    """Normalised in float32, the layer reads 1 + ~1e-8 in float64: within float32's rounding,
    so accepted (the check runs in the target's own dtype, before the run's float64)."""
    for seed in range(50):
        w = torch.rand(6, 5, generator=generator(seed)) * 2 - 1
        w = w / torch.linalg.matrix_norm(w, ord=2)  # float32
        if torch.linalg.matrix_norm(w.double(), ord=2) > 1 + 1e-9:
            break
    else:
        pytest.fail("no float32 normalisation read above 1 + 1e-9 in float64")
    module = nn.Sequential(nn.Linear(5, 6, bias=False), nn.ReLU(), nn.Linear(6, 1, bias=False))
    with torch.no_grad():
        module[0].weight.copy_(w)
        module[2].weight.copy_(torch.ones(1, 6) / 6**0.5)
    r = run(module, **FAST)
    assert r.rescale_factors is None and r.dtype == "float64"


def test_masks_are_a_sequence_and_prune_a_torch_module():
    r = run(widths=(4, 3, 2), seed=1, **FAST)
    masks, net = r.artifacts.pruned.masks, r.artifacts.random_net
    assert len(masks) == 4 and list(masks) == list(masks.masks) and masks[2] is masks.masks[2]
    module = network_to_module(net)
    assert masks.prune_module(module) is module
    linears = [m for m in module if isinstance(m, nn.Linear)]
    for lin, m in zip(linears, masks, strict=True):
        assert torch.equal(lin.weight_mask, m.to(lin.weight.dtype))
        assert torch.equal(lin.weight[m], lin.weight_orig[m]) and bool((lin.weight[~m] == 0).all())
    x = torch.randn(32, 4, generator=generator(0), dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(module(x), masks.apply(net).forward(x), rtol=0, atol=1e-12)
    with pytest.raises(InvalidArgument, match=r"module has 2 Linear/Conv2d layers"):
        masks.prune_module(_module())
    wrong = Masks(tuple(torch.ones(m.shape[::-1], dtype=torch.bool) for m in masks))
    with pytest.raises(InvalidArgument, match=r"masks\[0\] has shape"):
        wrong.prune_module(network_to_module(net))


def test_docs_api_example_runs_as_written():
    blocks = re.findall(r"```python\n(.*?)```", API_DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1, "docs/api.md has one Python example"
    # as written, with a lighter empirical search (the README example's test does the same)
    code = blocks[0].replace("seed=0)", "seed=0, empirical_samples=256, ascent_steps=5)")
    assert code != blocks[0]
    namespace: dict = {}
    threads = torch.get_num_threads()
    # its matrices are tiny: one thread, so that a busy machine's cores are not spun on
    torch.set_num_threads(1)
    try:
        exec(compile(code, "docs/api.md", "exec"), namespace)
    finally:
        torch.set_num_threads(threads)
    r, accuracy = namespace["r"], namespace["accuracy"]
    assert r.certified_within_eps
    # the ticket classifies the test set like the target (both computed in float64)
    assert accuracy(namespace["ticket"]) == pytest.approx(accuracy(namespace["model"]), abs=0.01)
    assert accuracy(namespace["model"]) > 0.8
