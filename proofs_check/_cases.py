"""Case splits that turn piecewise-linear identities and inequalities into plain sympy algebra.

ReLU, |·|, max and Piecewise conditions are decided once the sign of every variable (and, for
comparisons such as max(|p|, |q|), the order of their magnitudes) is fixed. A *cell* fixes both:
variable v = s·(g_1 + … + g_r) with a sign s ∈ {−1, 0, +1} and positive gap symbols g_j, so that
every real assignment of the variables lies in exactly one cell. Inside a cell, sympy's
positivity assumptions evaluate Max(0, ·), Abs and Piecewise, and what is left is an expression
in positive symbols that `simplify` either reduces to 0 (identity) or shows to be nonnegative.

A claim that is not proven in some cell is then *refuted* where possible: positive rationals are
substituted for the gaps and the claim evaluated exactly, which yields a concrete
counterexample. A cell that sympy can neither prove nor refute counts as a failure.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import sympy as sp

ALL_SIGNS = (-1, 0, 1)
NONNEG = (0, 1)
POS = (1,)
NEG = (-1,)


def relu(t: sp.Expr) -> sp.Expr:
    return sp.Max(0, t)


@dataclass(frozen=True)
class Cell:
    """One case: each split variable as 0 or ± a sum of positive gap symbols."""

    values: dict[sp.Symbol, sp.Expr]
    gaps: tuple[sp.Symbol, ...]


@dataclass(frozen=True)
class CaseProof:
    holds: bool
    cells: int
    failure: str = ""


def _weak_orders(k: int) -> list[tuple[int, ...]]:
    """Ranks (1..m, every rank used) of k items: all orderings of k magnitudes, ties included."""
    if k == 0:
        return [()]
    return [
        ranks
        for ranks in itertools.product(range(1, k + 1), repeat=k)
        if set(ranks) == set(range(1, max(ranks) + 1))
    ]


def cells(signs: Mapping[sp.Symbol, Sequence[int]], order_magnitudes: bool = False) -> list[Cell]:
    """All cells for the variables in `signs` (each with its allowed signs).

    With `order_magnitudes`, cells also fix the order of |v| among the nonzero variables
    (needed when the claim compares them); otherwise each nonzero variable gets its own gap.
    """
    variables = list(signs)
    out = []
    for choice in itertools.product(*(signs[v] for v in variables)):
        nonzero = [v for v, s in zip(variables, choice, strict=True) if s != 0]
        rankings = _weak_orders(len(nonzero)) if order_magnitudes else [None]
        for ranks in rankings:
            if ranks is None:
                gaps = tuple(sp.Symbol(f"_g{i}", positive=True) for i in range(len(nonzero)))
                magnitude = dict(zip(nonzero, gaps, strict=True))
            else:
                gaps = tuple(
                    sp.Symbol(f"_g{i}", positive=True) for i in range(max(ranks, default=0))
                )
                magnitude = {v: sum(gaps[:r]) for v, r in zip(nonzero, ranks, strict=True)}
            values = {
                v: s * magnitude[v] if s else sp.Integer(0)
                for v, s in zip(variables, choice, strict=True)
            }
            out.append(Cell(values, gaps))
    return out


_POSITIVE_POOL = [sp.Integer(v) for v in (1, 2, 3, 5, 10)] + [sp.Rational(1, q) for q in (2, 3, 10)]


def _assignments(symbols: Sequence[sp.Symbol], tries: int = 60):
    """Deterministic trial values: positive rationals for positive symbols, any sign otherwise."""
    rng = random.Random(0)
    yield {s: sp.Integer(1) for s in symbols}
    for _ in range(tries):
        values = {}
        for s in symbols:
            v = rng.choice(_POSITIVE_POOL)
            if not s.is_positive and not s.is_nonnegative and rng.random() < 0.5:
                v = -v
            values[s] = v
        yield values


def _number(e: sp.Expr) -> sp.Expr | None:
    e = sp.nsimplify(e) if e.is_Float else e
    if e.is_Rational:
        return e
    value = sp.N(e, 50)
    return value if value.is_number and value.is_real else None


def _refute(cell: Cell, reduced: sp.Expr, bad: Callable[[sp.Expr], bool]) -> str:
    symbols = sorted(reduced.free_symbols | set(cell.gaps), key=str)
    for values in _assignments(symbols):
        value = _number(reduced.xreplace(values))
        if value is not None and bad(value):
            point = {str(v): cell.values[v].xreplace(values) for v in cell.values}
            point.update({str(s): values[s] for s in symbols if s not in cell.gaps})
            shown = ", ".join(f"{k}={v}" for k, v in sorted(point.items()))
            return f"counterexample {shown}: value {sp.N(value, 6)}"
    return f"undecided in the cell {cell.values}: sympy leaves {reduced}"


def _reduce(expr: sp.Expr, cell: Cell) -> sp.Expr:
    e = sp.piecewise_fold(expr.xreplace(cell.values))
    expanded = sp.expand(e)
    return expanded if expanded == 0 else sp.simplify(e)


def prove_identity(expr: sp.Expr, cell_list: Sequence[Cell]) -> CaseProof:
    """Prove `expr == 0` in every cell, or say where it fails."""
    for cell in cell_list:
        reduced = _reduce(expr, cell)
        if reduced != 0:
            failure = _refute(cell, reduced, lambda v: abs(v) > sp.Rational(1, 10**40))
            return CaseProof(False, len(cell_list), failure)
    return CaseProof(True, len(cell_list))


def is_nonnegative_in_positives(e: sp.Expr) -> bool:
    """True when sympy proves e ≥ 0 given every free symbol's assumptions."""
    if e == 0 or e.is_nonnegative:
        return True
    symbols = sorted(e.free_symbols, key=str)
    if not all(s.is_positive or s.is_nonnegative for s in symbols):
        return False
    numerator, denominator = sp.fraction(sp.together(e))
    parts = []
    for part in (numerator, denominator):
        if part.is_number:
            parts.append(part.is_nonnegative)
            continue
        try:
            poly = sp.Poly(sp.expand(part), *symbols)
        except sp.PolynomialError:
            return False
        # a polynomial with nonnegative coefficients is nonnegative on nonnegative variables
        parts.append(all(c.is_nonnegative for c in poly.coeffs()))
    return all(parts) and denominator != 0


def prove_nonnegative(expr: sp.Expr, cell_list: Sequence[Cell]) -> CaseProof:
    """Prove `expr >= 0` in every cell, or say where it fails."""
    for cell in cell_list:
        reduced = _reduce(expr, cell)
        if not is_nonnegative_in_positives(reduced):
            failure = _refute(cell, reduced, lambda v: v < -sp.Rational(1, 10**40))
            return CaseProof(False, len(cell_list), failure)
    return CaseProof(True, len(cell_list))


class _Printer(sp.printing.str.StrPrinter):
    def _print_Max(self, expr):
        if len(expr.args) == 2 and sp.S.Zero in expr.args:
            (inner,) = [a for a in expr.args if a != 0]
            return f"relu({self._print(inner)})"
        return self._print_Function(expr)


def show(expr: sp.Expr) -> str:
    """sympy's str form, with Max(0, t) written relu(t)."""
    return _Printer().doprint(expr)
