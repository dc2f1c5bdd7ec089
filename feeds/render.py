"""Each HTTP resource rendered once per state of the change log, with its validators.

A `Rendered` holds the bytes (plain and gzipped: compressing once per render, not once per
request, is what keeps full responses cheap), a strong ETag derived from the bytes, the
Last-Modified time and the change-log head it was rendered at. The server caches them and
re-renders only when the head moves.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from datetime import datetime

from feeds import views
from feeds.atom import render_atom
from feeds.html import document_page, home_page
from feeds.jsonfeed import render_json_feed
from feeds.settings import FeedSettings
from storage.reader import FeedReader, ThreadReaders

ATOM = "application/atom+xml; charset=utf-8"
JSON_FEED = "application/feed+json; charset=utf-8"
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Rendered:
    body: bytes
    gzipped: bytes
    media_type: str
    etag: str                    # hex digest, without quotes or encoding suffix
    last_modified: int | None    # seconds since the epoch
    head: int                    # change-log head it was rendered at
    immutable: bool = False      # true for full archive pages: valid whatever the head

    @classmethod
    def of(cls, body: bytes, media_type: str, updated: str | None, head: int, immutable: bool = False) -> Rendered:
        return cls(body=body, gzipped=gzip.compress(body, compresslevel=6, mtime=0), media_type=media_type,
                   etag=hashlib.blake2b(body, digest_size=12).hexdigest(), last_modified=_epoch(updated), head=head,
                   immutable=immutable)


def _epoch(value: str | None) -> int | None:
    if not value or value == views.EPOCH:
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def live_atom(reader: FeedReader, head: int, fs: FeedSettings, base_url: str) -> Rendered:
    feed = views.live_feed(reader, head, fs.page_size, title=fs.title)
    return Rendered.of(render_atom(feed, base_url=base_url, hub=fs.websub_hub or None), ATOM, feed.updated, head)


def live_json(reader: FeedReader, head: int, fs: FeedSettings, base_url: str) -> Rendered:
    feed = views.live_feed(reader, head, fs.page_size, title=fs.title, path="/feed.json")
    body = render_json_feed(feed, base_url=base_url, hub=fs.websub_hub or None)
    return Rendered.of(body, JSON_FEED, feed.updated, head)


def archive_atom(reader: FeedReader, head: int, fs: FeedSettings, base_url: str, page: int) -> Rendered | None:
    feed = views.archive_page(reader, page, head, fs.page_size, title=fs.title)
    if feed is None:
        return None
    body = render_atom(feed, base_url=base_url, hub=fs.websub_hub or None)
    return Rendered.of(body, ATOM, feed.updated, head, immutable=True)


def language_atom(reader: FeedReader, head: int, fs: FeedSettings, base_url: str, lang: str,
                  limit: int) -> Rendered:
    feed = views.language_feed(reader, head, lang, limit, title=fs.title)
    return Rendered.of(render_atom(feed, base_url=base_url, hub=fs.websub_hub or None), ATOM, feed.updated, head)


def source_atom(reader: FeedReader, head: int, fs: FeedSettings, base_url: str, source_id: int,
                limit: int) -> Rendered | None:
    feed = views.source_feed(reader, head, source_id, limit, title=fs.title)
    if feed is None:
        return None
    return Rendered.of(render_atom(feed, base_url=base_url, hub=fs.websub_hub or None), ATOM, feed.updated, head)


def home(reader: FeedReader, head: int, fs: FeedSettings, limit: int) -> Rendered:
    entries = views.latest_stories(reader, head, limit)
    body = home_page(entries, reader.languages(), title=fs.title, head_seq=head,
                     archive_pages=views.full_pages(head, fs.page_size))
    return Rendered.of(body, HTML, max((e.updated for e in entries), default=None), head)


def document(reader: FeedReader, head: int, document_id: int) -> Rendered | None:
    found = views.stored_document(reader, document_id)
    if found is None:
        return None
    version, story_id = found
    return Rendered.of(document_page(version, story_id=story_id), HTML, None, head)


def live_feed_atom(db_path: str, fs: FeedSettings) -> bytes:
    """The live Atom feed as /feed.atom serves it, for `newsdedup feed`.

    Links use `base_url`, else http://host:port.
    """
    readers = ThreadReaders(db_path)
    try:
        reader = readers.get()
        with reader.snapshot():
            return live_atom(reader, reader.head_seq(), fs, fs.public_base_url()).body
    finally:
        readers.close()
