"""Sources and fetch state: `sources` (what the crawler polls) and `fetch_state` (per URL validators)."""

from __future__ import annotations

from typing import Any

from storage.clock import iso_utc, utcnow
from storage.connection import Connection
from storage.model import FetchState, FrontierEntry, FrontierState, Source, SourceLease

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
        """Every source, or (`enabled_only`) those the crawler polls: enabled and not paused."""
        where = " WHERE enabled = 1 AND paused_reason IS NULL" if enabled_only else ""
        return [_source(row) for row in self.conn.all(f"{_SELECT}{where} ORDER BY id")]

    def remove(self, id_or_url: int | str) -> bool:
        source = self.get(id_or_url)
        if source is None:
            return False
        self.conn.execute("DELETE FROM sources WHERE id = ?", (source.id,))
        return True

    def record_run(self, source_id: int, *, kind: str | None, next_due: float,
                   error_kind: str | None = None, error: str | None = None,
                   poll_interval: int | None = None, title: str | None = None, at: float | None = None) -> None:
        """How a run went and when the next is due; `poll_interval` (if given) becomes the current
        interval; `title` (the feed's own) names a source that has no name yet. A failed run adds
        to the source's consecutive failures (and starts `failing_since`); a good one clears them.
        `at`: when the run ended (epoch seconds; default now), by the crawler's clock."""
        now = utcnow() if at is None else iso_utc(at)
        self.conn.execute(
            """UPDATE sources SET kind = coalesce(?, kind), next_due = ?, last_run = ?,
                   last_success = CASE WHEN ? IS NULL THEN ? ELSE last_success END,
                   last_error_kind = ?, last_error = ?, poll_interval = coalesce(?, poll_interval),
                   title = coalesce(title, ?),
                   consecutive_failures = CASE WHEN ? IS NULL THEN 0 ELSE consecutive_failures + 1 END,
                   failing_since = CASE WHEN ? IS NULL THEN NULL ELSE coalesce(failing_since, ?) END
               WHERE id = ?""",
            (kind, next_due, now, error_kind, now, error_kind, error, poll_interval, title, error_kind, error_kind,
             now, source_id))

    def pause(self, source_id: int, reason: str) -> None:
        """Stop polling a source, saying why (`sources resume` starts it again)."""
        self.conn.execute("UPDATE sources SET paused_reason = ? WHERE id = ?", (reason, source_id))

    def resume(self, source_id: int) -> None:
        """Poll a paused source again, from now, with its failures forgotten."""
        self.conn.execute("UPDATE sources SET paused_reason = NULL, consecutive_failures = 0, failing_since = NULL, "
                          "next_due = NULL WHERE id = ?", (source_id,))

    # -- leases (several workers, one set of sources)

    def lease_due(self, worker: str, now: float, limit: int, lease_seconds: float) -> list[Source]:
        """Up to `limit` sources due at `now` (enabled, not paused) that no worker holds, longest
        overdue first, now held by `worker` until `now + lease_seconds`. The write lock (BEGIN
        IMMEDIATE) makes the choice and the marking one step, so two workers get different sources."""
        outer = self.conn.raw.in_transaction
        if not outer:
            self.conn.execute("BEGIN IMMEDIATE")
        try:
            rows = self.conn.all(
                f"{_SELECT} WHERE enabled = 1 AND paused_reason IS NULL AND (next_due IS NULL OR next_due <= ?) "
                "AND (leased_until IS NULL OR leased_until <= ?) ORDER BY coalesce(next_due, -1), id LIMIT ?",
                (now, now, limit))
            self.conn.executemany("UPDATE sources SET leased_until = ?, leased_by = ? WHERE id = ?",
                                  [(now + lease_seconds, worker, row[0]) for row in rows])
        except BaseException:
            if not outer:
                self.conn.rollback()
            raise
        if not outer:
            self.conn.execute("COMMIT")
        return [_source(row) for row in rows]

    def lease(self, source_id: int, worker: str, now: float, lease_seconds: float, *,
              take_from: str | None = None, due_only: bool = True) -> Source | None:
        """Take one source for `worker` until `now + lease_seconds` if it is due at `now` (enabled,
        not paused) and no other worker holds it; the source, or None (not due: another worker
        has run it meanwhile; or held). `take_from`: a worker known to be dead (its process is
        gone), whose lease is taken over before it runs out. `due_only` False: due or not (a
        `crawl` now). One statement, so two workers cannot both take it."""
        cursor = self.conn.execute(
            "UPDATE sources SET leased_until = ?, leased_by = ? WHERE id = ? AND enabled = 1 AND paused_reason IS NULL "
            "AND (? = 0 OR next_due IS NULL OR next_due <= ?) "
            "AND (leased_until IS NULL OR leased_until <= ? OR leased_by = ? OR leased_by = ?)",
            (now + lease_seconds, worker, source_id, int(due_only), now, now, worker, take_from))
        return self.get(source_id) if cursor.rowcount == 1 else None

    def renew(self, source_id: int, worker: str, now: float, lease_seconds: float) -> bool:
        """Extend `worker`'s lease of a source it is running to `now + lease_seconds` (whether or
        not the source is still due: its run may have recorded the next due time already);
        False if the lease is no longer `worker`'s (it ran out and another worker took it)."""
        cursor = self.conn.execute("UPDATE sources SET leased_until = ? WHERE id = ? AND leased_by = ?",
                                   (now + lease_seconds, source_id, worker))
        return cursor.rowcount == 1

    def lease_holder(self, source_id: int, now: float) -> SourceLease | None:
        """Who holds the source at `now` (a lease that ran out is no one's), or None."""
        row = self.conn.one("SELECT leased_by, leased_until FROM sources WHERE id = ? AND leased_until > ?",
                            (source_id, now))
        return SourceLease(str(row[0]), float(row[1])) if row and row[0] is not None else None

    def release(self, source_id: int, worker: str) -> None:
        """Give back a lease `worker` holds (after `record_run`): the source is due again at its
        `next_due`, to any worker. A lease that expired and was taken over is not touched."""
        self.conn.execute("UPDATE sources SET leased_until = NULL, leased_by = NULL WHERE id = ? AND leased_by = ?",
                          (source_id, worker))

    # -- politeness shared by every worker (one row per host)

    def reserve_host(self, host: str, earliest: float, spacing: float) -> float:
        """Reserve the first request start to `host` at or after `earliest` (epoch seconds) that is
        at least `spacing` seconds after every start reserved before, by any worker; return it.
        One statement (SQLite's write lock), so two workers never reserve the same moment."""
        rows = self.conn.all(
            "INSERT INTO host_politeness (host, next_start) VALUES (?, ?) ON CONFLICT(host) DO UPDATE SET "
            "next_start = max(next_start + ?, excluded.next_start) RETURNING next_start",
            (host, earliest + spacing, spacing))
        return float(rows[0][0]) - spacing

    # -- the frontier (articles the crawler remembers between runs)

    def frontier_entry(self, url: str) -> FrontierEntry | None:
        row = self.conn.one(f"SELECT {_FRONTIER_COLUMNS} FROM frontier WHERE url = ?", (url,))
        return _frontier(row) if row else None

    def frontier_due(self, source_id: int, now: float, limit: int) -> list[FrontierEntry]:
        """The source's articles due for a try or a revisit at `now`, longest overdue first."""
        rows = self.conn.all(
            f"SELECT {_FRONTIER_COLUMNS} FROM frontier WHERE source_id = ? AND next_at <= ? "
            "AND state IN ('retry', 'revisit') ORDER BY next_at LIMIT ?", (source_id, now, limit))
        return [_frontier(row) for row in rows]

    def frontier_counts(self, source_id: int) -> dict[str, int]:
        """How many of a source's articles are in each frontier state."""
        rows = self.conn.all("SELECT state, count(*) FROM frontier WHERE source_id = ? GROUP BY state", (source_id,))
        return {str(state): int(n) for state, n in rows}

    def save_frontier(self, entry: FrontierEntry) -> None:
        self.conn.execute(
            f"INSERT INTO frontier ({_FRONTIER_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(url) DO UPDATE SET "
            "source_id = excluded.source_id, state = excluded.state, attempts = excluded.attempts, "
            "next_at = excluded.next_at, listed_as = excluded.listed_as, "
            "last_error_kind = excluded.last_error_kind, last_error = excluded.last_error",
            (entry.url, entry.source_id, entry.state.value, entry.attempts, entry.next_at, entry.first_seen,
             entry.listed_as, entry.last_error_kind, entry.last_error))

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


_FRONTIER_COLUMNS = ("url, source_id, state, attempts, next_at, first_seen, listed_as, last_error_kind, "
                     "last_error")


def _frontier(row: tuple[Any, ...]) -> FrontierEntry:
    return FrontierEntry(str(row[0]), row[1], FrontierState(row[2]), int(row[3]), row[4], float(row[5]), row[6],
                         row[7], row[8])


def _fits_integer(value: int) -> bool:
    """SQLite integers are 64-bit signed; a larger id names nothing (and would overflow)."""
    return -(2**63) <= value < 2**63
