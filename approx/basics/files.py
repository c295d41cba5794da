"""Output files complete or absent: check the destination before computing, write each file to
a temporary name in the same directory and rename it into place."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import InvalidArgument


def _probe(directory: Path) -> str | None:
    """Why a file cannot be created in `directory` (None if it can): tried for real, with a
    temporary file removed at once, because permission bits do not tell (root passes
    `os.access` on /proc and on read-only mounts' directories alike)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".approx-probe-", dir=directory)
    except OSError as e:
        return e.strerror or type(e).__name__
    os.close(fd)
    os.unlink(name)
    return None


def check_writable_dir(path: str | Path, option: str) -> Path:
    """`path` is (or can be created as) a directory this process can write into; checked
    before any work so that nothing computed is lost to an output error."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InvalidArgument(f"{option}={str(path)!r} exists and is not a directory")
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise InvalidArgument(f"{option}={str(path)!r}: {str(existing)!r} is not a directory")
    why = _probe(existing)
    if why is not None:
        raise InvalidArgument(f"{option}={str(path)!r}: cannot write in {str(existing)!r} ({why})")
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
    why = _probe(parent)
    if why is not None:
        raise InvalidArgument(
            f"{option}={str(path)!r}: cannot write in directory {str(parent)!r} ({why})"
        )
    return path


def check_not_overwriting(path: str | Path, option: str, kept: str | Path, what: str) -> None:
    """Refuse an output `path` that is the file `kept` (by any name: a link, `./`), which the
    command reads or keeps, so that writing its output never replaces it."""
    path, kept = Path(path), Path(kept)
    same = path.resolve() == kept.resolve()
    if not same and path.exists() and kept.exists():
        same = os.path.samefile(path, kept)
    if same:
        raise InvalidArgument(f"{option}={str(path)!r} is {what}; writing there would replace it")


def _usual_mode(tmp: Path) -> None:
    """mkstemp makes 0600; give the file the mode any newly created file gets (0666 − umask)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)


def write_atomic(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call `write(tmp)` to produce the file at a temporary path beside `path`, flush it to
    disk, then rename it to `path`: a reader (or a crash, or a full disk) never leaves a
    half-written `path`. On any error the temporary file is removed and the error re-raised."""
    path = Path(path)
    # the temporary name keeps the suffix: writers such as matplotlib's savefig read the format
    # from it
    fd, name = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent
    )
    os.close(fd)
    tmp = Path(name)
    _usual_mode(tmp)
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


def write_files_atomic(
    directory: str | Path, writers: dict[str, Callable[[Path], object]]
) -> list[Path]:
    """All of `writers` (file name -> `write(tmp)`) in `directory`, or none of them: each is
    written to a temporary file beside its name and flushed; only when every one succeeded are
    they renamed into place. On any error (a full disk, an unwritable file) the temporary
    files, and the directories this call created, are removed and the error re-raised."""
    directory = Path(directory)
    created = []
    parent = directory
    while not parent.exists():
        created.append(parent)
        parent = parent.parent
    temps: dict[str, Path] = {}
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, write in writers.items():
            fd, tmp = tempfile.mkstemp(
                prefix=f".{name}.", suffix=f".tmp{Path(name).suffix}", dir=directory
            )
            os.close(fd)
            temps[name] = Path(tmp)
            _usual_mode(temps[name])
            write(temps[name])
            with open(temps[name], "rb+") as fh:
                os.fsync(fh.fileno())
        for name, tmp in temps.items():
            os.replace(tmp, directory / name)
    except BaseException:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
        for d in created:  # deepest first
            try:
                d.rmdir()
            except OSError:
                pass
        raise
    return [directory / name for name in writers]


def readable_file(path, option: str) -> Path | None:
    """`path` (a str or os.PathLike) as a Path if it names a regular file, None if it names
    nothing or something else; InvalidArgument naming `option` for what is not a path at all
    (None, 3) or a name the system refuses (too long: OSError from `stat`)."""
    if not isinstance(path, str | os.PathLike):
        raise InvalidArgument(f"{option}={path!r} is not a path")
    try:
        return Path(path) if Path(path).is_file() else None
    except (OSError, ValueError) as e:  # ValueError: an embedded NUL byte
        reason = getattr(e, "strerror", None) or str(e)
        raise InvalidArgument(f"{option}={str(path)[:80]!r}: {reason}") from None
