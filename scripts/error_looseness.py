"""How loose is each error value: the certified bound, the sandwich's upper value and the
empirical estimate against the true sup, over a fixed set of small cases.

Cases: Pensia's construction at n = 2, 6 and the theorem's n (eps = delta = 0.01), and Malach's
at its theorem's n (eps = 0.2, delta = 0.1), on targets with 1 to 4 inputs, widths <= 16, depth
<= 3, three seeds each. The true sup is exact where the input has 1 or 2 dimensions (the
sandwich's region enumeration); with 3 or 4 it lies between the sandwich's lower and upper
values, and a ratio to it is given as the range [ratio to upper, ratio to lower].

    python scripts/error_looseness.py             # every case, 20,000 boxes
    python scripts/error_looseness.py --quick     # 2 cases (smoke test)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from approx.basics.progress import progress_bar
from approx.constructions import get_construction
from approx.pipeline.run import run

SHAPES = [(1, 1), (1, 4, 2), (2, 2), (2, 4, 2), (2, 8, 8, 2), (3, 4, 2), (3, 8, 3), (4, 4),
          (4, 8, 4), (4, 16, 16, 4)]  # fmt: skip
PENSIA_N = (2, 6, None)  # None: the theorem's n


def cases(quick: bool) -> list[dict]:
    out = []
    for shape in SHAPES[:: 5 if quick else 1]:
        for n in PENSIA_N[-1:] if quick else PENSIA_N:
            for seed in range(1 if quick else 3):
                out.append(dict(construction="pensia", widths=shape, n=n, eps=0.01, delta=0.01,
                                seed=seed))  # fmt: skip
        malach = get_construction("malach").size(shape, 0.2, 0.1, 1.0)
        if max(malach) <= 4000 and not quick:
            for seed in range(3):
                out.append(dict(construction="malach", widths=shape, n=None, eps=0.2, delta=0.1,
                                seed=seed))  # fmt: skip
    return out


def quantiles(values: list[float]) -> str:
    v = sorted(values)
    p90 = v[min(len(v) - 1, int(0.9 * len(v)))]
    return f"{statistics.median(v):.3g} / {p90:.3g} / {v[-1]:.3g}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="2 cases")
    ap.add_argument("--boxes", type=int, default=20_000, help="sandwich boxes per case")
    ap.add_argument("--json", help="also write every case to this JSON file")
    args = ap.parse_args(argv)
    todo = cases(args.quick)
    rows = []
    with progress_bar(len(todo), desc="cases", unit="case", ticking=True) as bar:
        for c in todo:
            r = run(**c, error="sandwich", sandwich_boxes=args.boxes)
            rows.append({**c, "d_in": c["widths"][0], **{k: getattr(r, k) for k in (
                "certified_error", "empirical_error", "error_upper", "error_lower",
                "error_method")}, "sandwich_seconds": r.phase_seconds["sandwich"]})  # fmt: skip
            bar.update(1)
    exact = [r for r in rows if r["error_method"] == "exact"]
    boxed = [r for r in rows if r["error_method"] != "exact"]
    print(f"{len(rows)} cases ({len(exact)} exact, d_in <= 2; {len(boxed)} by branch and bound)")
    print("\n| ratio | cases | median / 90th percentile / max |\n|---|---|---|")
    table = [
        ("certified / true (d_in <= 2)", exact, lambda r: r["certified_error"] / r["error_lower"]),
        ("empirical / true (d_in <= 2)", exact, lambda r: r["empirical_error"] / r["error_lower"]),
        ("certified / sandwich upper (d_in 3-4)", boxed,
         lambda r: r["certified_error"] / r["error_upper"]),
        ("certified / sandwich lower (d_in 3-4)", boxed,
         lambda r: r["certified_error"] / r["error_lower"]),
        ("sandwich upper / lower (d_in 3-4)", boxed, lambda r: r["error_upper"] / r["error_lower"]),
        ("empirical / sandwich lower (d_in 3-4)", boxed,
         lambda r: r["empirical_error"] / r["error_lower"]),
    ]  # fmt: skip
    for name, sub, ratio in table:
        values = [ratio(r) for r in sub if r["error_lower"] > 0]
        if values:
            print(f"| {name} | {len(values)} | {quantiles(values)} |")
    seconds = [r["sandwich_seconds"] for r in boxed]
    if seconds:
        print(f"\nsandwich seconds (d_in 3-4): {quantiles(seconds)}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
