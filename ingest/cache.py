"""Tables derived from installed data files, kept as .npy files and mapped into memory.

A derived table (py3langid's model without its automaton, wordfreq's lists as hashes) costs
seconds to build and tens of megabytes to hold; mapped from a file, it costs milliseconds to
open, its pages are the page cache's (shared by every process, never copied onto the heap),
and only the pages a run touches are read. The directory is $XDG_CACHE_HOME/newsdedup
(~/.cache/newsdedup); each table is a directory named by what it was derived from, so a new
version of the source is a new name, never a misread old one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np


def directory() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "newsdedup"


def name_for(source: Path, kind: str) -> str:
    """A table's directory name: its kind and format, the source file's name, size and time."""
    stat = source.stat()
    return f"{kind}-{source.name}-{stat.st_size}-{stat.st_mtime_ns}"


def read(table: Path, names: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    """The table's arrays, mapped read-only; None when it is absent, cut short or damaged."""
    try:
        return {name: np.asarray(np.load(table / f"{name}.npy", mmap_mode="r", allow_pickle=False))
                for name in names}
    except (OSError, ValueError, EOFError):
        return None


def write(table: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Written whole into a new directory, then renamed: a reader never sees half of it,
    whoever writes first. A read-only or full home only means deriving again next time."""
    try:
        table.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(dir=table.parent, prefix=f"{table.name}.", suffix=".tmp"))
    except OSError:
        return
    try:
        for name, array in arrays.items():
            np.save(partial / f"{name}.npy", array, allow_pickle=False)
        partial.chmod(0o755)  # readable by others, as a cache built into an image must be
        shutil.rmtree(table, ignore_errors=True)  # a damaged earlier copy
        os.rename(partial, table)
    except OSError:
        pass  # another process's copy won the rename, or the disk is full
    finally:
        shutil.rmtree(partial, ignore_errors=True)
