"""The storage section: where the database is."""

from __future__ import annotations

from dataclasses import dataclass

from storage.sections import Section, setting


@dataclass(frozen=True)
class StorageSettings(Section):
    NAME = "storage"

    db: str = setting("newsdedup.db", "the database: an SQLite file, or postgresql://USER@HOST:PORT/DB for the "
                                      "PostgreSQL backend (NEWSDEDUP_DB, --db)")
