"""The SQLite connection every table group shares, with engine errors turned into storage errors."""

from __future__ import annotations

import os
import sqlite3
import weakref
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures
from contextlib import contextmanager
from typing import Any

from storage.errors import (
    AlreadyStored,
    StorageCorrupt,
    StorageError,
    StorageFull,
    StorageLocked,
    StorageReadOnly,
    StorageUnavailable,
)

# Seconds a writer waits for another process's write lock before it says so.
BUSY_TIMEOUT_SECONDS = 30.0


def translate(exc: sqlite3.Error, path: str) -> StorageError:
    """The storage error that says what `exc` means for the database at `path`, and what to do."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if isinstance(exc, sqlite3.IntegrityError) and ("UNIQUE" in text or "PRIMARYKEY" in name):
        return AlreadyStored(f"{path}: already stored ({text})")
    if name == "SQLITE_FULL" or "disk is full" in text:
        return StorageFull(f"{path}: the disk is full; nothing of this write was kept. Free space and run again")
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return StorageReadOnly(f"{path}: the database is read-only; make it writable, or use a read-only "
                               "command (feed, clusters, serve --no-crawl)")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return StorageLocked(f"{path}: another process held the database's write lock for more than "
                             f"{BUSY_TIMEOUT_SECONDS:.0f} s; try again when it is done")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text or "not a database" in text:
        return StorageCorrupt(f"{path}: the database file is damaged ({text}); restore it from a backup "
                              "(newsdedup backup) or recover it with: sqlite3 FILE .recover | sqlite3 NEW")
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_PERM")) or "unable to open" in text:
        return StorageUnavailable(f"{path}: cannot open or read the database ({text}); check the path and "
                                  "its permissions")
    return StorageError(f"{path}: {type(exc).__name__}: {text}")


class Connection:
    """A sqlite3 connection whose every statement raises `StorageError`s, never `sqlite3` ones.

    One long statement at a time may run on a helper thread (`execute_in_background`) while
    the caller goes on with work that needs no database; every other call waits for it first,
    and raises its error."""

    def __init__(self, raw: sqlite3.Connection, path: str) -> None:
        self.raw = raw
        self.path = path
        self._background: Future[None] | None = None
        self._helper: ThreadPoolExecutor | None = None

    @contextmanager
    def errors(self) -> Iterator[None]:
        self.wait()
        try:
            yield
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from exc

    def execute_in_background(self, sql: str, params: Iterable[Any] = ()) -> None:
        """Run `sql` on the helper thread. SQLite runs a statement without Python's lock (the
        GIL), so one that takes long — a search index's insertion of many documents — goes on
        beside the caller's Python work instead of after it."""
        self.wait()
        if self._helper is None:
            self._helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-background")
        self._background = self._helper.submit(self._run, sql, tuple(params))
        _RUNNING_IN_BACKGROUND.add(self)

    def _run(self, sql: str, params: tuple[Any, ...]) -> None:
        try:
            self.raw.execute(sql, params).close()
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from exc

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open (a statement runs in the background only inside one;
        the connection is not asked while it runs)."""
        return self._background is not None or self.raw.in_transaction

    def wait(self) -> None:
        """Wait for the statement running in the background, if any; its error is raised here.
        (Interrupted, by Ctrl-C, it is still this connection's to wait for.)"""
        background = self._background
        if background is None:
            return
        try:
            background.result()
        finally:
            if background.done():
                self._background = None
                _RUNNING_IN_BACKGROUND.discard(self)

    def finish_background(self) -> None:
        """Wait until the statement running in the background has ended, keeping its error for
        the next call (a fork must not copy the connection in the middle of a statement)."""
        background = self._background
        if background is not None:
            wait_for_futures([background])

    # The statements a write runs (a dozen per document) catch errors inline: `errors()`, a
    # generator's context, costs more than a short statement's own Python side.
    def execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        if self._background is not None:
            self.wait()
        try:
            return self.raw.execute(sql, tuple(params))
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from exc

    def executemany(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
        if self._background is not None:
            self.wait()
        try:
            self.raw.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from exc

    def executescript(self, script: str) -> None:
        with self.errors():
            self.raw.executescript(script)

    def one(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """The first row of a query, or None."""
        if self._background is not None:
            self.wait()
        try:
            return self.raw.execute(sql, tuple(params)).fetchone()
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from exc

    def all(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        if self._background is not None:
            self.wait()
        try:
            return self.raw.execute(sql, tuple(params)).fetchall()
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from exc

    def rows(self, sql: str, params: Iterable[Any] = ()) -> Iterator[Any]:
        """Rows one at a time (for scans too large to hold), errors translated as they come."""
        with self.errors():
            cursor = self.raw.execute(sql, tuple(params))
            for row in cursor:
                yield row
                if self._background is not None:  # (started while the caller held this row)
                    self.wait()

    def rollback(self) -> None:
        """Undo the open transaction, if SQLite has not already (it rolls back itself on a full
        disk), once the statement running in the background has ended: whatever its end, and
        however often Ctrl-C interrupts the wait."""
        interrupted: BaseException | None = None
        while self._background is not None:
            try:
                self.wait()
            except Exception:
                pass  # (what it did is undone with the rest; the caller has its own error)
            except BaseException as exc:
                interrupted = exc
        if self.raw.in_transaction:
            self.execute("ROLLBACK")
        if interrupted is not None:
            raise interrupted

    def close(self) -> None:
        while self._background is not None:
            try:
                self.wait()
            except Exception:
                pass  # (uncommitted: closing undoes it)
        if self._helper is not None:
            self._helper.shutdown()
            self._helper = None
        self.raw.close()


# Connections whose statement runs in the background: a fork waits for each statement's end
# (the child gets a copy of the connection, which must not be in the middle of one).
_RUNNING_IN_BACKGROUND: weakref.WeakSet[Connection] = weakref.WeakSet()


def _before_fork() -> None:
    for conn in list(_RUNNING_IN_BACKGROUND):
        conn.finish_background()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork)
