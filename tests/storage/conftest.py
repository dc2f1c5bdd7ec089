"""`database`: each backend in turn (SQLite file, PostgreSQL database), for tests that hold for both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import open_database
from storage.factory import OpenDatabase
from tests.postgres.fixtures import postgres_server, postgres_url  # noqa: F401


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new empty database's setting: an SQLite file, or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "test.db")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def database(database_url: str) -> Iterator[OpenDatabase]:
    with open_database(database_url) as db:
        yield db
