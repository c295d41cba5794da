"""The batched 1x1 errors of `approx.experiments.narrow` are those of `approx run` on the same
random weights; scripts/narrow_layer_failures.py's quick mode runs."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from approx.basics.network import Network
from approx.experiments.narrow import errors_of_units
from approx.measurement.sandwich import sandwich
from approx.measurement.stored import stored_layers
from approx.pipeline.run import run

SCRIPT = Path(__file__).parent.parent / "scripts" / "narrow_layer_failures.py"


def test_batched_errors_are_the_runs_errors():
    for seed, w in ((0, 1.0), (1, 0.5), (2, -0.8)):
        target = Network.dense([torch.tensor([[w]], dtype=torch.float64)])
        r = run(target, n=6, seed=seed, empirical_samples=2, ascent_steps=0)
        m1, m2 = r.artifacts.random_net.weights
        true, cert = errors_of_units(w, m1[:, 0][None, :], m2[0][None, :])
        exact = sandwich(
            stored_layers(r.artifacts.target, r.artifacts.random_net, r.artifacts.pruned.masks)
        )
        assert abs(float(true[0]) - exact.lower) <= 1e-15
        assert float(cert[0]) <= r.certified_error <= float(cert[0]) * (1 + 1e-9)


@pytest.mark.slow
def test_quick_mode_runs(tmp_path):
    out = tmp_path / "rates.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--n", "8", "--w", "1", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "| 1 | 8 |" in proc.stdout and out.exists()
