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
from feeds.api import story_json, story_list_json
from feeds.atom import render_atom
from feeds.html import document_page, home_page, search_page, story_page
from feeds.jsonfeed import render_json_feed
from feeds.settings import FeedSettings
from storage.reader import FeedReader, ThreadReaders

ATOM = "application/atom+xml; charset=utf-8"
JSON_FEED = "application/feed+json; charset=utf-8"
HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"


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


def home(reader: FeedReader, head: int, fs: FeedSettings, limit: int, page: int = 1, lang: str | None = None,
         source_id: int | None = None) -> Rendered:
    """Page `page` of the stories, `limit` to a page."""
    listing = views.story_list(reader, head, page, limit, lang=lang, source_id=source_id)
    body = home_page(listing, reader.languages(), reader.source_choices(), title=fs.title, head_seq=head,
                     archive_pages=views.full_pages(head, fs.page_size))
    return Rendered.of(body, HTML, max((e.updated for e in listing.entries), default=None), head)


def search(reader: FeedReader, head: int, query: str, page: int, per_page: int, lang: str | None) -> Rendered:
    listing = views.search_stories(reader, head, query, page, per_page, lang=lang)
    return Rendered.of(search_page(listing), HTML, None, head)


def story(reader: FeedReader, head: int, story_id: str) -> Rendered | None:
    detail = views.story_detail(reader, head, story_id)
    if detail is None:
        return None
    return Rendered.of(story_page(detail), HTML, detail.entry.updated, head)


def document(reader: FeedReader, head: int, document_id: int) -> Rendered | None:
    found = views.document_view(reader, head, document_id)
    if found is None:
        return None
    version, story_id, detail = found
    siblings = detail.entry.versions if detail else ()
    return Rendered.of(document_page(version, story_id=story_id, siblings=siblings), HTML, None, head)


def api_stories(reader: FeedReader, head: int, base_url: str, page: int, per_page: int, lang: str | None,
                source_id: int | None, query: str | None) -> Rendered:
    if query:
        listing = views.search_stories(reader, head, query, page, per_page, lang=lang)
    else:
        listing = views.story_list(reader, head, page, per_page, lang=lang, source_id=source_id)
    return Rendered.of(story_list_json(listing, base_url), JSON, None, head)


def api_story(reader: FeedReader, head: int, base_url: str, story_id: str) -> Rendered | None:
    detail = views.story_detail(reader, head, story_id)
    if detail is None:
        return None
    return Rendered.of(story_json(detail, base_url), JSON, detail.entry.updated, head)


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
