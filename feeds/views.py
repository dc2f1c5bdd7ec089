"""The feeds as views over the change log: which stories a feed holds and how each one read then.

Every feed is built here as plain data (`Feed`, `Entry`, `Version`) and rendered by atom.py,
jsonfeed.py and html.py, so the formats cannot disagree about what a feed contains.

- The live feed holds the last full page of the change log and the open page after it,
  collapsed per story; its prev-archive link points at the page before. Following
  prev-archive from the live feed to page 1 therefore meets every change exactly once, and the
  live feed never shrinks to a handful of entries right after a page fills.
- Archive page n holds changes (n-1)*N+1 .. n*N (N = feed_page_size). A page exists once it is
  full; seq values are committed in order (SQLite has one writer), so a full page never gains
  a change. Stories on it are rendered as of its last change (titles and texts from
  `revisions`), so a later edit does not alter it.
- Per-language and per-source feeds hold the stories whose documents in that language or
  from that source changed last, newest first, each shown through its version in scope.

Text from the database passes through `xml_safe` here, once, so no renderer sees a character
XML forbids; links that are not http(s) are dropped here too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from feeds.xmltext import xml_safe
from storage.model import ChangeKind
from storage.reader import ChangeRow, DocumentRow, FeedReader, RevisionRow, SourceRow

TAG_AUTHORITY = "tag:newsdedup,2025"
EPOCH = "1970-01-01T00:00:00Z"
# What a version is to its story, by the change that added it.
ROLE = {ChangeKind.CREATED: "original", ChangeKind.VERSION: "version", ChangeKind.TRANSLATION: "translation"}
# Titles longer than this are cut (at a word, with an ellipsis) in feeds and pages; the stored
# title keeps every character, for matching. Real headlines stay far below it.
MAX_TITLE_CHARS = 300


def shorten(text: str, limit: int) -> str:
    """`text`, or its first words up to `limit` characters and an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:.-") + "…"


@dataclass(frozen=True)
class Change:
    seq: int
    kind: str
    document_id: int
    at: str


@dataclass(frozen=True)
class Version:
    document_id: int
    url: str | None               # the source's http(s) URL; None when there is none or it is unsafe
    title: str
    text: str
    lang: str
    published: str | None
    authors: tuple[str, ...]
    description: str | None
    source_id: int | None
    source_name: str | None
    source_url: str | None
    role: str                     # original / version / translation
    revision: int
    added_at: str


@dataclass(frozen=True)
class Entry:
    story_id: str
    main: Version                 # the version whose title and text the entry shows
    versions: tuple[Version, ...]
    published: str
    updated: str
    changes: tuple[Change, ...]   # the change-log rows this entry stands for in this feed

    @property
    def languages(self) -> list[str]:
        return sorted({v.lang for v in self.versions})


@dataclass(frozen=True)
class Feed:
    path: str                     # the path it is served at, e.g. /feed.atom
    feed_id: str
    title: str
    entries: tuple[Entry, ...]
    updated: str
    archive: bool = False
    page: int | None = None
    prev_archive: int | None = None
    next_archive: int | None = None
    language: str | None = None


def story_tag(story_id: str) -> str:
    """The entry id of a story: a tag URI (RFC 4151) that never changes."""
    return f"{TAG_AUTHORITY}:story:{story_id}"


def feed_tag(path: str) -> str:
    return f"{TAG_AUTHORITY}:feed{path}"


def safe_url(url: str | None) -> str | None:
    """`url` when it is an absolute http(s) URL without controls or spaces; None otherwise."""
    if not url:
        return None
    url = url.strip()
    if any(ord(c) < 0x21 or c in "\x7f\"<>\\`" for c in url) or xml_safe(url) != url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def iso_time(value: str | None) -> str | None:
    """`value` as an RFC 3339 UTC time (what Atom and JSON Feed need), or None when it is no time.

    Stored times are ISO 8601 (utcnow) but a source's published date can be anything:
    RFC 2822 from RSS, a bare date, or free text, which must not reach the feed.
    """
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed is None or not 1 <= parsed.year <= 9999:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    # Fractions are kept: two changes within one second must still give a story two times.
    try:
        return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ" if parsed.microsecond else "%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError):
        return None


def page_bounds(page: int, page_size: int) -> tuple[int, int]:
    return (page - 1) * page_size + 1, page * page_size


def full_pages(head: int, page_size: int) -> int:
    return head // page_size


# -- the feeds


def live_feed(reader: FeedReader, head: int, page_size: int, *, title: str,
              path: str = "/feed.atom") -> Feed:
    full = full_pages(head, page_size)
    first = page_bounds(full, page_size)[0] if full >= 1 else 1
    window = reader.changes_between(first, head)
    entries = _collapse(reader, window, as_of=head)
    return Feed(path=path, feed_id=feed_tag("/feed.atom"), title=title, entries=entries,
                updated=_newest(entries), prev_archive=full - 1 if full >= 2 else None)


def archive_page(reader: FeedReader, page: int, head: int, page_size: int, *, title: str) -> Feed | None:
    """Page `page` of the change log, or None while it is not full (or does not exist)."""
    if page < 1 or page > full_pages(head, page_size):
        return None
    first, last = page_bounds(page, page_size)
    entries = _collapse(reader, reader.changes_between(first, last), as_of=last)
    # next-archive is always written, so the page's bytes never depend on later pages; while
    # page+1 is still open, its URL redirects to the live feed, which holds those changes.
    return Feed(path=f"/archive/{page}.atom", feed_id=feed_tag("/feed.atom"), title=f"{title} (archive page {page})",
                entries=entries, updated=_newest(entries), archive=True, page=page,
                prev_archive=page - 1 if page > 1 else None, next_archive=page + 1)


def language_feed(reader: FeedReader, head: int, lang: str, limit: int, *, title: str) -> Feed:
    lang = lang.lower()
    heads = reader.recent_story_heads(limit, lang=lang)
    entries = _scoped(reader, heads, head, lambda v: v.lang.lower() == lang)
    path = f"/lang/{lang}.atom"
    return Feed(path=path, feed_id=feed_tag(path), title=f"{title} in {lang}", entries=entries,
                updated=_newest(entries), language=lang)


def source_feed(reader: FeedReader, head: int, source_id: int, limit: int, *, title: str) -> Feed | None:
    """The feed of one source, or None when no source has that id."""
    if not reader.source_known(source_id):
        return None
    heads = reader.recent_story_heads(limit, source_id=source_id)
    entries = _scoped(reader, heads, head, lambda v: v.source_id == source_id)
    name = reader.sources([source_id]).get(source_id)
    label = (name.title or name.url) if name else None
    path = f"/source/{source_id}.atom"
    return Feed(path=path, feed_id=feed_tag(path), title=f"{title} from {xml_safe(label) or f'source {source_id}'}",
                entries=entries, updated=_newest(entries))


def latest_stories(reader: FeedReader, head: int, limit: int) -> tuple[Entry, ...]:
    """The `limit` stories changed last, as they read now (the home page)."""
    heads = reader.recent_story_heads(limit)
    return _scoped(reader, heads, head, None)


# -- building entries


def _collapse(reader: FeedReader, window: list[ChangeRow], as_of: int) -> tuple[Entry, ...]:
    """One entry per story in `window`, newest change first, as the story read at `as_of`."""
    listed: dict[str, list[ChangeRow]] = defaultdict(list)
    for change in window:
        listed[change.story_id].append(change)
    order = sorted(listed, key=lambda story: listed[story][-1].seq, reverse=True)
    return _entries(reader, order, as_of, listed, None)


def _scoped(reader: FeedReader, heads: list[tuple[str, int]], as_of: int,
            in_scope: Callable[[Version], bool] | None) -> tuple[Entry, ...]:
    """Entries for the stories in `heads`, each standing for its changes to versions in scope."""
    return _entries(reader, [story for story, _ in heads], as_of, None, in_scope)


def _entries(reader: FeedReader, order: list[str], as_of: int, listed: dict[str, list[ChangeRow]] | None,
             in_scope: Callable[[Version], bool] | None) -> tuple[Entry, ...]:
    """Entries for the stories in `order` as they read at `as_of`.

    Each entry stands for the changes in `listed` (all of the story's changes when None),
    narrowed to the versions `in_scope` when given.
    """
    history: dict[str, list[ChangeRow]] = defaultdict(list)
    for change in reader.story_changes(order, as_of):
        history[change.story_id].append(change)
    # A document's revision at `as_of` is how many changes it had by then: one when added,
    # one more per 'changed' row (Store.change_document bumps the revision with each).
    revision: dict[int, int] = defaultdict(int)
    added: dict[int, ChangeRow] = {}
    for changes in history.values():
        for change in changes:
            revision[change.document_id] += 1
            added.setdefault(change.document_id, change)
    documents = reader.documents(list(added))
    texts = reader.revisions([(doc, rev) for doc, rev in revision.items()])
    sources = reader.sources(sorted({d.source_id for d in documents.values() if d.source_id is not None}))
    stories = reader.stories(order)

    versions: dict[int, Version] = {}
    for doc_id, first in added.items():
        doc = documents.get(doc_id)
        text = texts.get((doc_id, revision[doc_id]))
        if doc is None or text is None:
            continue  # not possible with Store's transactions; skip rather than fail the feed
        source = sources.get(doc.source_id) if doc.source_id is not None else None
        versions[doc_id] = _version(doc, text, source, role=ROLE.get(first.kind, "version"),
                                    added_at=iso_time(first.at) or EPOCH)

    entries = []
    for story_id in order:
        story = stories.get(story_id)
        changes = history.get(story_id, [])
        story_versions = [versions[c.document_id] for c in changes
                          if c.kind is not ChangeKind.CHANGED and c.document_id in versions]
        if story is None or not story_versions:
            continue
        shown = changes if listed is None else listed[story_id]
        main = next((v for v in story_versions if v.document_id == story.representative_id), story_versions[0])
        if in_scope is not None:
            scoped = [v for v in story_versions if in_scope(v)]
            if not scoped:
                continue
            main = main if in_scope(main) else scoped[0]
            scoped_ids = {v.document_id for v in scoped}
            shown = [c for c in shown if c.document_id in scoped_ids]
        if not shown:
            continue
        representative = next((v for v in story_versions if v.document_id == story.representative_id), main)
        entries.append(Entry(
            story_id=story_id, main=main, versions=tuple(story_versions),
            published=representative.published or iso_time(story.first_seen) or EPOCH,
            updated=iso_time(shown[-1].at) or EPOCH,
            changes=tuple(Change(c.seq, c.kind, c.document_id, iso_time(c.at) or EPOCH) for c in shown),
        ))
    return tuple(entries)


def _newest(entries: tuple[Entry, ...]) -> str:
    # The feed's updated time is its newest entry's, so an unchanged log renders the same bytes.
    return max((e.updated for e in entries), default=EPOCH)


def stored_document(reader: FeedReader, document_id: int) -> tuple[Version, str] | None:
    """(the document as it reads now, its story id), or None when there is no such document."""
    found = reader.document(document_id)
    if found is None:
        return None
    doc, text = found
    source = reader.sources([doc.source_id]).get(doc.source_id) if doc.source_id is not None else None
    return _version(doc, text, source, role="version", added_at=EPOCH), xml_safe(doc.story_id)


def _version(doc: DocumentRow, text: RevisionRow, source: SourceRow | None, *, role: str, added_at: str) -> Version:
    # An archived revision shows the metadata it had then; a live view, or an older database's
    # revision without it, shows the document's.
    kept = text.meta_kept
    url = safe_url(text.url if kept else doc.url)
    lang = (text.lang if kept else None) or doc.lang
    published = text.published if kept else doc.published
    authors = (text.authors if kept else None) or (() if kept else doc.authors)
    description = text.description if kept else doc.description
    source_url = safe_url(source.url) if source else None
    source_name = xml_safe(source.title) if source and source.title else None
    # Without a sources row (replayed files, or before the crawler's table exists) the
    # site's host name is the best name a reader gets for where a version came from.
    host = urlsplit(source_url or url).hostname if (source_url or url) else None
    site = str(host) if host else None
    return Version(
        document_id=doc.id, url=url, title=shorten(xml_safe(text.title).strip(), MAX_TITLE_CHARS) or "(untitled)",
        text=xml_safe(text.text),
        lang=xml_safe(lang) or "und", published=iso_time(published),
        authors=tuple(xml_safe(a) for a in authors), description=xml_safe(description) or None,
        source_id=doc.source_id, source_name=source_name or site, source_url=source_url, role=role,
        revision=text.revision, added_at=added_at,
    )
