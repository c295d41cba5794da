"""What the readers of a results store (`approx report`, `approx tightness --store`) need of
an "ok" row's result: the fields they use, each of the JSON type they use it as. The store
itself takes any JSON result (`approx.experiments.store`); a row another tool or version wrote
without them (`{"v": 1}`, or `"certified_error": null` in a run) is refused naming its key,
instead of failing halfway through a page or a table. `approx plot` needs no check: it skips
a figure whose rows lack what it draws, and says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from ..basics.errors import InvalidArgument
from .store import Row


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _integer(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _integers(v) -> bool:
    return isinstance(v, list) and bool(v) and all(_integer(x) for x in v)


def _text(v) -> bool:
    return isinstance(v, str)


def _optional(check: Callable[[object], bool]) -> Callable[[object], bool]:
    return lambda v: v is None or check(v)


# per kind: result field -> the check of its value; `None`-able fields the readers take with
# .get are optional (absent is fine), the rest required
_COMPARE_ROW = {
    "method": _text,
    "kind": _text,
    "kept": _integer,
    "empirical_error": _number,
    "certified_error": _optional(_number),
    "budget": _optional(_number),
}
_RESULT_FIELDS: dict[str, dict[str, Callable[[object], bool]]] = {
    "run": {
        "construction": _text,
        "solver": _text,
        "target_widths": _integers,
        "random_widths": _integers,
        "n_per_layer": _integers,
        "target_depth": _integer,
        "seed": _integer,
        "random_params": _integer,
        "kept_params": _integer,
        "eps": _number,
        "delta": _number,
        "density": _number,
        "certified_error": _number,
        "empirical_error": _number,
        "device": _text,  # the report's facts table lists them
        "dtype": _text,
    },
    "subset_sum": {
        "distribution": _text,
        "n": _integer,
        "trials": _integer,
        "successes": _integer,
        "eps": _number,
    },
    "compare": {
        "rows": lambda v: (
            isinstance(v, list)
            and all(isinstance(r, dict) and not _bad_fields(r, _COMPARE_ROW) for r in v)
        )
    },
}
_OPTIONAL_FIELDS: dict[str, dict[str, Callable[[object], bool]]] = {
    "run": {
        "error_method": _optional(_text),
        "error_upper": _optional(_number),
        "input_shape": _optional(_integers),
        "versions": _optional(lambda v: isinstance(v, dict)),
    },
    "subset_sum": {"versions": _optional(lambda v: isinstance(v, dict))},
    "compare": {},
}


def _bad_fields(result: dict, checks: dict, optional: dict | None = None) -> list[str]:
    bad = [k for k, ok in checks.items() if k not in result or not ok(result[k])]
    return bad + [k for k, ok in (optional or {}).items() if k in result and not ok(result[k])]


def result_problem(kind: str, result: object) -> str | None:
    """What a reader of a `kind` row's result would trip on (None if nothing)."""
    if not isinstance(result, dict):
        return f"its result is {type(result).__name__}, not a JSON object"
    if kind not in _RESULT_FIELDS:
        return f"its kind {kind!r} is not one approx writes"
    bad = _bad_fields(result, _RESULT_FIELDS[kind], _OPTIONAL_FIELDS[kind])
    if bad:
        more = f" and {len(bad) - 4} more" if len(bad) > 4 else ""
        return f"its {kind} result lacks {bad[:4]}{more} or holds another type there"
    return None


def check_results(rows: Sequence[Row], where: str) -> None:
    """Refuse (InvalidArgument, naming the first bad row's key) rows whose results a reader
    cannot use."""
    bad = [(r, why) for r in rows if r.status == "ok" and (why := result_problem(r.kind, r.result))]
    if bad:
        row, why = bad[0]
        raise InvalidArgument(
            f"{where}: {len(bad)} row(s) hold results approx did not write (first: key "
            f"{row.key[:12]}..., {why}); export the store (approx export) or pass another"
        )
