"""pytest fixtures over the tests' PostgreSQL server (imported by the conftests that need them).

`postgres_server` starts one server per session (shared by every directory that imports it);
`postgres_url` is a new empty database per test, dropped after it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.postgres import server as pg

_shared: pg.Server | None = None
_users = 0


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[pg.Server]:
    global _shared, _users
    reason = pg.why_unavailable()
    if reason:
        pytest.skip(reason)
    if _shared is None:
        _shared = pg.start()
    _users += 1
    try:
        yield _shared
    finally:
        _users -= 1
        if _users == 0:
            _shared.stop()
            _shared = None


@pytest.fixture
def postgres_url(postgres_server: pg.Server) -> Iterator[str]:
    url = postgres_server.create_database()
    try:
        yield url
    finally:
        postgres_server.drop_database(url)
