"""One prepared GPU check: CPU and CUDA exact solvers agree, GPU throughput at
n = 21 and 28, and the 784-500-10 pipeline on CUDA. Needs a CUDA device; prints one JSON line
last. Run on a lent GPU machine:  PYTHONPATH=. python3 scripts/gpu_check.py
"""

from __future__ import annotations

import json
import sys
import time

import torch

from approx.engine.subset_sum import solve
from approx.pipeline.run import run

BUDGET = 8 * 2**30  # bytes the torch path may hold on the GPU at once


def instances(n: int, m: int, seed: int, p_valid: float):
    g = torch.Generator().manual_seed(seed)
    coeffs = torch.rand(m, n, generator=g, dtype=torch.float64) * 2 - 1
    targets = torch.rand(m, generator=g, dtype=torch.float64) * 2 - 1
    valid = torch.rand(m, n, generator=g) < p_valid
    return coeffs, targets, valid


def agreement(n: int, m: int, p_valid: float) -> dict:
    coeffs, targets, valid = instances(n, m, n, p_valid)
    cpu = solve(coeffs, targets, valid)
    gpu = solve(coeffs.cuda(), targets.cuda(), valid.cuda(), memory_budget=BUDGET)
    diff = (gpu.error.cpu() - cpu.error).abs()
    return {"n": n, "m": m, "p_valid": p_valid, "max_error_diff": float(diff.max()),
            "gpu_valid_only": bool((gpu.chosen.cpu() <= valid).all())}  # fmt: skip


def throughput(n: int, m: int) -> dict:
    coeffs, targets, _ = instances(n, m, 100 + n, 1.0)
    coeffs, targets = coeffs.cuda(), targets.cuda()
    solve(coeffs[:1000], targets[:1000], memory_budget=BUDGET)  # warm-up
    rates = []
    for _ in range(3):
        torch.cuda.synchronize()
        t = time.perf_counter()
        solve(coeffs, targets, memory_budget=BUDGET)
        torch.cuda.synchronize()
        rates.append(m / (time.perf_counter() - t))
    return {"n": n, "m": m, "gpu_inst_per_s_median": sorted(rates)[1]}


def main() -> int:
    if not torch.cuda.is_available():
        print("no CUDA device", file=sys.stderr)
        return 1
    out = {"device": torch.cuda.get_device_name(), "torch": torch.__version__}
    out["agreement"] = [agreement(21, 20_000, 1.0), agreement(28, 2_000, 1.0),
                        agreement(42, 5_000, 0.5)]  # fmt: skip
    out["throughput"] = [throughput(21, 400_000), throughput(28, 40_000)]
    for device in ("cuda", "cpu"):
        r = run(widths=(784, 500, 10), eps=0.01, n=21, device=device)
        out[f"pipeline_{device}"] = {
            "seconds": r.seconds, "phases": r.phase_seconds, "kept": r.kept_params,
            "certified": r.certified_error, "empirical": r.empirical_error,
            "max_weight_error": r.max_weight_error,
        }  # fmt: skip
        print(json.dumps({device: out[f"pipeline_{device}"]}), flush=True)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
