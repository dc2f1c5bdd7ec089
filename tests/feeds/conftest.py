"""Fixtures for the feed tests (helpers are in support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.feeds.support import Corpus


@pytest.fixture
def corpus(tmp_path: Path) -> Iterator[Corpus]:
    c = Corpus(tmp_path / "feeds.db")
    yield c
    c.close()
