"""A results store as one table for other tools: CSV (one column per configuration and result
field, flattened) or JSON (the rows as stored, nested)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict

from ..basics.errors import InvalidArgument
from .store import Row

FORMATS = ("csv", "json")
KINDS = ("run", "subset_sum")  # what a store's rows hold (approx.experiments.store)
_ROW_FIELDS = ("key", "kind", "status", "seconds", "version", "finished_at", "error")


def _cell(v):
    """A CSV cell: numbers, strings and booleans as they are, None empty, lists and dicts as
    compact JSON."""
    if v is None:
        return ""
    if isinstance(v, list | dict):
        return json.dumps(v, separators=(",", ":"))
    return v


def flat_records(rows: Sequence[Row]) -> list[dict]:
    """One flat dict per row: the row's own fields, then `config.<key>` and `result.<key>`."""
    out = []
    for r in rows:
        rec = {f: getattr(r, f) for f in _ROW_FIELDS}
        rec |= {f"config.{k}": v for k, v in r.config.items()}
        rec |= {f"result.{k}": v for k, v in (r.result or {}).items()}
        out.append(rec)
    return out


def export_text(rows: Sequence[Row], fmt: str) -> str:
    """The rows as CSV (columns: the row fields, then every config and result key in order of
    first appearance; a row lacking one leaves it empty) or as a JSON list of stored rows."""
    if fmt not in FORMATS:
        raise InvalidArgument(f"format={fmt!r} is not one of {list(FORMATS)}")
    if fmt == "json":
        return json.dumps([asdict(r) for r in rows], indent=1) + "\n"
    records = flat_records(rows)
    columns = list(dict.fromkeys(k for rec in records for k in rec)) or list(_ROW_FIELDS)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    for rec in records:
        writer.writerow({k: _cell(v) for k, v in rec.items()})
    return buf.getvalue()
