"""The PostgreSQL connection every table group shares, with engine errors turned into storage errors."""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from storage.errors import (
    AlreadyStored,
    StorageCorrupt,
    StorageError,
    StorageFull,
    StorageLocked,
    StorageReadOnly,
    StorageUnavailable,
)

# Seconds a writer waits for another worker's write lock before it says so (as SQLite's busy timeout).
LOCK_TIMEOUT_SECONDS = 30
CONNECT_TIMEOUT_SECONDS = 10
# Rows a server-side cursor fetches at a time (`PgConnection.rows` inside a transaction).
ROWS_PER_BATCH = 2000

Row = tuple[Any, ...]


def redacted(url: str) -> str:
    """The URL as messages show it: without its password."""
    return re.sub(r"^(postgres(?:ql)?://[^:@/]*):[^@/]*@", r"\1@", url)


def server_of(url: str) -> str:
    """host:port of a PostgreSQL URL, for "is PostgreSQL running at ...?"."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.Error:
        return url
    return f"{parts.get('host') or 'localhost'}:{parts.get('port') or 5432}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def translate(exc: psycopg.Error, path: str) -> StorageError:
    """The storage error that says what `exc` means for the database at `path`, and what to do."""
    state = exc.sqlstate or ""
    text = _first_line(exc)
    if isinstance(exc, psycopg.errors.UniqueViolation):
        return AlreadyStored(f"{path}: already stored ({text})")
    if state == "53100":  # disk_full
        return StorageFull(f"{path}: the server's disk is full; nothing of this write was kept. Free space and "
                           "run again")
    if state in ("25006", "42501"):  # read_only_sql_transaction, insufficient_privilege
        return StorageReadOnly(f"{path}: the database cannot be written by this user ({text}); grant it write "
                               "access, or use a read-only command")
    if state in ("55P03", "40P01"):  # lock_not_available (lock_timeout), deadlock_detected
        return StorageLocked(f"{path}: another worker held the write lock for more than {LOCK_TIMEOUT_SECONDS} s "
                             f"({text}); try again when it is done")
    if state.startswith("XX"):  # internal_error, data_corrupted, index_corrupted
        return StorageCorrupt(f"{path}: the server reports damaged data ({text}); restore the database from a "
                              "backup (pg_dump / pg_restore)")
    if isinstance(exc, psycopg.OperationalError) or state.startswith(("08", "57P")):
        return StorageUnavailable(f"{path}: cannot reach the database ({text}); is PostgreSQL running at "
                                  f"{server_of(path)}?")
    return StorageError(f"{path}: {type(exc).__name__}: {text}")


def connect(url: str, *, read_only: bool = False) -> psycopg.Connection[Row]:
    """An autocommit connection (each statement its own transaction unless inside `transaction()`,
    as the SQLite front's), its lock waits bounded. `read_only`: every transaction on it is READ
    ONLY, so no statement through it can change anything (the feeds' readers)."""
    path = redacted(url)
    try:
        raw = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS)
    except psycopg.Error as exc:
        raise StorageUnavailable(f"{path}: cannot connect ({_first_line(exc)}); is PostgreSQL running at "
                                 f"{server_of(url)}, and does the database exist (createdb)?") from None
    try:
        raw.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_SECONDS}s'")
        if read_only:
            raw.execute("SET default_transaction_read_only = on")
    except psycopg.Error as exc:
        raw.close()
        raise translate(exc, path) from exc
    return raw


class PgConnection:
    """A psycopg connection whose every statement raises `StorageError`s, never psycopg ones.

    Statements use psycopg's `%s` placeholders. A connection the server dropped (a restart, a
    failover, an idle timeout) fails the statement in flight with `StorageUnavailable`; the
    next statement outside a transaction connects again, so a long-running worker recovers
    without a restart. Inside a transaction it never does: the transaction's statements would
    otherwise land outside it."""

    def __init__(self, raw: psycopg.Connection[Row], path: str, url: str, *, read_only: bool = False) -> None:
        self.raw = raw
        self.path = path
        self._url = url
        self._read_only = read_only
        self._depth = 0         # transactions (and savepoints) open through `transaction()`
        self._cursors = 0       # names of server-side cursors, unique per connection

    @contextmanager
    def errors(self) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            raise translate(exc, self.path) from exc

    def _reconnect_if_dropped(self) -> None:
        if self._depth == 0 and (self.raw.closed or self.raw.broken):
            self.raw.close()
            self.raw = connect(self._url, read_only=self._read_only)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A transaction (a savepoint when one is open): commits at the end, rolls back on any error."""
        self._reconnect_if_dropped()
        self._depth += 1
        try:
            with self.errors(), self.raw.transaction():
                yield
        finally:
            self._depth -= 1

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def execute(self, sql: str, params: Iterable[Any] = ()) -> psycopg.Cursor[Row]:
        self._reconnect_if_dropped()
        with self.errors():
            # No parameters: None, so that psycopg does not read a `%` in the SQL as a placeholder.
            return self.raw.execute(sql, tuple(params) or None)

    def executemany(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
        self._reconnect_if_dropped()
        with self.errors(), self.raw.cursor() as cursor:
            cursor.executemany(sql, list(rows))

    def one(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """The first row of a query, or None."""
        with self.errors():
            return self.execute(sql, params).fetchone()

    def all(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        with self.errors():
            return self.execute(sql, params).fetchall()

    def rows(self, sql: str, params: Iterable[Any] = (), *, batch: int = ROWS_PER_BATCH) -> Generator[Any, None, None]:
        """Rows one at a time, errors translated as they come. Inside a transaction (a snapshot: the
        live index loading the window's signatures) from a server-side cursor, `batch` rows at a
        time, so that memory does not grow with the database."""
        if self._depth == 0:
            with self.errors():
                yield from self.execute(sql, params)
            return
        self._cursors += 1
        with self.errors(), self.raw.cursor(name=f"rows_{self._cursors}") as cursor:
            cursor.itersize = batch
            cursor.execute(sql, tuple(params) or None)
            yield from cursor

    def close(self) -> None:
        self.raw.close()
