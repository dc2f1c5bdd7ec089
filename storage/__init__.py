"""newsdedup storage: the schema, its migrations and every query. Nothing else writes SQL.

Callers open a writer with `open_database` (an SQLite `Store`, or a `PostgresDatabase` for
several workers) and use the front (`Store` for writers, `FeedReader` for the feeds), the records of
`storage.model`, and the errors of `storage.errors`; no module outside this package imports
`sqlite3` or `sqlite_utils`.
"""

from storage.errors import (
    AlreadyStored,
    SchemaMismatch,
    StorageCorrupt,
    StorageError,
    StorageFull,
    StorageLocked,
    StorageReadOnly,
    StorageUnavailable,
)
from storage.factory import open_database
from storage.model import (
    ChangeKind,
    FetchState,
    FrontierEntry,
    FrontierState,
    NewDocument,
    Source,
    StoredDocument,
    StoredSignature,
)
from storage.store import Store

__all__ = [
    "AlreadyStored", "ChangeKind", "FetchState", "FrontierEntry", "FrontierState", "NewDocument", "SchemaMismatch",
    "Source", "StorageCorrupt", "StorageError", "StorageFull", "StorageLocked", "StorageReadOnly",
    "StorageUnavailable", "Store", "StoredDocument", "StoredSignature", "open_database",
]
