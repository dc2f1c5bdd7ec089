"""Sources, the frontier and fetch state on PostgreSQL: the queries of `storage.sources`, and leases.

A lease is how several workers share the sources: `lease_due` takes due sources no other
worker holds (`FOR UPDATE SKIP LOCKED`: two workers asking at once get different ones, neither
waits) and marks them `leased_until` a time; a worker that dies stops renewing, and its sources
are due to the others when the lease runs out.
"""

from __future__ import annotations

from typing import Any

from storage.clock import iso_utc, utcnow
from storage.model import FetchState, FrontierEntry, Source, SourceLease
from storage.postgres.connection import PgConnection
from storage.sources import _COLUMNS, _EDITABLE, _FRONTIER_COLUMNS, _fits_integer, _frontier, _source

_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM sources"
_PLACEHOLDERS_FRONTIER = ", ".join(["%s"] * len(_FRONTIER_COLUMNS.split(",")))


class PgSources:
    def __init__(self, conn: PgConnection) -> None:
        self.conn = conn

    def add(self, url: str, *, interval_seconds: int, title: str | None = None, lang: str | None = None,
            enabled: bool = True) -> Source:
        """Add a source (or update the settings of the one with this URL) and return it."""
        self.conn.execute(
            """INSERT INTO sources (url, title, lang, interval_seconds, enabled, added)
               VALUES (%s, %s, %s, %s, %s, %s)
               ON CONFLICT (url) DO UPDATE SET title = coalesce(excluded.title, sources.title),
                   lang = coalesce(excluded.lang, sources.lang), interval_seconds = excluded.interval_seconds,
                   poll_interval = CASE WHEN excluded.interval_seconds = sources.interval_seconds
                                        THEN sources.poll_interval END,
                   enabled = excluded.enabled""",
            (url, title, lang, interval_seconds, int(enabled), utcnow()))
        return self._must(url)

    def update(self, source_id: int, **fields: Any) -> Source:
        """Change the given settings of a source (title, lang, interval_seconds, enabled); keep the rest."""
        changes = {k: (int(v) if isinstance(v, bool) else v) for k, v in fields.items() if v is not None}
        if not changes.keys() <= _EDITABLE:
            raise ValueError(f"cannot update {sorted(changes.keys() - _EDITABLE)} of a source")
        if changes:
            assignments = ", ".join(f"{name} = %s" for name in changes)
            if "interval_seconds" in changes:  # a new configured interval restarts the adaptive one
                assignments += ", poll_interval = NULL"
            self.conn.execute(f"UPDATE sources SET {assignments} WHERE id = %s", (*changes.values(), source_id))
        return self._must(source_id)

    def _must(self, id_or_url: int | str) -> Source:
        source = self.get(id_or_url)
        if source is None:
            raise LookupError(f"source {id_or_url!r} vanished while it was written")
        return source

    def get(self, id_or_url: int | str) -> Source | None:
        """A source by id (a number, or a string of digits) or by URL."""
        if isinstance(id_or_url, int) or str(id_or_url).isdigit():
            if not _fits_integer(int(id_or_url)):
                return None
            row = self.conn.one(f"{_SELECT} WHERE id = %s", (int(id_or_url),))
        else:
            row = self.conn.one(f"{_SELECT} WHERE url = %s", (id_or_url,))
        return _source(row) if row else None

    def all(self, *, enabled_only: bool = False) -> list[Source]:
        """Every source, or (`enabled_only`) those the crawler polls: enabled and not paused."""
        where = " WHERE enabled = 1 AND paused_reason IS NULL" if enabled_only else ""
        return [_source(row) for row in self.conn.all(f"{_SELECT}{where} ORDER BY id")]

    def remove(self, id_or_url: int | str) -> bool:
        source = self.get(id_or_url)
        if source is None:
            return False
        self.conn.execute("DELETE FROM sources WHERE id = %s", (source.id,))
        return True

    def record_run(self, source_id: int, *, kind: str | None, next_due: float,
                   error_kind: str | None = None, error: str | None = None,
                   poll_interval: int | None = None, title: str | None = None, at: float | None = None) -> None:
        """How a run went and when the next is due (see `storage.sources.Sources.record_run`)."""
        now = utcnow() if at is None else iso_utc(at)
        failed = error_kind is not None
        self.conn.execute(
            """UPDATE sources SET kind = coalesce(%s, kind), next_due = %s, last_run = %s,
                   last_success = CASE WHEN %s THEN last_success ELSE %s END,
                   last_error_kind = %s, last_error = %s, poll_interval = coalesce(%s, poll_interval),
                   title = coalesce(title, %s),
                   consecutive_failures = CASE WHEN %s THEN consecutive_failures + 1 ELSE 0 END,
                   failing_since = CASE WHEN %s THEN coalesce(failing_since, %s) END
               WHERE id = %s""",
            (kind, next_due, now, failed, now, error_kind, error, poll_interval, title, failed, failed, now,
             source_id))

    def pause(self, source_id: int, reason: str) -> None:
        """Stop polling a source, saying why (`sources resume` starts it again)."""
        self.conn.execute("UPDATE sources SET paused_reason = %s WHERE id = %s", (reason, source_id))

    def resume(self, source_id: int) -> None:
        """Poll a paused source again, from now, with its failures forgotten."""
        self.conn.execute("UPDATE sources SET paused_reason = NULL, consecutive_failures = 0, failing_since = NULL, "
                          "next_due = NULL WHERE id = %s", (source_id,))

    # -- leases (several workers, one set of sources)

    def lease_due(self, worker: str, now: float, limit: int, lease_seconds: float) -> list[Source]:
        """Up to `limit` sources due at `now` (enabled, not paused) that no worker holds, longest
        overdue first, now held by `worker` until `now + lease_seconds`. Sources another worker is
        taking at this moment are skipped, not waited for."""
        with self.conn.transaction():
            rows = self.conn.all(
                "SELECT id FROM sources WHERE enabled = 1 AND paused_reason IS NULL "
                "AND (next_due IS NULL OR next_due <= %s) AND (leased_until IS NULL OR leased_until <= %s) "
                "ORDER BY next_due NULLS FIRST, id LIMIT %s FOR UPDATE SKIP LOCKED", (now, now, limit))
            ids = [int(row[0]) for row in rows]
            if not ids:
                return []
            self.conn.execute("UPDATE sources SET leased_until = %s, leased_by = %s WHERE id = ANY(%s)",
                              (now + lease_seconds, worker, ids))
            leased = self.conn.all(f"{_SELECT} WHERE id = ANY(%s) ORDER BY next_due NULLS FIRST, id", (ids,))
        return [_source(row) for row in leased]

    def lease(self, source_id: int, worker: str, now: float, lease_seconds: float, *,
              take_from: str | None = None, due_only: bool = True) -> Source | None:
        """Take one source for `worker` until `now + lease_seconds` if it is due at `now` (enabled,
        not paused) and no other worker holds it; the source, or None (not due: another worker
        has run it meanwhile; or held). `take_from`: a worker known to be dead, whose lease is
        taken over before it runs out. `due_only` False: due or not (a `crawl` now). One
        statement: PostgreSQL re-checks the conditions on a row another worker was changing,
        so two workers cannot both take it."""
        row = self.conn.one(
            f"UPDATE sources SET leased_until = %s, leased_by = %s WHERE id = %s AND enabled = 1 "
            "AND paused_reason IS NULL AND (NOT %s OR next_due IS NULL OR next_due <= %s) "
            "AND (leased_until IS NULL OR leased_until <= %s OR leased_by = %s OR leased_by = %s) "
            f"RETURNING {', '.join(_COLUMNS)}",
            (now + lease_seconds, worker, source_id, due_only, now, now, worker, take_from))
        return _source(row) if row else None

    def renew(self, source_id: int, worker: str, now: float, lease_seconds: float) -> bool:
        """Extend `worker`'s lease of a source it is running to `now + lease_seconds`, due or not;
        False if the lease is no longer `worker`'s (it ran out and another worker took it)."""
        cursor = self.conn.execute("UPDATE sources SET leased_until = %s WHERE id = %s AND leased_by = %s",
                                   (now + lease_seconds, source_id, worker))
        return cursor.rowcount == 1

    def lease_holder(self, source_id: int, now: float) -> SourceLease | None:
        """Who holds the source at `now` (a lease that ran out is no one's), or None."""
        row = self.conn.one("SELECT leased_by, leased_until FROM sources WHERE id = %s AND leased_until > %s",
                            (source_id, now))
        return SourceLease(str(row[0]), float(row[1])) if row and row[0] is not None else None

    def release(self, source_id: int, worker: str) -> None:
        """Give back a lease `worker` holds (after `record_run`): the source is due again at its
        `next_due`, to any worker. A lease that expired and was taken over is not touched."""
        self.conn.execute("UPDATE sources SET leased_until = NULL, leased_by = NULL WHERE id = %s AND leased_by = %s",
                          (source_id, worker))

    # -- politeness shared by every worker (one row per host)

    def reserve_host(self, host: str, earliest: float, spacing: float) -> float:
        """Reserve the first request start to `host` at or after `earliest` (epoch seconds) that is
        at least `spacing` seconds after every start reserved before, by any worker; return it.
        One statement: ON CONFLICT locks the host's row, so two workers never reserve one moment."""
        row = self.conn.one(
            "INSERT INTO host_politeness (host, next_start) VALUES (%s, %s) ON CONFLICT (host) DO UPDATE SET "
            "next_start = GREATEST(host_politeness.next_start + %s, excluded.next_start) RETURNING next_start",
            (host, earliest + spacing, spacing))
        return float(row[0]) - spacing

    # -- the frontier (articles the crawler remembers between runs)

    def frontier_entry(self, url: str) -> FrontierEntry | None:
        row = self.conn.one(f"SELECT {_FRONTIER_COLUMNS} FROM frontier WHERE url = %s", (url,))
        return _frontier(row) if row else None

    def frontier_due(self, source_id: int, now: float, limit: int) -> list[FrontierEntry]:
        """The source's articles due for a try or a revisit at `now`, longest overdue first."""
        rows = self.conn.all(
            f"SELECT {_FRONTIER_COLUMNS} FROM frontier WHERE source_id = %s AND next_at <= %s "
            "AND state IN ('retry', 'revisit') ORDER BY next_at LIMIT %s", (source_id, now, limit))
        return [_frontier(row) for row in rows]

    def frontier_counts(self, source_id: int) -> dict[str, int]:
        """How many of a source's articles are in each frontier state."""
        rows = self.conn.all("SELECT state, count(*) FROM frontier WHERE source_id = %s GROUP BY state",
                             (source_id,))
        return {str(state): int(n) for state, n in rows}

    def save_frontier(self, entry: FrontierEntry) -> None:
        self.conn.execute(
            f"INSERT INTO frontier ({_FRONTIER_COLUMNS}) VALUES ({_PLACEHOLDERS_FRONTIER}) ON CONFLICT (url) "
            "DO UPDATE SET source_id = excluded.source_id, state = excluded.state, attempts = excluded.attempts, "
            "next_at = excluded.next_at, listed_as = excluded.listed_as, "
            "last_error_kind = excluded.last_error_kind, last_error = excluded.last_error",
            (entry.url, entry.source_id, entry.state.value, entry.attempts, entry.next_at, entry.first_seen,
             entry.listed_as, entry.last_error_kind, entry.last_error))

    # -- fetch state (validators and body hashes, per URL)

    def fetch_state(self, url: str) -> FetchState | None:
        row = self.conn.one(
            "SELECT etag, last_modified, body_sha256, status, fetched_at FROM fetch_state WHERE url = %s", (url,))
        return FetchState(*row) if row else None

    def save_fetch_state(self, url: str, *, etag: str | None, last_modified: str | None,
                         body_sha256: str | None, status: int) -> None:
        self.conn.execute(
            """INSERT INTO fetch_state (url, etag, last_modified, body_sha256, status, fetched_at)
               VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (url) DO UPDATE SET etag = excluded.etag,
                   last_modified = excluded.last_modified,
                   body_sha256 = coalesce(excluded.body_sha256, fetch_state.body_sha256),
                   status = excluded.status, fetched_at = excluded.fetched_at""",
            (url, etag, last_modified, body_sha256, status, utcnow()))
