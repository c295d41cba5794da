"""The readable tables: a RunResult as `approx run` prints it, a Comparison as `approx search`
prints it."""

from __future__ import annotations

from ..basics import defaults
from ..basics.errors import InvalidArgument
from ..basics.units import format_widths
from ..measurement.empirical import search_schedule
from .result import RunResult
from .search.compare import Comparison


def _check(ok: bool) -> str:
    return "within eps" if ok else "EXCEEDS eps"


def _sandwich_rows(r: RunResult) -> list[str]:
    """The sandwich's upper and lower values (`--error sandwich` only)."""
    if r.error_method in (None, "certified"):
        return []
    how = "exact: every linear region" if r.error_method == "exact" else "branch and bound"
    ratio = r.error_upper / r.error_lower if r.error_lower else float("inf")
    return [
        f"  {'sandwich upper         sup||f - g|| <=':<44}{r.error_upper:>12.3e}   "
        f"{_check(r.error_upper <= r.eps)}   ({how})",
        f"  {'sandwich lower         sup||f - g|| >=':<44}{r.error_lower:>12.3e}   "
        f"{_check(r.error_lower <= r.eps)}   (upper/lower = {ratio:.4g})",
    ]


def format_run(r: RunResult) -> str:
    """The table: target, random net (and where n came from), kept parameters, the three
    errors against eps, the theorem's width and the lower bound, and where the time went."""
    if not isinstance(r, RunResult):
        raise InvalidArgument(f"r is a {type(r).__name__}, not a RunResult")
    n = ", ".join(str(v) for v in r.n_per_layer)
    theorem_n = ", ".join(str(v) for v in r.theorem_n_per_layer)
    lower = sum(max(0.0, b) for b in r.lower_bound_params_per_layer)
    per_layer = ", ".join(f"{max(0.0, b):,.0f}" for b in r.lower_bound_params_per_layer)
    structure = ""  # said only where it differs from a bias-free ReLU network
    if r.activation != "relu" or r.target_biases:
        structure = f"   {r.activation}" + (", biases" if r.target_biases else "")
    conv = r.input_shape is not None and len(r.input_shape) == 3
    lines = [
        f"approx run: {r.construction} — {r.theorem}",
        "",
        f"  target            widths {format_widths(r.target_widths)}   depth {r.target_depth}   "
        f"params {r.target_params:,}{structure}",
        f"  random network    widths {format_widths(r.random_widths)}   depth {r.random_depth}   "
        f"params {r.random_params:,}",
        f"  samples/weight n  {n}   ({r.n_source})",
        f"  theorem's width   n = {theorem_n} for eps={r.eps:g}, delta={r.delta:g}"
        + (f", C={r.C:g}" if r.C is not None else "")
        + f"   -> {r.theorem_random_params:,} params",
        f"  kept              {r.kept_params:,} params (density {r.density:.3%}"
        + ("" if r.requested_density is None else f", asked <= {r.requested_density:.3%}")
        + f") from {r.n_instances:,} per-weight instances, {r.search}",
        f"  lower bound       per layer >= {per_layer} params (Pensia Thm 2 packing count: proven "
        "for",
        f"                    one layer alone; their sum {lower:,.0f} is not a proven bound for "
        "the deep network)",
    ]
    if conv:
        lines[2:2] = [
            f"  target layers     {', '.join(r.target_layers)}   input "
            + "x".join(map(str, r.input_shape))
            + "   (widths: c*H*W features)",
        ]
    if r.rescale_factors is not None:
        factors = ", ".join(f"{f:.4g}" for f in r.rescale_factors)
        lines.append(f"  rescaled target   layer factors {factors}")
    lines += _scaling_and_routing_lines(r)
    lines += [
        "",
        f"  {'error':<44}{'value':>12}   vs eps={r.eps:g}",
        *_per_weight_rows(r),
        f"  {'certified upper bound  sup||f - g|| <=':<44}{r.certified_error:>12.3e}   "
        f"{_check(r.certified_within_eps)}" + _conv_rounding_mark(r),
        f"  {'empirical estimate     sup||f - g|| >=':<44}{r.empirical_error:>12.3e}   "
        f"{_check(r.empirical_within_eps)}   ({_search_label(r)})",
        *_sandwich_rows(r),
        *_max_norm_rows(r),
        "",
        *_error_legend(r),
        "",
        f"  {r.seconds:.2f} s on {r.device} ({r.dtype}): "
        + ", ".join(f"{k} {v:.2f}" for k, v in r.phase_seconds.items())
        + f"   seed {r.seed}",
    ]
    return "\n".join(lines)


def _search_label(r: RunResult) -> str:
    """What the empirical search did: its points, then its local-search steps (restart rounds
    included) and polish steps (`search_schedule`)."""
    points = f"{r.empirical_samples:,} points"
    if r.empirical_domain == "ball":
        return f"{points} of the ball + {r.ascent_steps} gradient steps"
    plan = search_schedule(r.target_widths[0], r.ascent_steps, None, None, None)
    steps = plan.steps + plan.restarts * min(defaults.EMPIRICAL_RESTART_STEPS, plan.steps)
    if not steps:
        return points
    return f"{points} + {steps} search" + (
        f" and {plan.polish_steps} polish steps" if plan.polish_steps else " steps"
    )


def _per_weight_rows(r: RunResult) -> list[str]:
    """The per-weight error over the half-lines each layer's inputs take, and (a second row)
    over the half-line no input reaches, where the construction keeps one."""
    used = r.max_weight_error if r.max_weight_error_used is None else r.max_weight_error_used
    rows = [f"  {'max per-weight |w_hat - w|  (inputs seen)':<44}{used:>12.3e}"]
    if r.max_weight_error_unused is not None:
        rows.append(
            f"  {'  ... on the unused half-line (N_i, i >= 2)':<44}"
            f"{r.max_weight_error_unused:>12.3e}   no input reaches it"
        )
    return rows


def _conv_float32(r: RunResult) -> bool:
    """A convolutional target in a dtype whose kernel sums are not bounded (docs/cnn.md)."""
    return r.input_shape is not None and len(r.input_shape) == 3 and r.dtype != "float64"


def _conv_rounding_mark(r: RunResult) -> str:
    return f"   (not proven in {r.dtype}: see below)" if _conv_float32(r) else ""


def _max_norm_rows(r: RunResult) -> list[str]:
    """The error in the theorem's max-norm, where the construction reports it."""
    if r.certified_error_max_norm is None:
        return []
    cert, emp = r.certified_error_max_norm, r.empirical_error_max_norm
    return [
        f"  {'certified, max-norm  sup|f - g|_max <=':<44}{cert:>12.3e}   {_check(cert <= r.eps)}"
        "   (inputs |x|_max <= 1, the theorem's norm)" + _conv_rounding_mark(r),
        f"  {'empirical, max-norm  sup|f - g|_max >=':<44}{emp:>12.3e}   {_check(emp <= r.eps)}"
        "   (cube points + sign ascent)",
    ]


def _error_legend(r: RunResult) -> list[str]:
    """One line per error row: what it is."""
    after_relu = " (after a ReLU inputs are >= 0: P_i only)" if r.target_depth > 1 else ""
    lines = [
        f"  per-weight: max |realised - target| weight where its inputs reach{after_relu}",
        "  certified:  a proven upper bound on sup_{||x||<=1} ||f(x) - g(x)|| (docs/error.md)",
        "  empirical:  the largest ||f(x) - g(x)|| found at actual inputs: a lower estimate",
    ]
    if _conv_float32(r):
        lines.append(
            f"  certified (convolutions, {r.dtype}): proven for the kernels as the construction "
            f"summed them in {r.dtype}, not for the exact sums of the stored weights (their "
            "rounding, ~1e-7 relative, is not bounded for convolutions; docs/cnn.md)"
        )
    if r.error_method not in (None, "certified"):
        lines.append("  sandwich:   upper and lower values of the sup that close (docs/error.md)")
    return lines


def _scaling_and_routing_lines(r: RunResult) -> list[str]:
    """A line when the drawn target was scaled into the construction's class, and one when an
    instance was solved other than by one meet in the middle."""
    lines = []
    if r.drawn_target_factors is not None:
        factors = ", ".join(f"{f:.4g}" for f in r.drawn_target_factors)
        lines.append(
            f"  target scaled     drawn target's layers x {factors} to meet {r.construction}'s "
            "assumptions; errors are against the scaled target"
        )
    if r.row_methods is not None:
        counts: dict[str, int] = {}
        for layer in r.row_methods:
            for name, k in layer.items():
                counts[name] = counts.get(name, 0) + k
        if any(k for name, k in counts.items() if name != "meet in the middle"):
            lines.append(
                "  instances         "
                + ", ".join(f"{k:,} {name}" for name, k in counts.items() if k)
                + f" (up to {max(r.max_valid_per_layer)} valid units; enumeration: exact; "
                f"prefix: exact over the first units, until within {r.prefix_tolerance:.3g})"
            )
    return lines


def format_comparison(c: Comparison) -> str:
    """The table `approx search` prints."""
    w = format_widths(c.target_widths)
    rw = format_widths(c.random_widths)
    lines = [
        f"approx search: target {w}, random net {rw} ({c.construction}'s layout, "
        f"n = {list(c.n_per_layer)}), seed {c.seed}",
        "",
        f"  {'masks':<24}{'kept':>8}{'density':>10}{'certified <=':>15}{'empirical >=':>15}"
        f"{'seconds':>10}",
    ]
    for r in c.rows:
        cert = "n/a" if r.certified_error is None else f"{r.certified_error:.3e}"
        lines.append(
            f"  {r.method:<24}{r.kept:>8,}{r.density:>10.3%}{cert:>15}"
            f"{r.empirical_error:>15.3e}{r.seconds:>10.2f}"
        )
    lines += [
        "",
        "  certified: the certified bound, only for masks whose kept units keep one input edge",
        "  (n/a otherwise); empirical: sphere samples + local search, same points every row",
    ]
    return "\n".join(lines)
