"""The report's tables, each read from the store's rows: runs, subset-sum success with Wilson
intervals, tightness with fitted constants, failed points, and the environment."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Sequence
from importlib import metadata

import torch

from ...basics.statistics import wilson_interval
from ...basics.units import format_widths
from ...basics.versions import software_versions
from ...constructions import get_construction
from ..store import Row, canonical_json
from ..tightness import fit_C, tightness_from_results
from ..tightness_table import COLUMNS, table_cells
from .markup import num, paragraph, table

RUN_COLUMNS = (
    "construction",
    "target",
    "n per layer",
    "seed",
    "eps",
    "delta",
    "random params",
    "kept params",
    "density",
    "certified error",
    "empirical error",
    "certified <= eps",
    "seconds",
)


def run_table(rows: Sequence[Row]) -> str:
    """Every successful run point, one <tr data-key> per stored row, by construction, target,
    n, eps and seed."""
    ok = sorted(
        (r for r in rows if r.kind == "run" and r.status == "ok"),
        key=lambda r: (r.result["construction"], r.result["target_widths"],
                       r.result["n_per_layer"], r.result["eps"], r.result["seed"]),
    )  # fmt: skip
    cells = []
    for row in ok:
        r = row.result
        cells.append(
            [
                r["construction"],
                format_widths(r["target_widths"]),
                ",".join(map(str, r["n_per_layer"])),
                num(r["seed"], "d"),
                num(r["eps"], "g"),
                num(r["delta"], "g"),
                num(r["random_params"], ",d"),
                num(r["kept_params"], ",d"),
                num(r["density"], ".4f"),
                num(r["certified_error"], ".4e"),
                num(r["empirical_error"], ".4e"),
                "yes" if r["certified_error"] <= r["eps"] else "no",
                num(row.seconds, ".2f"),
            ]
        )
    return table(
        "run-table", RUN_COLUMNS, cells, row_attrs=[{"data-key": r.key} for r in ok], scroll=True
    )


def success_rows(rows: Sequence[Row]) -> list[dict]:
    """Subset-sum Monte Carlo counts pooled over seeds per (distribution, eps, n), with the
    Wilson 95% interval of the success probability (as the success figure draws it)."""
    pooled: dict = {}
    for row in rows:
        if row.kind == "subset_sum" and row.status == "ok":
            r = row.result
            p = pooled.setdefault((r["distribution"], r["eps"], r["n"]), [0, 0, 0])
            p[0] += 1
            p[1] += r["successes"]
            p[2] += r["trials"]
    out = []
    for (dist, eps, n), (seeds, k, t) in sorted(pooled.items()):
        lo, hi = wilson_interval(k, t)
        out.append(
            {"distribution": dist, "eps": eps, "n": n, "seeds": seeds, "successes": k,
             "trials": t, "rate": k / t, "lo": lo, "hi": hi}
        )  # fmt: skip
    return out


def success_table(rows: Sequence[Row]) -> str:
    headers = ("distribution", "eps", "n", "seeds", "successes", "trials", "P(error <= eps)",
               "Wilson 95% low", "Wilson 95% high")  # fmt: skip
    cells = [
        [s["distribution"], num(s["eps"], "g"), num(s["n"], "d"), num(s["seeds"], "d"),
         num(s["successes"], "d"), num(s["trials"], "d"), num(s["rate"], ".4f"),
         num(s["lo"], ".4f"), num(s["hi"], ".4f")]
        for s in success_rows(rows)
    ]  # fmt: skip
    return table("success-table", headers, cells)


def tightness_section(rows: Sequence[Row]) -> str | None:
    """The tightness table the store's runs settle (None if they settle no row), with C fitted
    per construction."""
    ok = [r for r in rows if r.kind == "run" and r.status == "ok"]
    targets = [canonical_json(r.config["target"]) if "target" in r.config else "" for r in ok]
    tight = tightness_from_results([r.result for r in ok], targets)
    if not tight:
        return None
    fits = []
    for name in sorted({t.construction for t in tight}):
        f = fit_C([t for t in tight if t.construction == name])
        fits.append([name, num(f.C, ".3f"), num(f.lo, ".3f"), num(f.hi, ".3f"),
                     num(f.rows, "d"), num(get_construction(name).default_C, "g")])  # fmt: skip
    return "\n".join(
        (
            paragraph(
                "n needed: the smallest n (all layers) whose upper value of the error is <= eps "
                "in >= (1 - delta) of the seeds (counted by: the exact sup, the sandwich's upper "
                "value or the certified bound); a seed's threshold is settled where the store "
                "holds a success at n and a failure at n - 1 (what approx tightness --store "
                "leaves). theorem n: the construction's formula at its default C; ratio = "
                "theorem n / n needed; L = the construction's own formula at C = 1 (where it is C "
                "times a term, else Pensia's log term); C_emp = n needed / L.",
                "note",
            ),
            table("tightness-table", COLUMNS, [table_cells(t) for t in tight]),
            table(
                "tightness-fit",
                ("construction", "fitted C", "95% low", "95% high", "rows", "default C"),
                fits,
            ),
        )
    )


def failure_table(rows: Sequence[Row]) -> str | None:
    failed = [r for r in rows if r.status == "failed"]
    if not failed:
        return None
    cells = [[r.kind, json.dumps(r.config, sort_keys=True), r.error] for r in failed]
    return table("failed-table", ("kind", "config", "error"), cells, scroll=True)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(rows: Sequence[Row], store_meta: dict[str, str]) -> str:
    """What computed the rows (as they record it) and what wrote this page."""
    versions: dict[str, int] = {}
    for r in rows:
        v = (r.result or {}).get("versions")
        text = ", ".join(f"{k} {x}" for k, x in sorted(v.items())) if v else f"approx {r.version}"
        versions[text] = versions.get(text, 0) + 1
    recorded = [[text, num(count, "d")] for text, count in sorted(versions.items())]
    runs = [r.result for r in rows if r.kind == "run" and r.status == "ok"]
    seeds_of = {
        kind: sorted({r.config["seed"] for r in rows if r.kind == kind and "seed" in r.config})
        for kind in ("run", "subset_sum")
    }
    finished = sorted(r.finished_at for r in rows)
    facts = [
        ["store format", ", ".join(f"{k}={v}" for k, v in sorted(store_meta.items()))],
        ["rows", f"{len(rows)} ({sum(r.status == 'failed' for r in rows)} failed)"],
        ["finished", f"{finished[0]} to {finished[-1]}" if finished else "-"],
        ["compute seconds (sum over rows)", f"{sum(r.seconds for r in rows):.1f}"],
        ["devices, dtypes (runs)", ", ".join(sorted({f"{r['device']} {r['dtype']}" for r in runs}))
         or "-"],
        ["seeds (runs)", ",".join(map(str, seeds_of["run"])) or "-"],
        ["seeds (subset sum)", ",".join(map(str, seeds_of["subset_sum"])) or "-"],
    ]  # fmt: skip
    here = {**software_versions(), "matplotlib": metadata.version("matplotlib")}
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none (CUDA unavailable)"
    writer = [
        ["software", ", ".join(f"{k} {v}" for k, v in sorted(here.items()))],
        ["platform", platform.platform()],
        ["CPU", f"{_cpu_model()} ({os.cpu_count()} logical cores)"],
        ["GPU", gpu],
    ]
    return "\n".join(
        (
            table("environment-store", ("", "from the store"), facts),
            paragraph("Software versions the rows record, with their row counts:"),
            table("environment-versions", ("versions", "rows"), recorded),
            paragraph(
                "The machine that wrote this page (rows do not record their CPU or GPU; a "
                "sweep's machine is this one when the page is written where it ran):",
                "note",
            ),
            table("environment-writer", ("", "this page's writer"), writer),
        )
    )


def store_summary(rows: Sequence[Row]) -> str:
    kinds = sorted({r.kind for r in rows})
    parts = [
        f"{sum(r.kind == k for r in rows)} {k} rows "
        f"({sum(r.kind == k and r.status == 'failed' for r in rows)} failed)"
        for k in kinds
    ]
    return "; ".join(parts) or "no rows"
