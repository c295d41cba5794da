"""da Cunha, Natale & Viennot 2022 (ICLR, "Proving the lottery ticket hypothesis for
convolutional neural networks"), their experiment on data that ships with scikit-learn, and
the construction they did not run.

1. Their experiment, on the 8×8 digits: train a small LeNet-like CNN, replace every weight of
   its convolutional part by the best subset sum of n fresh Uniform[−1, 1] samples (exact
   subset sum), n = 5, 10, …, 30, and report (a) the weight error max|Δw| / max|w| (max over
   the weight arrays) and (b) the output error of the convolutional part, max over the split of
   |f − g| entries / max |f| entry, with the target's and the replaced net's test accuracy;
   their MNIST values next to ours.
2. The construction itself: the random CNN of the theorem (1×1 then k×k convolutions, Pensia's
   pair for the dense layers), drawn and pruned by `approx run --construction cnn` for the
   target scaled into the theorem's class, with the certified and empirical errors (l2 and the
   theorem's max-norm) and the ticket's test accuracy.

The target: Conv 3×3 1→6, ReLU, Conv 3×3 6→16, ReLU, Flatten, Linear 256→32, ReLU,
Linear 32→10, bias-free, no pooling (the construction covers neither biases nor pooling);
LeNet5 has 5×5 kernels, pooling, biases and 28×28 inputs. Images scaled to [0, 1]
(max-norm ≤ 1, the theorem's input set).

    python scripts/reproduce_dacunha_cnn.py                 # full (minutes)
    python scripts/reproduce_dacunha_cnn.py --quick         # smaller net, fewer n
    python scripts/reproduce_dacunha_cnn.py --out lenet_digits.pt   # also save the target,
                                                            # scaled into the theorem's class
    python scripts/reproduce_dacunha_cnn.py --figure docs/figures/dacunha_cnn.png   # error vs n
    approx run --construction cnn --target lenet_digits.pt --input-shape 1,8,8 --eps 0.05
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import torch
from sklearn.datasets import load_digits
from torch import nn

from approx.basics.progress import progress_bar
from approx.engine.subset_sum import solve
from approx.experiments.figures import plot_dacunha_cnn
from approx.experiments.published import (
    DACUNHA_CNN_MNIST_ACCURACY,
    DACUNHA_CNN_MNIST_OUTPUT_ERROR,
    DACUNHA_CNN_MNIST_WEIGHT_ERROR,
)
from approx.pipeline.run import run

# their MNIST numbers (docs/references.md, da Cunha et al. 2022 (CNN)): weight error and the
# conv part's output error on the test split; the target's test accuracy
PUBLISHED_W = DACUNHA_CNN_MNIST_WEIGHT_ERROR
PUBLISHED_OUT = DACUNHA_CNN_MNIST_OUTPUT_ERROR
CONV_PART = 4  # modules [0, 4): conv, ReLU, conv, ReLU


def digits(seed: int):
    """((x_train, y_train), (x_test, y_test)): images `(batch, 1, 8, 8)` float64 in [0, 1]."""
    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x, dtype=torch.float64).reshape(-1, 1, 8, 8) / 16
    y = torch.tensor(y)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    tr, te = perm[:1347], perm[1347:]
    return (x[tr], y[tr]), (x[te], y[te])


def lenet_digits(channels: tuple[int, int], hidden: int, seed: int) -> nn.Sequential:
    """The bias-free target, initialised from an explicit generator (uniform, bound
    1/sqrt(fan-in))."""
    c1, c2 = channels
    model = nn.Sequential(
        nn.Conv2d(1, c1, 3, bias=False),
        nn.ReLU(),
        nn.Conv2d(c1, c2, 3, bias=False),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(c2 * 16, hidden, bias=False),
        nn.ReLU(),
        nn.Linear(hidden, 10, bias=False),
    ).double()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.Conv2d | nn.Linear):
                u = torch.rand(m.weight.shape, generator=g, dtype=torch.float64) * 2 - 1
                m.weight.copy_(u / m.weight[0].numel() ** 0.5)
    return model


def train(model: nn.Sequential, x, y, epochs: int, seed: int) -> nn.Sequential:
    """Adam 1e-3, batches of 64, cross-entropy (their optimiser and batch size); trained in
    float32 (faster), returned in float64."""
    model = model.float()
    x = x.float()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for idx in torch.randperm(len(y), generator=g).split(64):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    return model.double().requires_grad_(False)


def accuracy(model, x, y) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) == y).double().mean())


def replaced(model: nn.Sequential, n: int, seed: int) -> tuple[nn.Sequential, float]:
    """A copy whose conv weights are each the best subset sum of n fresh Uniform[−1, 1]
    samples (their experiment), and its weight error, the max over conv weight arrays of
    max|Δw| / max|w|."""
    out = copy.deepcopy(model)
    g = torch.Generator().manual_seed(seed)
    worst = 0.0
    for m in out:
        if isinstance(m, nn.Conv2d):
            w = m.weight.flatten()
            coeffs = torch.rand(w.numel(), n, generator=g, dtype=torch.float64) * 2 - 1
            value = solve(coeffs, w, method="exact").value  # (entries,)
            worst = max(worst, float((value - w).abs().max() / w.abs().max()))
            m.weight.copy_(value.reshape(m.weight.shape))
    return out, worst


def output_error(model, other, x) -> float:
    """Max over the split of |f − g| entries of the conv part's output / max |f| entry."""
    f, g = model[:CONV_PART](x), other[:CONV_PART](x)
    return float((f - g).abs().max() / f.abs().max())


def normalised(model: nn.Sequential) -> nn.Sequential:
    """A copy in the theorem's class: each conv kernel divided by its l1 norm, each dense
    layer by its spectral norm (positive factors: the same predictions)."""
    out = copy.deepcopy(model)
    for m in out:
        if isinstance(m, nn.Conv2d):
            m.weight /= m.weight.abs().sum()
        elif isinstance(m, nn.Linear):
            m.weight /= torch.linalg.matrix_norm(m.weight, ord=2)
    return out


def experiment(model, data, ns, seed, bar) -> list[dict]:
    """Their experiment: weight replacement by subset sums, per n."""
    (x_tr, _), (x_te, y_te) = data
    rows = []
    for n in ns:
        ticket, w_err = replaced(model, n, seed + n)
        rows.append(
            {
                "n": n,
                "weight_error": w_err,
                "output_error_train": output_error(model, ticket, x_tr),
                "output_error_test": output_error(model, ticket, x_te),
                "ticket_test_accuracy": accuracy(ticket, x_te, y_te),
            }
        )
        bar.update(1)
    return rows


def construction(model, data, ns, seed, samples, bar) -> list[dict]:
    """The theorem's random CNN, drawn and pruned for the normalised target, per n."""
    _, (x_te, y_te) = data
    rows = []
    for n in ns:
        t0 = time.perf_counter()
        r = run(
            normalised(model),
            input_shape=(1, 8, 8),
            construction="cnn",
            n=n,
            eps=0.05,
            seed=seed,
            empirical_samples=samples,
            ascent_steps=10,
        )
        art = r.artifacts
        ticket = art.pruned.masks.apply(art.random_net)
        rows.append(
            {
                "n": n,
                "random_params": r.random_params,
                "kept_params": r.kept_params,
                "certified_l2": r.certified_error,
                "empirical_l2": r.empirical_error,
                "certified_max_norm": r.certified_error_max_norm,
                "empirical_max_norm": r.empirical_error_max_norm,
                "ticket_test_accuracy": accuracy(ticket, x_te, y_te),
                "seconds": time.perf_counter() - t0,
            }
        )
        bar.update(1)
    return rows


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.2e}"


def report(target_acc: float, first: list[dict], second: list[dict], mode: str) -> str:
    lines = [
        f"da Cunha et al. 2022 on scikit-learn's 8x8 digits ({mode} mode); target test "
        f"accuracy {target_acc:.4f} (theirs, LeNet5 on MNIST: {DACUNHA_CNN_MNIST_ACCURACY})",
        "",
        "1. their experiment: every conv weight -> best subset sum of n Uniform[-1,1] samples",
        "| n | weight err (ours) | weight err (MNIST) | output err train / test (ours) "
        "| output err test (MNIST) | ticket test acc |",
        "|---|---|---|---|---|---|",
    ]
    for r in first:
        n = r["n"]
        lines.append(
            f"| {n} | {r['weight_error']:.2e} | {_fmt(PUBLISHED_W.get(n))} | "
            f"{r['output_error_train']:.2e} / {r['output_error_test']:.2e} | "
            f"{_fmt(PUBLISHED_OUT.get(n))} | {r['ticket_test_accuracy']:.4f} |"
        )
    lines += [
        "",
        "2. the construction: random CNN (1x1 then 3x3 convs; Pensia's pair for dense layers), "
        "pruned, target scaled into the class",
        "| n | random params | kept | certified l2 | empirical l2 | certified max-norm "
        "| empirical max-norm | ticket test acc |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in second:
        lines.append(
            f"| {r['n']} | {r['random_params']:,} | {r['kept_params']:,} | "
            f"{r['certified_l2']:.2e} | {r['empirical_l2']:.2e} | "
            f"{r['certified_max_norm']:.2e} | {r['empirical_max_norm']:.2e} | "
            f"{r['ticket_test_accuracy']:.4f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller net, fewer n (seconds)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, help="also torch.save the trained target here")
    ap.add_argument("--json", type=Path, help="also write the results to this JSON file")
    ap.add_argument(
        "--figure",
        type=Path,
        help="also draw error vs n (log scale) with their published points to this file",
    )
    args = ap.parse_args(argv)
    if args.quick:
        channels, hidden, epochs = (3, 4), 16, 6
        ns, construct_ns, samples = [5, 10, 15], [3, 6], 128
    else:
        channels, hidden, epochs = (6, 16), 32, 50
        ns, construct_ns, samples = list(range(5, 31, 5)), [5, 10, 15, 20], 512
    mode = "QUICK" if args.quick else "full"
    data = digits(args.seed)
    (x_tr, y_tr), (x_te, y_te) = data
    model = train(lenet_digits(channels, hidden, args.seed), x_tr, y_tr, epochs, args.seed)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        torch.save(normalised(model), args.out)  # in the theorem's class, same predictions
    target_acc = accuracy(model, x_te, y_te)
    with progress_bar(len(ns) + len(construct_ns), desc="rows", unit="row") as bar:
        first = experiment(model, data, ns, args.seed, bar)
        second = construction(model, data, construct_ns, args.seed, samples, bar)
    print(report(target_acc, first, second, mode))
    if args.out is not None:
        print(f"\nwrote the target to {args.out}")
    if args.figure is not None:
        print(f"wrote the figure to {plot_dacunha_cnn(first, second, args.figure)}")
    if args.json is not None:
        result = {
            "mode": mode,
            "target_test_accuracy": target_acc,
            "experiment": first,
            "construction": second,
        }
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
