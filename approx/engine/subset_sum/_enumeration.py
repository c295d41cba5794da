"""A row with more valid coefficients than one meet in the middle holds, solved exactly by
enumerating the subsets of its excess coefficients and solving the rest for each (one batch
for the kernel): ``exact`` and ``fewest`` (``fixed``'s is in `_fixed`)."""

from __future__ import annotations

import torch

from ._numba_fewest import fewest_numba


def _excess_batch(coeff: torch.Tensor, valid: torch.Tensor, cap: int, dtype: torch.dtype):
    """The row split into its first c − cap valid columns `fixed` and the other cap `rest`;
    `bits` (2^e, e) every subset F of `fixed`, `batch` (2^e, cap) the rest's coefficients once
    per F and `fixed_sums` (2^e,) each ΣF, in `dtype`."""
    cols = valid.nonzero().flatten()
    excess = cols.numel() - cap
    fixed, rest = cols[:excess], cols[excess:]
    shifts = torch.arange(excess, device=coeff.device)
    bits = ((torch.arange(2**excess, device=coeff.device)[:, None] >> shifts) & 1).to(torch.bool)
    batch = coeff[rest].to(dtype).expand(2**excess, cap).contiguous()
    fixed_sums = (bits * coeff[fixed].to(dtype)).sum(1)
    return fixed, rest, bits, batch, fixed_sums


def _row(valid: torch.Tensor, fixed, rest, bits, sub, best: int) -> torch.Tensor:
    row = torch.zeros_like(valid)
    row[fixed] = bits[best]
    row[rest] = sub[best]
    return row


def exact_by_enumeration(coeff, target, valid, cap, kernel, budget) -> torch.Tensor:
    """One row with c > cap valid coefficients: for each of the 2^(c−cap) subsets F of its
    first c − cap valid coefficients, the optimum over the other cap for target − ΣF (one
    batch for the kernel); the best of those is the row's optimum."""
    fixed, rest, bits, batch, fixed_sums = _excess_batch(coeff, valid, cap, coeff.dtype)
    everything = torch.ones_like(batch, dtype=torch.bool)
    sub = kernel(batch, target - fixed_sums, everything, budget)  # (2^e, cap)
    err = (fixed_sums + (batch * sub).sum(1) - target).abs()
    return _row(valid, fixed, rest, bits, sub, int(err.argmin()))


def fewest_by_enumeration(coeff, target, valid, cap, tol, budget) -> torch.Tensor:
    """One row with c > cap valid coefficients: for each subset F of its first c − cap valid
    coefficients, the fewest-kept answer over the other cap for target − ΣF. Each answer is the
    sparsest within `tol` given F (else the least error given F), so the row's answer is the
    sparsest |F| + kept among those within `tol` (ties: smaller error), else the least error."""
    fixed, rest, bits, batch, fixed_sums = _excess_batch(coeff, valid, cap, torch.float64)
    everything = torch.ones_like(batch, dtype=torch.bool)
    sub = fewest_numba(batch, target.double() - fixed_sums, everything, tol, budget)
    err = (fixed_sums + (batch * sub).sum(1) - target.double()).abs()  # (2^e,)
    kept = bits.sum(1) + sub.sum(1)  # (2^e,)
    close = err <= tol
    if bool(close.any()):
        fewest = kept[close].min()
        err = torch.where(close & (kept == fewest), err, torch.inf)
    return _row(valid, fixed, rest, bits, sub, int(err.argmin()))
