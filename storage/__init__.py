"""newsdedup storage: the SQLite schema and every query. Nothing else writes SQL."""

from storage.store import Store

__all__ = ["Store"]
