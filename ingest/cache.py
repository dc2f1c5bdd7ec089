"""Tables derived from installed data files, kept as .npy files and mapped into memory.

A derived table (py3langid's model without its automaton, wordfreq's lists as hashes) costs
seconds to build and tens of megabytes to hold; mapped from a file, it costs milliseconds to
open, its pages are the page cache's (shared by every process, never copied onto the heap),
and only the pages a run touches are read. The directory is $XDG_CACHE_HOME/newsdedup
(~/.cache/newsdedup); each table is a directory named by what it was derived from, so a new
version of the source is a new name, never a misread old one. A table that is missing,
damaged or not what its user expects is derived again and replaced; where the directory
cannot be written, or there is no home to put it in, each process derives its own.

Tables of versions no longer installed would stay forever (~45 MB per py3langid and wordfreq
install): a read marks its table used (the directory's mtime, at most once a day), and
deriving a table removes the other versions of it unused for UNUSED_DAYS.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

Arrays = Mapping[str, np.ndarray]

# A temporary directory this old is a killed writer's: nobody will rename it.
_ABANDONED_SECONDS = 3600
# A table no process has read for this long is removed when another is derived (an upgrade's).
UNUSED_DAYS = 30
# How stale a table's "used" mark may get before a read renews it (one metadata write a day).
_MARK_USED_EVERY_SECONDS = 86400


def directory() -> Path | None:
    """$XDG_CACHE_HOME/newsdedup, else ~/.cache/newsdedup; None when neither is an absolute path
    (the XDG rule for a relative $XDG_CACHE_HOME; a user with no home directory)."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):
        return Path(xdg) / "newsdedup"
    home = os.path.expanduser("~")
    return Path(home) / ".cache" / "newsdedup" if os.path.isabs(home) else None


def name_for(source: Path, kind: str) -> str:
    """A table's directory name: its kind and format, the source file's name, size and time.
    (Whole seconds: a container image's layers keep no finer time.)"""
    stat = source.stat()
    return f"{kind}-{source.name}-{stat.st_size}-{int(stat.st_mtime)}"


def table(name: str, derive: Callable[[], Arrays], valid: Callable[[Arrays], bool],
          base: Path | None = None) -> Arrays:
    """The arrays of table `name`: mapped from the cache when a valid copy is there, otherwise
    derived (and cached for the next process)."""
    base = base or directory()
    if base is not None:
        cached = _read(base / name)
        if cached is not None and valid(cached):
            _mark_used(base / name)
            return cached
    arrays = derive()
    if base is not None:
        _write(base / name, arrays, valid)
    return arrays


def _read(path: Path) -> dict[str, np.ndarray] | None:
    """Every array of the table, mapped read-only; None when it is absent or damaged."""
    try:
        return {file.stem: np.asarray(np.load(file, mmap_mode="r", allow_pickle=False))
                for file in path.glob("*.npy")} or None
    except Exception:  # noqa: BLE001 - a damaged file fails in numpy's parser in many ways; each is a miss
        return None


def _write(path: Path, arrays: Arrays, valid: Callable[[Arrays], bool]) -> None:
    """Written whole into a new directory, then renamed into place: a reader never sees half a
    table. When another process's copy got there first, a valid one is kept; a damaged one is
    set aside and replaced. A read-only or full disk only means deriving again next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(path.parent)
        _remove_unused(path.parent, keep=path.name)
        partial = Path(tempfile.mkdtemp(dir=path.parent, prefix=f"{path.name}.", suffix=".tmp"))
    except OSError:
        return
    try:
        for name, array in arrays.items():
            np.save(partial / f"{name}.npy", array, allow_pickle=False)
        partial.chmod(0o755)  # readable by others, as a table built into an image must be
        try:
            os.rename(partial, path)
        except OSError:  # a table is there already
            existing = _read(path)
            if existing is not None and valid(existing):
                return
            aside = Path(tempfile.mkdtemp(dir=path.parent, prefix=f"{path.name}.", suffix=".tmp"))
            os.rename(path, aside / "damaged")  # (a process mapping its files keeps them)
            os.rename(partial, path)
            shutil.rmtree(aside, ignore_errors=True)
    except OSError:
        pass
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _mark_used(path: Path) -> None:
    """Renew the table's "used" mark when it is older than a day (a read-only cache keeps its own)."""
    try:
        if time.time() - path.stat().st_mtime > _MARK_USED_EVERY_SECONDS:
            os.utime(path)
    except OSError:
        pass


def _family(name: str) -> tuple[str, str]:
    """What a `name_for` name ("kind-format-source-size-mtime") was derived from, whatever its
    format and version: (kind, source file name). A name of another shape is its own family."""
    parts = name.split("-")
    return (parts[0], parts[-3]) if len(parts) >= 5 else (name, "")


def _remove_unused(parent: Path, keep: str) -> None:
    """Remove the other versions of table `keep` (same kind, same source file) that no process
    has read for UNUSED_DAYS. A process still mapping one keeps its pages; one that reads it
    later derives it again."""
    oldest = time.time() - UNUSED_DAYS * 86400
    for entry in parent.iterdir():
        try:
            if (entry.name != keep and entry.suffix != ".tmp" and _family(entry.name) == _family(keep)
                    and entry.is_dir() and entry.stat().st_mtime < oldest):
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            pass


def _remove_abandoned(parent: Path) -> None:
    now = time.time()
    for leftover in parent.glob("*.tmp"):
        try:
            if now - leftover.stat().st_mtime > _ABANDONED_SECONDS:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            pass
