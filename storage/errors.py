"""What can go wrong in storage, named so that callers need not know the database engine.

Every error says, in one line, what happened to which database and what to do. Nothing
outside `storage/` catches a `sqlite3` exception: it catches one of these.
"""

from __future__ import annotations


class StorageError(Exception):
    """Base of every storage failure."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AlreadyStored(StorageError):
    """Another writer stored this key first: it is stored once, which is what we wanted."""


class StorageUnavailable(StorageError):
    """The database cannot be opened or reached."""


class StorageFull(StorageError):
    """The disk (or the database's size limit) is full: nothing of the write was kept."""


class StorageReadOnly(StorageError):
    """The database can be read but not written."""


class StorageLocked(StorageError):
    """Another process held the database's write lock for too long."""


class StorageCorrupt(StorageError):
    """The database file is damaged or is not a newsdedup database."""


class SchemaMismatch(StorageError):
    """The database was made by a newer newsdedup, or its schema is not one this code knows."""
