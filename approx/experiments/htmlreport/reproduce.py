"""The sweep file that reproduces a store: its points' axes written back as TOML, kept only when
parsing that text gives exactly the store's points (so the page never shows a command that would
compute something else)."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence

from ...basics.errors import InvalidArgument
from ..grid import RUN_DEFAULTS, config_from_dict
from ..store import point_key

_RUN_AXES = ("construction", "widths", "eps", "seed")
_SIZE_KEYS = ("n", "width_factor", "C")
_SUBSET_SUM_AXES = ("distribution", "n", "eps", "seed")


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"{v!r} has no TOML form here")


def _axes(configs: Sequence[dict], axes: Sequence[str], fixed: Sequence[str]) -> dict | None:
    """{key: sorted distinct values} for the axes, {key: the one value} for the fixed keys, or
    None when a fixed key takes several values or a config has a key outside both."""
    keys = set(axes) | set(fixed) | {"kind"}
    if any(set(c) - keys for c in configs):
        return None
    table: dict = {}
    for k in axes:
        values = {repr(c[k]): c[k] for c in configs if k in c}
        if values:
            table[k] = sorted(values.values())
    for k in fixed:
        values = {repr(c[k]): c[k] for c in configs if k in c}
        if len(values) > 1:
            return None
        if values:
            table[k] = next(iter(values.values()))
    return table


def sweep_toml(configs: Sequence[dict]) -> str | None:
    """A TOML sweep file whose grid is exactly `configs` (as a set), or None if none of this
    form exists (the points are not one product grid per kind, or a config is not one a sweep
    file writes: no `kind`, a value without a TOML form, values that do not sort)."""
    try:
        return _sweep_toml(configs)
    except (TypeError, KeyError):  # a row another tool or version wrote
        return None


def _sweep_toml(configs: Sequence[dict]) -> str | None:
    runs = [c for c in configs if c.get("kind") == "run"]
    mc = [c for c in configs if c.get("kind") == "subset_sum"]
    data: dict = {}
    if runs:
        size = [k for k in _SIZE_KEYS if any(k in c for c in runs)]
        if len(size) != 1:
            return None
        data["runs"] = _axes(runs, (*_RUN_AXES, size[0]), tuple(RUN_DEFAULTS))
    if mc:
        data["subset_sum"] = _axes(mc, _SUBSET_SUM_AXES, ("trials",))
    if not data or any(t is None for t in data.values()):
        return None
    text = "\n\n".join(
        f"[{name}]\n" + "\n".join(f"{k} = {_toml_value(v)}" for k, v in table.items())
        for name, table in data.items()
    )
    try:
        points = config_from_dict(tomllib.loads(text)).points
    except (tomllib.TOMLDecodeError, InvalidArgument):  # not offered unless it reads back
        return None
    if sorted(map(point_key, points)) != sorted(map(point_key, configs)):
        return None
    return text + "\n"
