"""A consistent copy of a live database (SQLite's online backup API)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from storage.connection import Connection, translate
from storage.errors import StorageError, StorageUnavailable
from storage.migrations import check_readable
from storage.reader import connect

# Pages copied per step: between steps writers may commit, and the backup restarts cleanly.
PAGES_PER_STEP = 1024


def backup_database(source: str, destination: str) -> int:
    """Copy `source` to `destination` as of one moment; return the copy's size in bytes.

    Refuses to overwrite an existing file (a backup must not destroy the last one)."""
    target = Path(destination)
    if target.exists():
        raise StorageUnavailable(f"{destination} already exists; give a new file name (a backup never overwrites)")
    reader = connect(source)
    partial = target.with_name(target.name + ".partial")
    try:
        out = sqlite3.connect(partial)
        try:
            reader.raw.backup(out, pages=PAGES_PER_STEP)
            check_readable_copy(out, destination)
        finally:
            out.close()
        os.replace(partial, target)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise translate(exc, destination) from None
    except StorageError:
        partial.unlink(missing_ok=True)
        raise
    finally:
        reader.close()
    return target.stat().st_size


def check_readable_copy(conn: sqlite3.Connection, path: str) -> None:
    """The copy passes SQLite's own integrity check and has a schema this code reads."""
    result = conn.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise StorageError(f"{path}: the copy failed its integrity check ({result}); the source may be damaged")
    check_readable(Connection(conn, path))
