"""Sources and fetch state: `sources` (what the crawler polls) and `fetch_state` (per URL validators)."""

from __future__ import annotations

from typing import Any

from storage.clock import utcnow
from storage.connection import Connection
from storage.model import FetchState, Source

_COLUMNS = ("id", "url", "title", "kind", "lang", "interval_seconds", "poll_interval", "enabled",
            "added", "next_due", "last_run", "last_success", "last_error_kind", "last_error",
            "consecutive_failures", "failing_since", "paused_reason")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM sources"
# What `update` may change; the rest is the crawler's to record.
_EDITABLE = frozenset({"title", "lang", "interval_seconds", "enabled"})


def _source(row: tuple[Any, ...]) -> Source:
    values = dict(zip(_COLUMNS, row, strict=True))
    values["enabled"] = bool(values["enabled"])
    return Source(**values)


class Sources:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, url: str, *, interval_seconds: int, title: str | None = None, lang: str | None = None,
            enabled: bool = True) -> Source:
        """Add a source (or update the settings of the one with this URL) and return it."""
        self.conn.execute(
            """INSERT INTO sources (url, title, lang, interval_seconds, enabled, added) VALUES (?,?,?,?,?,?)
               ON CONFLICT(url) DO UPDATE SET title = coalesce(excluded.title, title),
                   lang = coalesce(excluded.lang, lang), interval_seconds = excluded.interval_seconds,
                   poll_interval = CASE WHEN excluded.interval_seconds = interval_seconds
                                        THEN poll_interval END,
                   enabled = excluded.enabled""",
            (url, title, lang, interval_seconds, int(enabled), utcnow()))
        return self._must(url)

    def update(self, source_id: int, **fields: Any) -> Source:
        """Change the given settings of a source (title, lang, interval_seconds, enabled); keep the rest."""
        changes = {k: v for k, v in fields.items() if v is not None}
        if not changes.keys() <= _EDITABLE:
            raise ValueError(f"cannot update {sorted(changes.keys() - _EDITABLE)} of a source")
        if changes:
            assignments = ", ".join(f"{name} = ?" for name in changes)
            if "interval_seconds" in changes:  # a new configured interval restarts the adaptive one
                assignments += ", poll_interval = NULL"
            self.conn.execute(f"UPDATE sources SET {assignments} WHERE id = ?", (*changes.values(), source_id))
        return self._must(source_id)

    def _must(self, id_or_url: int | str) -> Source:
        source = self.get(id_or_url)
        if source is None:
            raise LookupError(f"source {id_or_url!r} vanished while it was written")
        return source

    def get(self, id_or_url: int | str) -> Source | None:
        """A source by id (a number, or a string of digits) or by URL."""
        column = "id" if isinstance(id_or_url, int) or str(id_or_url).isdigit() else "url"
        if column == "id" and not _fits_integer(int(id_or_url)):
            return None
        row = self.conn.one(f"{_SELECT} WHERE {column} = ?", (id_or_url,))
        return _source(row) if row else None

    def all(self, *, enabled_only: bool = False) -> list[Source]:
        where = " WHERE enabled = 1" if enabled_only else ""
        return [_source(row) for row in self.conn.all(f"{_SELECT}{where} ORDER BY id")]

    def remove(self, id_or_url: int | str) -> bool:
        source = self.get(id_or_url)
        if source is None:
            return False
        self.conn.execute("DELETE FROM sources WHERE id = ?", (source.id,))
        return True

    def record_run(self, source_id: int, *, kind: str | None, next_due: float,
                   error_kind: str | None = None, error: str | None = None,
                   poll_interval: int | None = None) -> None:
        """How a run went and when the next is due; `poll_interval` (if given) becomes the current interval."""
        now = utcnow()
        self.conn.execute(
            """UPDATE sources SET kind = coalesce(?, kind), next_due = ?, last_run = ?,
                   last_success = CASE WHEN ? IS NULL THEN ? ELSE last_success END,
                   last_error_kind = ?, last_error = ?, poll_interval = coalesce(?, poll_interval)
               WHERE id = ?""",
            (kind, next_due, now, error_kind, now, error_kind, error, poll_interval, source_id))

    # -- fetch state (validators and body hashes, per URL)

    def fetch_state(self, url: str) -> FetchState | None:
        row = self.conn.one(
            "SELECT etag, last_modified, body_sha256, status, fetched_at FROM fetch_state WHERE url = ?", (url,))
        return FetchState(*row) if row else None

    def save_fetch_state(self, url: str, *, etag: str | None, last_modified: str | None,
                         body_sha256: str | None, status: int) -> None:
        self.conn.execute(
            """INSERT INTO fetch_state (url, etag, last_modified, body_sha256, status, fetched_at)
               VALUES (?,?,?,?,?,?) ON CONFLICT(url) DO UPDATE SET etag = excluded.etag,
                   last_modified = excluded.last_modified,
                   body_sha256 = coalesce(excluded.body_sha256, body_sha256),
                   status = excluded.status, fetched_at = excluded.fetched_at""",
            (url, etag, last_modified, body_sha256, status, utcnow()))


def _fits_integer(value: int) -> bool:
    """SQLite integers are 64-bit signed; a larger id names nothing (and would overflow)."""
    return -(2**63) <= value < 2**63
