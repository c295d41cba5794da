"""What the tests share: tolerances keyed by dtype and Hypothesis strategies, in one place."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import torch
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from approx.basics.network import IDENTITY, RELU, Conv2d, Dense, Network

# Absolute tolerance for quantities of order 1 that two correct computations may round
# differently (different summation order). float64: a few hundred ulps of sums of <= 64 terms.
TOL = {torch.float64: 1e-12, torch.float32: 1e-5}

seeds = st.integers(min_value=0, max_value=2**32 - 1)


def generator(seed: int) -> torch.Generator:
    """A CPU generator from a Hypothesis-drawn seed, so failures shrink and replay."""
    return torch.Generator().manual_seed(seed)


def subset_sum_instances(seed: int, m: int, k: int, p_valid: float = 0.7, dtype=torch.float64):
    """Coefficients and targets ~ U[-1, 1] and a random valid mask; row 0 is all invalid."""
    g = generator(seed)
    coeffs = torch.rand(m, k, generator=g, dtype=dtype) * 2 - 1  # (m, k)
    targets = torch.rand(m, generator=g, dtype=dtype) * 2 - 1  # (m,)
    valid = torch.rand(m, k, generator=g) < p_valid  # (m, k)
    if m:
        valid[0] = False
    return coeffs, targets, valid


def kinds_of_instances(seed: int, m: int, k: int, p_valid: float, kind: str):
    """(coeffs, targets, valid) for the kernels' equality tests against their frozen references:
    U[-1, 1] float64 (``kind`` "f64"), U[-1, 1] rounded to float32 (the sampled networks'
    weights, "f32"), or small integers (many exactly equal sums and distances, "int")."""
    g = generator(seed)
    if kind == "int":
        coeffs = torch.randint(-4, 5, (m, k), generator=g).to(torch.float64)
        targets = (torch.randint(-2 * k, 2 * k + 1, (m,), generator=g) / 2).to(torch.float64)
    else:
        dtype = torch.float32 if kind == "f32" else torch.float64
        coeffs = (torch.rand(m, k, generator=g, dtype=dtype) * 2 - 1).to(torch.float64)
        targets = (torch.rand(m, generator=g, dtype=dtype) * 2 - 1).to(torch.float64)
    valid = torch.rand(m, k, generator=g) < p_valid
    return coeffs, targets, valid


@st.composite
def conv_targets(draw):
    """A small bias-free ReLU CNN in the theorem's class (every kernel's l1 norm 1): one or two
    conv layers (kernel 1-3, padding 0-1), optionally a dense layer after a flatten."""
    seed = draw(seeds)
    g = generator(seed)
    c = draw(st.integers(1, 2))
    h = draw(st.integers(3, 5))
    shape = (c, h, h)
    layers = []
    for _ in range(draw(st.integers(1, 2))):
        k = draw(st.integers(1, min(3, shape[1])))
        pad = draw(st.integers(0, 1))
        c_out = draw(st.integers(1, 3))
        w = torch.rand(c_out, shape[0], k, k, generator=g, dtype=torch.float64) * 2 - 1
        layer = Conv2d(w / w.abs().sum(), activation=RELU, padding=pad)
        layers.append(layer)
        shape = layer.output_shape(shape)
    if draw(st.booleans()):
        d = shape[0] * shape[1] * shape[2]
        w = torch.rand(draw(st.integers(1, 3)), d, generator=g, dtype=torch.float64) * 2 - 1
        layers.append(Dense(w / torch.linalg.matrix_norm(w, ord=2)))
    last = layers[-1]
    layers[-1] = type(last)(**{**last.__dict__, "activation": IDENTITY})
    return Network(tuple(layers), (c, h, h)), seed


def run_cli(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    """`approx.cli.main(argv)` in `cwd`: (exit status, stdout, stderr); argparse's usage
    errors (SystemExit) give their status too."""
    from approx.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as e:
                code = e.code
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def fuzz_settings(max_examples: int, *, all_health_checks: bool = False) -> settings:
    """The fuzz tests' Hypothesis settings: a fixed, derandomised set of `max_examples` cases
    (the same cases on every run and in CI), no deadline (a case runs a whole command), and the
    too-slow health check off (every health check with `all_health_checks`)."""
    checks = list(HealthCheck) if all_health_checks else [HealthCheck.too_slow]
    return settings(
        max_examples=max_examples, deadline=None, suppress_health_check=checks, derandomize=True
    )
