"""The store: WAL mode, atomic documents, a schema you can query yourself."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage.store import NewDocument, Store


def new_doc(key: str, content_hash: str = "h1", lang: str = "en") -> NewDocument:
    return NewDocument(key=key, title="Title", text="Text.", lang=lang, url=None, published=None, updated=None,
                       authors=[], description=None, image=None, content_hash=content_hash, source_id=None,
                       window_time=0.0, lexical=b"\0" * 16, anchor_minhash=b"\0" * 16, anchors=("eu", "2025"))


def test_database_uses_wal_and_has_the_documented_tables(db_path: Path) -> None:
    Store(str(db_path)).close()
    db = sqlite3.connect(db_path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"documents", "stories", "changes", "revisions", "signatures", "anchor_df", "ingest_errors"} <= tables


def test_a_document_its_story_and_its_change_commit_together(db_path: Path) -> None:
    store = Store(str(db_path))
    with store.transaction():
        doc_id, story_id, kind = store.add_document(new_doc("a"), None, "s-a")
    assert (story_id, kind) == ("s-a", "created")
    with store.transaction():
        assert store.add_document(new_doc("b", "h2", "vi"), "s-a", "s-b")[2] == "translation"
    with store.transaction():
        assert store.add_document(new_doc("c", "h3"), "s-a", "s-c")[2] == "version"
    with pytest.raises(RuntimeError), store.transaction():
        store.add_document(new_doc("d", "h4"), None, "s-d")
        raise RuntimeError("crash between the writes")
    assert store.counts() == {"documents": 3, "stories": 1, "changes": 3, "errors": 0}
    assert store.anchor_document_frequencies() == ({"eu": 3, "2025": 3}, 3)


def test_a_key_is_stored_once(db_path: Path) -> None:
    store = Store(str(db_path))
    with store.transaction():
        store.add_document(new_doc("a"), None, "s-a")
    with pytest.raises(sqlite3.IntegrityError), store.transaction():
        store.add_document(new_doc("a", "other"), None, "s-x")
    assert store.counts()["documents"] == 1
