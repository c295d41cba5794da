"""Run every check, print a table, write a Markdown report: `python -m proofs_check`.

`run_all(quick)` returns the results; `main(argv)` is the command line (also called by
`approx check-proofs`). Exit status 0 iff every check passed. Findings — published statements
that do not hold as written, found by running a check on the published claim next to the
corrected one — are reported but do not fail the run: the corrected claim is what passes.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import sympy as sp

from approx.basics.errors import InvalidArgument
from approx.basics.files import check_writable_file, write_text_atomic
from approx.basics.progress import progress_bar

from . import (
    burkholz,
    malach_single_pair,
    natale_fixed_size,
    orseau_digits,
    pensia_lemma1,
    pensia_lemma2,
    pensia_lemma3,
    pensia_theorem1,
    pensia_theorem2,
    product_distribution,
    relu,
    subset_sum_success,
)
from .result import CheckResult


def _sizes(quick: bool) -> dict[str, int]:
    """Monte Carlo sample sizes: quick for the test suite (seconds), full for the report."""
    if quick:
        return {"mc": 200_000, "union_trials": 500, "subset_sum": 2_000, "max_n": 16}
    return {"mc": 2_000_000, "union_trials": 5_000, "subset_sum": 10_000, "max_n": 24}


def _with_finding(result: CheckResult, finding: str) -> CheckResult:
    return replace(result, finding=finding) if finding else result


def _malach_order() -> CheckResult:
    result = malach_single_pair.check_single_pair_order("product", 1)
    published = malach_single_pair.check_single_pair_order(
        "product", malach_single_pair.QUOTED_EXPONENT
    )
    finding = ""
    if not published.passed:
        finding = (
            "As commonly quoted: 'a single random pair lands within eps of the needed values with "
            "probability Theta(eps^2)'. Read as |u*v - w| <= eps this is false: "
            f"{published.detail.split(';')[0]} (so Theta(eps), and Theta(eps log 1/eps) at "
            "w = 0), and K = Theta(eps^-1 log(#weights/delta)) candidates suffice. Theta(eps^2) "
            "holds only when u and v must each be within eps of prescribed values."
        )
    return _with_finding(result, finding)


def _mixing_weight(setting: str, weight: sp.Expr) -> CheckResult:
    result = product_distribution.check_mixing_weight(setting, weight)
    if setting != "product":
        return result
    published = product_distribution.check_mixing_weight(
        "product", product_distribution.QUOTED_WEIGHT
    )
    finding = ""
    if not published.config["tight"]:
        finding = (
            "As commonly quoted: 'products a*b of a Uniform[0,1] and a Uniform[-1,1] variable, "
            "with half the units pruned for the wrong sign, contain Uniform[-1/2,1/2] with weight "
            f"ln 2 / 4'. For the U[0,1]*U[-1,1] product itself: {published.detail.split('; ')[-1]}"
            " (best ln 2/2). ln 2/4 is exact per DRAWN unit, a ~ U[-1,1] kept only when a >= 0 "
            "(see product.mixing_weight.sign_pruned)."
        )
    return _with_finding(result, finding)


def _leaky_half_lines() -> CheckResult:
    result = burkholz.check_leaky_half_lines()
    published = burkholz.check_leaky_half_lines(lambda w, alpha: w)
    finding = ""
    if not published.passed:
        finding = (
            "Burkholz 2022's code (RelationalML/LT-existence, Utils/pruning.py) prunes leaky ReLU "
            "like ReLU: both sign subsets of a first-layer weight target w. With leaky slope "
            "alpha the units realise P phi(h) - N phi(-h) = (P + alpha N) h+ - (N + alpha P) h-, "
            "i.e. (1 + alpha) w h (" + published.detail.split("realises w*h: ")[-1] + "); the "
            "subsets must target w / (1 + alpha), as approx.constructions.burkholz does."
        )
    return _with_finding(result, finding)


def checks(quick: bool, seed: int = 0) -> list[tuple[str, Callable[[], CheckResult]]]:
    """(name, thunk) for every check in report order; thunks so a crash fails one row only."""
    size = _sizes(quick)
    log2 = sp.log(2)
    out: list[tuple[str, Callable[[], CheckResult]]] = [
        ("relu.split", relu.check_relu_split),
        ("relu.positive_homogeneity", relu.check_positive_homogeneity),
        ("relu.scaling", relu.check_relu_scaling),
        ("relu.lipschitz", relu.check_relu_lipschitz),
        ("pensia.lemma1.identity", pensia_lemma1.check_lemma1_identity),
        ("pensia.lemma1.error_bound", pensia_lemma1.check_lemma1_error_bound),
        ("pensia.lemma2.decomposition", pensia_lemma2.check_lemma2_decomposition),
        ("pensia.lemma2.error_sum", pensia_lemma2.check_lemma2_error_sum),
        ("pensia.lemma3.parameter_count", pensia_lemma3.check_lemma3_parameter_count),
        ("pensia.lemma3.shared_layer", pensia_lemma3.check_lemma3_shared_layer),
        ("pensia.theorem1.closed_form", pensia_theorem1.check_theorem1_closed_form),
        ("pensia.theorem1.layer_budget", pensia_theorem1.check_theorem1_layer_budget),
        ("pensia.theorem1.sum_of_errors", pensia_theorem1.check_theorem1_sum_of_errors),
        ("product.density", product_distribution.check_product_density),
        (
            "product.density_mc",
            lambda: product_distribution.check_product_density_mc(
                samples=size["mc"], seed=seed + 1
            ),
        ),
        ("product.mixing_weight.product", lambda: _mixing_weight("product", log2 / 2)),
        ("product.mixing_weight.sign_pruned", lambda: _mixing_weight("sign_pruned", log2 / 4)),
        (
            "product.mixing_weight_mc.product",
            lambda: product_distribution.check_mixing_weight_mc(
                "product", log2 / 2, samples=size["mc"], seed=seed + 2
            ),
        ),
        (
            "product.mixing_weight_mc.sign_pruned",
            lambda: product_distribution.check_mixing_weight_mc(
                "sign_pruned", log2 / 4, samples=size["mc"], seed=seed + 3
            ),
        ),
        ("pensia.theorem2.lower_bound", pensia_theorem2.check_lower_bound),
        ("malach.single_pair_order.product", _malach_order),
        (
            "malach.single_pair_order.both_coordinates",
            lambda: malach_single_pair.check_single_pair_order("both coordinates", 2),
        ),
        (
            "malach.single_pair_mc",
            lambda: malach_single_pair.check_single_pair_mc(samples=size["mc"], seed=seed + 4),
        ),
        ("malach.union_bound", malach_single_pair.check_union_bound),
        (
            "malach.union_bound_mc",
            lambda: malach_single_pair.check_union_bound_mc(
                trials=size["union_trials"], seed=seed + 5
            ),
        ),
    ]
    out += _sparse_checks(size, seed)
    out += [
        ("burkholz.leaky_half_lines", _leaky_half_lines),
        ("burkholz.smooth_remainder.tanh", lambda: burkholz.check_smooth_remainder("tanh")),
        ("burkholz.smooth_remainder.sigmoid", lambda: burkholz.check_smooth_remainder("sigmoid")),
        ("burkholz.cube_norm", burkholz.check_cube_norm),
        (
            "burkholz.copies_propagation",
            lambda: burkholz.check_copies_propagation(trials=size["union_trials"], seed=seed + 6),
        ),
        ("burkholz.first_layer_products.a2", burkholz.check_first_layer_products),
        ("burkholz.parameter_count", burkholz.check_parameter_count),
    ]
    for k, row in enumerate(subset_sum_success.PUBLISHED):
        if row.n <= size["max_n"]:
            out.append(
                (
                    f"subset_sum.success.{row.law}.n{row.n}",
                    lambda row=row, k=k: subset_sum_success.check_subset_sum_success(
                        row, samples=size["subset_sum"], seed=seed + 10 + k
                    ),
                )
            )
    for k, (law, n) in enumerate((law, n) for law in ("uniform", "product") for n in (8, 16, 24)):
        if n <= size["max_n"]:
            out.append(
                (
                    f"subset_sum.library_solver.{law}.n{n}",
                    lambda law=law, n=n, k=k: subset_sum_success.check_library_solver(
                        law, n, samples=size["subset_sum"], seed=seed + 30 + k
                    ),
                )
            )
    return out


def _sparse_checks(size: dict[str, int], seed: int) -> list[tuple[str, Callable[[], CheckResult]]]:
    """Orseau et al.'s base-3/2 digits and Natale et al.'s fixed-size subset sums (as this
    repository constructs them; their wrong variants are in the tests)."""
    trials = size["union_trials"] // 5
    return [
        ("orseau.digits.step", orseau_digits.check_digit_step),
        ("orseau.digits.neighbours", orseau_digits.check_disjoint_neighbours),
        ("orseau.hyperbolic.band_mass", orseau_digits.check_hyperbolic_band),
        (
            "orseau.digits.probability_mc",
            lambda: orseau_digits.check_digit_probability_mc(samples=size["mc"], seed=seed + 40),
        ),
        (
            "orseau.union_bound_mc",
            lambda: orseau_digits.check_union_bound_mc(trials=trials, seed=seed + 41),
        ),
        ("natale.entropy_count", natale_fixed_size.check_entropy_count),
        (
            "natale.density_bound",
            lambda: natale_fixed_size.check_density_bound(seed=seed + 42),
        ),
        (
            "natale.theorem2.success",
            lambda: natale_fixed_size.check_rfss_success(
                samples=size["subset_sum"] // 2, seed=seed + 43
            ),
        ),
    ]


def _crashed(name: str, error: BaseException) -> CheckResult:
    where = traceback.extract_tb(error.__traceback__)[-1]
    return CheckResult(
        name=name,
        paper="?",
        statement="(the check raised)",
        method="symbolic",
        status="fail",
        detail=f"{type(error).__name__}: {error} at {Path(where.filename).name}:{where.lineno}",
    )


def run_all(quick: bool = False, seed: int = 0, progress: bool = False) -> list[CheckResult]:
    """Run every check (quick: smaller Monte Carlo samples) and return the results in order;
    `progress`: a bar on stderr."""
    results = []
    todo = checks(quick, seed)
    with progress_bar(len(todo), desc="checks", unit="check", enabled=progress) as bar:
        for name, thunk in todo:
            bar.set_postfix_str(name, refresh=False)
            try:
                results.append(thunk())
            except Exception as error:  # a crashing check is a failing check, not a crashed run
                results.append(_crashed(name, error))
            bar.update(1)
    return results


def _short_paper(paper: str) -> str:
    return re.sub(r" \(arXiv [^)]*\)", "", paper)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def format_table(results: Sequence[CheckResult], detail_width: int = 110) -> str:
    rows = [("check", "paper", "method", "status", "detail")]
    rows += [
        (
            r.name,
            _clip(_short_paper(r.paper), 40),
            r.method,
            r.status.upper(),
            _clip(r.detail, detail_width),
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths, strict=True)) + "  " + row[4]
        for row in rows
    ]
    lines.insert(1, "-" * min(max(len(line) for line in lines), 200))
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_report(results: Sequence[CheckResult], quick: bool, seconds: float) -> str:
    failed = [r for r in results if not r.passed]
    findings = [r for r in results if r.finding]
    lines = [
        "# proofs_check report",
        "",
        f"Mode: {'quick' if quick else 'full'}; {len(results)} checks, "
        f"{len(results) - len(failed)} passed, {len(failed)} failed, "
        f"{len(findings)} findings; {seconds:.1f} s.",
        "",
        "| check | paper | method | status | detail |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {_md(r.name)} | {_md(r.paper)} | {r.method} | **{r.status}** | {_md(r.detail)} |"
        for r in results
    ]
    lines += ["", "## Findings", ""]
    lines += [f"- **{r.name}**: {_md(r.finding)}" for r in findings] or ["None."]
    lines += ["", "## Statements and configuration", ""]
    lines += [f"- **{r.name}** ({r.method}): {r.statement}. Config: `{r.config}`" for r in results]
    return "\n".join(lines) + "\n"


def _parser(prog: str = "python -m proofs_check") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Check every step of the SLT proofs: symbolic where it is algebra, "
        "Monte Carlo where it is probability.",
    )
    parser.add_argument("--quick", action="store_true", help="smaller Monte Carlo samples")
    parser.add_argument(
        "--report", type=Path, help="also write a Markdown report to this file (default: none)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--seed", type=int, default=0, help="base seed of the Monte Carlo checks")
    return parser


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m proofs_check") -> int:
    """Run all checks, print the table and findings, write the report if asked (`--report`);
    0 iff all passed. `prog`: the command's name in usage and error lines (the `approx`
    command passes "approx check-proofs").

    A leading "--" is dropped: a wrapper that forwards its remaining arguments with argparse's
    REMAINDER (`approx check-proofs -- --quick`) passes it through."""
    argv = list(argv) if argv is not None else None
    if argv and argv[0] == "--":
        argv = argv[1:]
    args = _parser(prog).parse_args(argv)
    if args.report is not None:
        try:
            check_writable_file(args.report, "--report")
        except InvalidArgument as e:
            print(f"{prog}: error: {e}", file=sys.stderr)
            return 2
    start = time.perf_counter()
    results = run_all(quick=args.quick, seed=args.seed, progress=not args.quiet)
    seconds = time.perf_counter() - start
    print(format_table(results))
    findings = [r for r in results if r.finding]
    if findings:
        print("\nFindings (published statements that do not hold as written):")
        for r in findings:
            print(f"- {r.name}: {r.finding}")
    failed = sum(not r.passed for r in results)
    print(
        f"\n{len(results) - failed}/{len(results)} checks passed in {seconds:.1f} s"
        f" ({'quick' if args.quick else 'full'} mode)"
    )
    if args.report is not None:
        write_text_atomic(args.report, markdown_report(results, args.quick, seconds))
        print(f"report: {args.report}")
    return 1 if failed else 0
