"""A real target for `approx run --target`: a bias-free 64-16-16-10 ReLU MLP trained on
scikit-learn's handwritten digits (the data ships inside scikit-learn, no download), each layer
divided by its spectral norm so that `||W_i||_2 = 1` (Pensia et al.'s class). Dividing a layer
of a bias-free ReLU net by a positive number scales the output by it, so the predicted class,
hence the accuracy, is unchanged.

    python scripts/digits_mlp.py --out results/digits_mlp.pt
    approx run --target results/digits_mlp.pt --eps 0.01

Inputs are the 8x8 images flattened and scaled to unit norm (the theorems' `||x||_2 <= 1`).
Prints the test accuracy; the file holds the `nn.Sequential` (`torch.save(model, path)`).
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import torch
from sklearn.datasets import load_digits
from torch import nn

WIDTHS = (64, 16, 16, 10)


def digits_data(seed: int) -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
    """(train, test) pairs `(x (batch, 64) float32, unit norm; y (batch,) int64)`."""
    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x, dtype=torch.float32)
    x = x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)  # (1797, 64)
    y = torch.tensor(y)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    tr, te = perm[:1347], perm[1347:]
    return (x[tr], y[tr]), (x[te], y[te])


def train_mlp(x: torch.Tensor, y: torch.Tensor, seed: int, steps: int = 600) -> nn.Sequential:
    """A bias-free 64-16-16-10 ReLU MLP, full-batch Adam on cross-entropy."""
    torch.manual_seed(seed)  # nn.Linear's initialisation draws from the global generator
    layers: list[nn.Module] = []
    for i, (d_in, d_out) in enumerate(itertools.pairwise(WIDTHS)):
        layers.append(nn.Linear(d_in, d_out, bias=False))
        if i < len(WIDTHS) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return model


def normalise(model: nn.Sequential) -> nn.Sequential:
    """Divide every Linear layer by its spectral norm (in place): `||W_i||_2 = 1`."""
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                m.weight /= torch.linalg.matrix_norm(m.weight.double(), ord=2).float()
    return model


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="where to torch.save the model")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    (x_tr, y_tr), (x_te, y_te) = digits_data(args.seed)
    model = normalise(train_mlp(x_tr, y_tr, args.seed))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model, args.out)
    print(f"test accuracy {accuracy(model, x_te, y_te):.2%}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
