"""The memory estimate of a convolutional run against the memory the process really takes:
measured in a fresh subprocess as the growth of its peak resident set (`ru_maxrss`) over a
warm-up run that loads every library and compiles the solvers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from approx.basics.sampling import random_conv_target
from approx.pipeline.plan import plan_run

REPO = Path(__file__).resolve().parents[1]
# LeNet-like geometry on 8x8 inputs at n = 4: the max-norm search's 1024-point passes through
# the random 3x3 convolution's unfolded input dominate (the term the estimate once missed)
CASE = {"n": 4, "eps": 0.05, "empirical_samples": 4096, "ascent_steps": 0}
CHILD = """
import json, resource, sys, torch
from approx.basics.sampling import random_conv_target
from approx.pipeline.run import run
g = torch.Generator().manual_seed(0)
t = random_conv_target((1, 8, 8), (6, 16), dense=(32, 10), generator=g)
case = json.loads(sys.argv[1])
run(t, construction="cnn", n=1, eps=0.05, empirical_samples=16, ascent_steps=0)  # warm-up
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
run(t, construction="cnn", **case)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) * 1024)  # Linux: KiB
"""


@pytest.mark.slow  # ~8 s: a fresh interpreter loads torch and numba and runs twice
def test_conv_run_memory_is_not_underestimated():
    """The estimate of the run's own memory (`peak_bytes`, without the interpreter and
    libraries) is not below the peak growth measured, up to the allocator's noise: the growth
    varies from run to run (57 to 144 MiB in eight fresh processes: what the warm-up freed is
    partly reused, and each thread's arena keeps its own), against 142 MiB estimated, so the
    test allows 10% above the estimate. Before the estimate counted the max-norm search and
    the convolutions' unfolded inputs it said 36 MiB here. How close it is to whole-process
    peaks: the table in docs/cnn.md (1.04-1.44x)."""
    target = random_conv_target(
        (1, 8, 8), (6, 16), dense=(32, 10), generator=torch.Generator().manual_seed(0)
    )
    est = plan_run(
        target, None, construction="cnn", delta=0.01, C=None, solver="exact", seed=0,
        device="cpu", dtype="float64", weight_tolerance=None, **CASE,
    ).estimate  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(CASE)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "2"},
    )
    assert done.returncode == 0, done.stderr
    measured = int(done.stdout.strip().splitlines()[-1])
    assert measured <= 1.1 * est.peak_bytes, (measured / 2**20, est.parts)
