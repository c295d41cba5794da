"""The key of a stored grid point: the canonical JSON of its configuration and its hash.

One text per configuration (sorted keys, no whitespace, floats as Python's repr), so that the
same point always finds the same row of a store (`approx.experiments.store`)."""

from __future__ import annotations

import hashlib
import json
import math

from ..basics.errors import InvalidArgument


def canonical_json(config: dict) -> str:
    """One text per configuration: sorted keys, no whitespace, floats as Python's repr.

    Raises InvalidArgument for values JSON cannot hold exactly (NaN, inf, non-JSON types)."""
    try:
        return json.dumps(config, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as e:
        where = _unstorable(config, "config")
        what = f"{where[0]}={where[1]!r}" if where else f"config={config!r}"
        raise InvalidArgument(f"{what[:300]} is not plain JSON: {e}") from None


def _unstorable(value, path: str) -> tuple[str, object] | None:
    """(path, value) of the first entry JSON cannot hold exactly (NaN, inf, a non-JSON type),
    so that the message names it instead of printing the whole configuration."""
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                return f"{path} key", k
            if (found := _unstorable(v, f"{path}[{k!r}]")) is not None:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            if (found := _unstorable(v, f"{path}[{i}]")) is not None:
                return found
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return path, value
    if value is None or isinstance(value, (str, int, float)):
        return None
    return path, value


def point_key(config: dict) -> str:
    """The row key of a grid point: SHA-256 hex of its canonical JSON."""
    return hashlib.sha256(canonical_json(config).encode()).hexdigest()
