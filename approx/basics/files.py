"""Output files complete or absent: check the destination before computing, write each file to
a temporary name in the same directory and rename it into place."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import InvalidArgument


def check_writable_dir(path: str | Path, option: str) -> Path:
    """`path` is (or can be created as) a directory this process can write into; checked
    before any work so that nothing computed is lost to an output error."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InvalidArgument(f"{option}={str(path)!r} exists and is not a directory")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise InvalidArgument(f"{option}={str(path)!r}: {str(existing)!r} is not writable")
    return path


def check_writable_file(path: str | Path, option: str) -> Path:
    """`path` can be written as a file: its directory exists and is writable, and it is not a
    directory itself."""
    path = Path(path)
    if path.is_dir():
        raise InvalidArgument(f"{option}={str(path)!r} is a directory, not a file")
    parent = path.parent
    if not parent.is_dir():
        raise InvalidArgument(f"{option}={str(path)!r}: directory {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InvalidArgument(f"{option}={str(path)!r}: directory {str(parent)!r} is not writable")
    return path


def write_atomic(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call `write(tmp)` to produce the file at a temporary path beside `path`, flush it to
    disk, then rename it to `path`: a reader (or a crash, or a full disk) never leaves a
    half-written `path`. On any error the temporary file is removed and the error re-raised."""
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
