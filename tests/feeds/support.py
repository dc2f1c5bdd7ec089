"""Test helpers: databases with a known change log, the real pipeline, the feed server on a real socket."""

from __future__ import annotations

import json
from pathlib import Path

from feeds.server import create_app
from feeds.settings import FeedSettings
from ingest.matching import change_kind
from ingest.pipeline import Pipeline
from ingest.readers import RawDocument, read_inputs
from newsdedup.config import Settings
from storage import NewDocument, Store
from storage.model import GroupingEvidence
from tests.site.server import AppServer


def FeedConfig(**flat: object) -> FeedSettings:  # noqa: N802 (reads like the settings it makes)
    """The feed settings for flat setting names (feed_page_size=5), as a TOML file would give them.

    The tests write and read at once, so the change-log head is read on every request
    (head_check_interval 0) unless a test sets it: tests/feeds/test_hot.py checks the interval.
    """
    return Settings(**{"head_check_interval": 0, **flat}).feeds


class Corpus:
    """Writes documents through the real Store, so every change-log row is one the pipeline could write."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.store = Store(str(path))
        self._hash = 0

    def close(self) -> None:
        self.store.close()

    def _new(self, key: str, title: str, text: str, lang: str, url: str | None, source_id: int | None,
             authors: list[str] | None = None, published: str | None = None,
             grouping: GroupingEvidence | None = None) -> NewDocument:
        self._hash += 1
        return NewDocument(key=key, title=title, text=text, lang=lang, url=url, published=published, updated=None,
                           authors=tuple(authors or ()), description=None, image=None, content_hash=f"h{self._hash}",
                           source_id=source_id, window_time=0.0, lexical=b"\0" * 16, anchor_minhash=b"\0" * 16,
                           anchors=(), grouping=grouping)

    def add(self, key: str, *, story: str | None = None, title: str = "Title", text: str = "Text.",
            lang: str = "en", url: str | None = None, source_id: int | None = None,
            authors: list[str] | None = None, published: str | None = None,
            grouping: GroupingEvidence | None = None) -> str:
        """Add a document to `story` (a new story when None), with why it joined; returns its story id."""
        new = self._new(key, title, text, lang, url, source_id, authors, published, grouping)
        with self.store.transaction():
            languages = self.store.documents.story_languages(story) if story else set()
            story_id = story or f"s-{key}"
            self.store.documents.add(new, story_id, change_kind(story, lang, languages))
        return story_id

    def change(self, key: str, *, title: str, text: str, url: str | None = None, lang: str | None = None) -> None:
        """A new text for an existing document (an edit at the source), its URL and language kept unless given."""
        found = self.store.documents.find(key)
        assert found is not None
        row = self.store.conn.one("SELECT url, lang, source_id FROM documents WHERE id = ?", (found.id,))
        new = self._new(key, title, text, lang or row[1], url or row[0], row[2])
        with self.store.transaction():
            self.store.documents.change(found.id, found.story_id, new, found.revision + 1, ())

    def changes(self) -> list[tuple[int, str, int, str]]:
        rows = self.store.conn.all("SELECT seq, story_id, document_id, kind FROM changes ORDER BY seq")
        return [tuple(r) for r in rows]


def replay(db: Path, *paths: Path) -> None:
    """What `newsdedup replay PATH... --db DB` does, in-process: the real pipeline."""
    store = Store(str(db))
    try:
        pipeline = Pipeline(store, Settings(db=str(db)).matching)
        for item in read_inputs([str(p) for p in paths], max_bytes=10_000_000):
            assert isinstance(item, RawDocument), item
            pipeline.ingest(item)
    finally:
        store.close()


def write_jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


class FeedServer(AppServer):
    """The feed server (feeds.server.create_app) for the database at `db_path`."""

    def __init__(self, db_path: Path, settings: FeedSettings | None = None) -> None:
        super().__init__(create_app(str(db_path), settings or FeedConfig()))
