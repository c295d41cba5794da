"""Greedy baseline: repeatedly add the unused coefficient that most reduces |residual|."""

from __future__ import annotations

import torch

from ._budget import row_chunks


def greedy(
    coeffs: torch.Tensor, targets: torch.Tensor, valid: torch.Tensor, budget: int
) -> torch.Tensor:
    """(m, k) bool, vectorised over rows; at most k rounds, stopping when no row improves."""
    m, k = coeffs.shape
    chosen = torch.zeros((m, k), dtype=torch.bool, device=coeffs.device)
    for rows in row_chunks(m, 40 * k + 64, budget, why="greedy"):
        x = coeffs[rows].to(torch.float64)  # (b, k)
        residual = targets[rows].to(torch.float64, copy=True)  # (b,)
        free = valid[rows].clone()  # (b, k)
        pick = chosen[rows]  # (b, k), a view written in place
        for _ in range(k):
            gap = (residual[:, None] - x).abs_().masked_fill_(~free, torch.inf)  # (b, k)
            best, j = gap.min(1)  # (b,)
            rows_better = (best < residual.abs()).nonzero().squeeze(1)
            if rows_better.numel() == 0:
                break
            j = j[rows_better]
            pick[rows_better, j] = True
            free[rows_better, j] = False
            residual[rows_better] -= x[rows_better, j]
    return chosen
