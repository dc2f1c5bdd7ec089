"""The `ingest_errors` table: what could not be ingested, and why."""

from __future__ import annotations

from storage.clock import utcnow
from storage.connection import Connection


class IngestErrors:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def record(self, origin: str, kind: str, stage: str, message: str, source_id: int | None = None) -> None:
        self.conn.execute(
            "INSERT INTO ingest_errors (source_id, origin, kind, stage, message, at) VALUES (?,?,?,?,?,?)",
            (source_id, origin, kind, stage, message, utcnow()))
