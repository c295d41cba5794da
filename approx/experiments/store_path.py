"""What a results store's path must be before SQLite opens (or creates) it: a regular SQLite
file or nothing, in a directory that exists and can be written (`approx.experiments.store`).
Checked without creating or changing anything, so that a refusal leaves no trace."""

from __future__ import annotations

import os
from pathlib import Path

from ..basics.errors import InvalidArgument

SQLITE_MAGIC = b"SQLite format 3\x00"


def check_path(path: Path) -> str:
    """Refuse a path that cannot be a writable store before SQLite opens (or creates) it: a
    directory, a device, a file that is not SQLite, a missing or read-only directory. Returns
    how messages name it."""
    where = f"store {str(path)!r}"
    if path.is_dir():
        raise InvalidArgument(f"{where} is a directory, not a results store")
    if path.exists() and not path.is_file():
        raise InvalidArgument(f"{where} is not a regular file (a device or pipe?)")
    if path.exists() and path.stat().st_size > 0:
        check_magic(path, where)
    elif not path.parent.is_dir():
        raise InvalidArgument(f"{where}: directory {str(path.parent)!r} does not exist")
    writable = _why_not_writable(path)
    if writable is not None:
        raise InvalidArgument(f"{where} is read-only ({writable}); pass a writable path")
    return where


def check_magic(path: Path, where: str) -> None:
    with open(path, "rb") as fh:
        if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise InvalidArgument(
                f"{where} is not a SQLite file (not an approx results store); "
                "refusing to touch it — pass a new path"
            )


def _why_not_writable(path: Path) -> str | None:
    """Why SQLite could not write the store at `path` (None if it can): the file, or for a new
    one (and for a WAL store's side files) its directory, must be writable."""
    directory = path.parent
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is not writable"
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"directory {str(directory)!r} is not writable"
    return None
