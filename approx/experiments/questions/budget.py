"""Why prune one big random network rather than many small ones? A parameter budget P spent on
one random network of P parameters, or on K independent random networks of P/K each
(K = 1, 2, 4, …), each pruned by a construction (`approx.pipeline.run.run`, exact subset sum by
default) to approximate the same target; the ensemble succeeds when its best member does.

Pensia et al.'s random network has `Σ_i (2 d_{i-1}^2 + 2 d_{i-1} d_i) n_i` parameters, linear in
the samples per weight n, so P/K parameters is exactly n/K samples per weight (`n_total`
must be a multiple of every K). Per trial (a target and K fresh networks for every K):

- `best_certified`: the smallest certified error among the K networks, so `best_certified ≤ ε`
  means an ε-ticket exists in the ensemble (one the construction finds; a ticket outside the
  construction's layout could exist where it finds none, so this is a lower bound on the
  probability that one exists);
- `best_empirical`: the smallest empirical error among the K networks (a lower estimate of
  that network's error).

The count of subnetworks explains the outcome: one network of P parameters has 2^P
subnetworks, K networks of P/K have K·2^{P/K} together, so the ensemble has
`log2(#) = P/K + log2 K` bits to choose from instead of P. In the construction, every weight
of the target is a subset sum of about n/K usable candidates (per sign) in each network: the
best of `2^{n/K}` sums. Its error shrinks like `2^{-n/K}` (Lueker's exponentially small
optimum), and taking the best of K networks buys back at most a factor K (log2 K bits).
`budget_summary` fits `log2(best error)` against n/K to measure the bits won per sample.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch

from ...basics.errors import InvalidArgument, check_open_unit, check_positive_int
from ...basics.masks import masked_forward
from ...basics.network import Network
from ...basics.progress import progress_bar
from ...basics.sampling import random_target
from ...basics.statistics import wilson_interval
from ...pipeline.result import RunResult
from ...pipeline.run import run
from .common import child_seeds, linear_slope, median_ci

# The bits-per-sample fit uses the K whose median best error is at most this: beyond it the
# error saturates near the size of the target (an empty ticket's error), not at the subset
# sums' resolution.
FIT_MAX_ERROR = 0.5


def accuracy_score(x: torch.Tensor, y: torch.Tensor) -> Callable[[RunResult], dict]:
    """A `score` for `budget_trials`: the pruned random network's accuracy on inputs `x`
    `(N, d_0)` with labels `y` `(N,)` (argmax of its output; rescaling the target's layers
    leaves the argmax unchanged)."""

    def score(r: RunResult) -> dict:
        art = r.artifacts
        g = masked_forward(art.random_net, art.pruned.masks)
        with torch.no_grad():
            pred = g(x.to(art.random_net.dtype)).argmax(1)  # (N,)
        return {"accuracy": float((pred == y).double().mean())}

    return score


def check_ks(n_total: int, ks: Sequence[int]) -> tuple[int, ...]:
    check_positive_int("n_total", n_total)
    out = []
    for k in ks:
        check_positive_int("K", k)
        if n_total % k:
            raise InvalidArgument(
                f"K={k} does not divide n_total={n_total}: K networks of P/K parameters "
                "each need n_total/K samples per weight"
            )
        out.append(k)
    if not out:
        raise InvalidArgument("ks is empty")
    return tuple(sorted(set(out)))


def budget_trials(
    target: Network | Sequence[int],
    *,
    label: str,
    n_total: int,
    ks: Sequence[int],
    trials: int,
    seed: int,
    eps: float,
    construction: str = "pensia",
    solver: str = "exact",
    rescale: bool = False,
    empirical_samples: int,
    ascent_steps: int,
    score: Callable[[RunResult], dict] | None = None,
    progress: bool = True,
) -> list[dict]:
    """One row per (trial, K). `target`: a fixed `Network` (e.g. a trained one: the trials
    differ only in the random networks), or widths, for a fresh random target per trial
    (Uniform entries, every `||W_i||_2 = 1`, from the trial's seed). `score(result)`, if
    given, adds figures of each network (e.g. test accuracy) to its row."""
    ks = check_ks(n_total, ks)
    check_positive_int("trials", trials)
    check_open_unit("eps", eps)
    per_trial = 1 + sum(ks)
    total_runs = trials * sum(ks)
    rows = []
    with progress_bar(
        total_runs, desc=f"one vs many ({label})", unit="net", enabled=progress
    ) as bar:
        for t, trial_seed in enumerate(child_seeds(seed, trials)):
            seeds = child_seeds(trial_seed, per_trial)
            tgt = target
            if not isinstance(target, Network):
                gen = torch.Generator().manual_seed(seeds[0])
                tgt = random_target(tuple(target), generator=gen)
            used = 1
            for k in ks:
                nets = []
                for s in seeds[used : used + k]:
                    r = run(
                        tgt,
                        n=n_total // k,
                        construction=construction,
                        solver=solver,
                        seed=s,
                        eps=eps,
                        rescale=rescale,
                        empirical_samples=empirical_samples,
                        ascent_steps=ascent_steps,
                    )
                    nets.append((r, score(r) if score else {}))
                    bar.update(1)
                used += k
                rows.append(_row(label, t, k, n_total, eps, nets))
    return rows


def _row(label: str, trial: int, k: int, n_total: int, eps: float, nets) -> dict:
    cert = [r.certified_error for r, _ in nets]
    best = min(range(k), key=lambda i: cert[i])
    params = nets[0][0].random_params
    return {
        "target": label,
        "trial": trial,
        "K": k,
        "n": n_total // k,
        "eps": eps,
        "target_widths": list(nets[0][0].target_widths),
        "params_each": params,
        "params_total": k * params,
        "seeds": [r.seed for r, _ in nets],
        "certified": cert,
        "empirical": [r.empirical_error for r, _ in nets],
        "best_certified": cert[best],
        "best_empirical": min(r.empirical_error for r, _ in nets),
        "scores": [s for _, s in nets],
        "best_scores": nets[best][1],
        "success": cert[best] <= eps,
    }


def subnetwork_bits(params_total: int, k: int) -> float:
    """log2 of the number of subnetworks of K networks with `params_total / K` parameters each:
    `P/K + log2 K` (one network: P)."""
    return params_total / k + math.log2(k)


def budget_summary(rows: list[dict]) -> dict:
    """Per (target, K): P(best certified ≤ ε) with its Wilson 95% interval, the median best
    certified and empirical errors with 95% intervals, the subnetworks' bits; per target,
    `bits_per_sample`: minus the slope of log2(median best certified) against n/K (the count
    argument predicts about one bit per usable candidate)."""
    groups: dict = {}
    for r in rows:
        groups.setdefault(r["target"], {}).setdefault(r["K"], []).append(r)
    out = []
    for label, by_k in groups.items():
        points = []
        for k in sorted(by_k):
            rs = by_k[k]
            wins = sum(r["success"] for r in rs)
            lo, hi = wilson_interval(wins, len(rs))
            point = {
                "K": k,
                "n": rs[0]["n"],
                "trials": len(rs),
                "params_each": rs[0]["params_each"],
                "params_total": rs[0]["params_total"],
                "subnetwork_bits": subnetwork_bits(rs[0]["params_total"], k),
                "success": wins / len(rs),
                "success_lo": lo,
                "success_hi": hi,
                "best_certified": median_ci([r["best_certified"] for r in rs]),
                "best_empirical": median_ci([r["best_empirical"] for r in rs]),
            }
            accs = [r["best_scores"]["accuracy"] for r in rs if "accuracy" in r["best_scores"]]
            if accs:
                point["best_accuracy"] = median_ci(accs)
            points.append(point)
        fit = [
            (p["n"], math.log2(p["best_certified"]["median"]))
            for p in points
            if 0 < p["best_certified"]["median"] <= FIT_MAX_ERROR
        ]
        slope = linear_slope([x for x, _ in fit], [y for _, y in fit])
        out.append(
            {
                "target": label,
                "eps": by_k[min(by_k)][0]["eps"],
                "target_widths": by_k[min(by_k)][0]["target_widths"],
                "points": points,
                "bits_per_sample": None if slope is None else -slope,
            }
        )
    return {"groups": out}
