"""The `ingest_errors` table on PostgreSQL: what could not be ingested, and why."""

from __future__ import annotations

from storage.clock import utcnow
from storage.postgres.connection import PgConnection


class PgIngestErrors:
    def __init__(self, conn: PgConnection) -> None:
        self.conn = conn

    def record(self, origin: str, kind: str, stage: str, message: str, source_id: int | None = None) -> None:
        self.conn.execute(
            "INSERT INTO ingest_errors (source_id, origin, kind, stage, message, at) VALUES (%s,%s,%s,%s,%s,%s)",
            (source_id, origin, kind, stage, message, utcnow()))
