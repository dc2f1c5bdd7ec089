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

import difflib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from feeds.xmltext import xml_safe
from storage.model import ChangeKind
from storage.reader import ChangeRow, DocumentRow, FeedReader, RevisionRow, SourceRow

TAG_AUTHORITY = "tag:newsdedup,2025"
EPOCH = "1970-01-01T00:00:00Z"
# What a version is to its story: the original is the earliest published version (the first
# seen when no version has a date); the others are translations (another language than the
# original's) or versions (its language). See `with_roles`.
ORIGINAL, VERSION, TRANSLATION = "original", "version", "translation"
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

    @property
    def original(self) -> Version:
        """The version the others are translations or versions of (see `with_roles`)."""
        return next((v for v in self.versions if v.role == ORIGINAL), self.main)


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
                updated=_newest(entries, reader), prev_archive=full - 1 if full >= 2 else None)


def archive_page(reader: FeedReader, page: int, head: int, page_size: int, *, title: str) -> Feed | None:
    """Page `page` of the change log, or None while it is not full (or does not exist)."""
    if page < 1 or page > full_pages(head, page_size):
        return None
    first, last = page_bounds(page, page_size)
    entries = _collapse(reader, reader.changes_between(first, last), as_of=last)
    # next-archive is always written, so the page's bytes never depend on later pages; while
    # page+1 is still open, its URL redirects to the live feed, which holds those changes.
    return Feed(path=f"/archive/{page}.atom", feed_id=feed_tag("/feed.atom"), title=f"{title} (archive page {page})",
                entries=entries, updated=_newest(entries, reader), archive=True, page=page,
                prev_archive=page - 1 if page > 1 else None, next_archive=page + 1)


def language_feed(reader: FeedReader, head: int, lang: str, limit: int, *, title: str) -> Feed:
    lang = lang.lower()
    heads = reader.recent_story_heads(limit, lang=lang)
    entries = _scoped(reader, heads, head, lambda v: v.lang.lower() == lang)
    path = f"/lang/{lang}.atom"
    return Feed(path=path, feed_id=feed_tag(path), title=f"{title} in {lang}", entries=entries,
                updated=_newest(entries, reader), language=lang)


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
                entries=entries, updated=_newest(entries, reader))


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
        versions[doc_id] = _version(doc, text, source, role=VERSION, added_at=iso_time(first.at) or EPOCH)

    entries = []
    for story_id in order:
        story = stories.get(story_id)
        changes = history.get(story_id, [])
        story_versions = with_roles([versions[c.document_id] for c in changes
                                     if c.kind is not ChangeKind.CHANGED and c.document_id in versions])
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
        original = next((v for v in story_versions if v.role == ORIGINAL), representative)
        entries.append(Entry(
            story_id=story_id, main=main, versions=tuple(story_versions),
            # the story was first published when its original was
            published=original.published or representative.published or iso_time(story.first_seen) or EPOCH,
            updated=iso_time(shown[-1].at) or EPOCH,
            changes=tuple(Change(c.seq, c.kind, c.document_id, iso_time(c.at) or EPOCH) for c in shown),
        ))
    return tuple(entries)


def with_roles(versions: list[Version]) -> list[Version]:
    """`versions` (in the order they were added) each labelled original, translation or version.

    The original is the version published earliest, whatever order the versions arrived in (a
    machine translation fetched first is not the original); only when no version has a
    publication date is it the first one seen.
    """
    if not versions:
        return versions
    dated = [(_instant(v.published), index) for index, v in enumerate(versions) if _instant(v.published)]
    original = min(dated)[1] if dated else 0
    source_lang = versions[original].lang
    return [replace(v, role=ORIGINAL if index == original else TRANSLATION if v.lang != source_lang else VERSION)
            for index, v in enumerate(versions)]


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _newest(entries: tuple[Entry, ...], reader: FeedReader) -> str:
    # The feed's updated time is its newest entry's, so an unchanged log renders the same bytes;
    # an empty feed's is when the database was made (not 1970, which readers show as "56 years ago").
    return max((e.updated for e in entries), default=None) or empty_feed_time(reader)


def empty_feed_time(reader: FeedReader) -> str:
    return iso_time(reader.created()) or iso_time(datetime.now(UTC).isoformat()) or EPOCH


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


# -- the reader's pages: story lists (paged, filtered, searched) and one story in full


@dataclass(frozen=True)
class StoryList:
    entries: tuple[Entry, ...]
    page: int                     # 1-based
    pages: int                    # at least 1, also when there is nothing
    total: int                    # stories matching, over every page
    lang: str | None = None
    source_id: int | None = None
    query: str | None = None


def story_list(reader: FeedReader, head: int, page: int, per_page: int, *, lang: str | None = None,
               source_id: int | None = None) -> StoryList:
    """Page `page` of every story, changed last first; only those in `lang` or from `source_id` when given.
    The last page holds the first story ever stored."""
    lang = lang.lower() if lang else None
    ids, total = reader.story_page(per_page, (page - 1) * per_page, lang=lang, source_id=source_id)
    entries = _entries(reader, ids, head, None, _scope(lang, source_id))
    return StoryList(entries, page, _pages(total, per_page), total, lang=lang, source_id=source_id)


def search_stories(reader: FeedReader, head: int, query: str, page: int, per_page: int, *,
                   lang: str | None = None) -> StoryList:
    """Stories whose titles or texts (in any language) hold every word of `query`, best first; each
    shown through its best-matching version."""
    lang = lang.lower() if lang else None
    hits, total = reader.search(query, per_page, (page - 1) * per_page, lang=lang)
    best = {hit.story_id: hit.document_id for hit in hits}
    entries = _entries(reader, [hit.story_id for hit in hits], head, None, _scope(lang, None))
    shown = tuple(replace(e, main=next((v for v in e.versions if v.document_id == best[e.story_id]), e.main))
                  for e in entries)
    return StoryList(shown, page, _pages(total, per_page), total, lang=lang, query=query)


def _scope(lang: str | None, source_id: int | None) -> Callable[[Version], bool] | None:
    if lang is not None:
        return lambda v: v.lang.lower() == lang
    if source_id is not None:
        return lambda v: v.source_id == source_id
    return None


def _pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


@dataclass(frozen=True)
class Grouping:
    """Why a version is in its story: the link that decided it when it arrived."""

    document_id: int
    matched_document_id: int | None
    matched_title: str | None     # the matched version's title, when it is in the story
    rule: str                     # exact-copy, near-duplicate, paraphrase, translation
    score: float                  # the link's strength over the rule's threshold (>= 1 passes)
    shared_anchors: tuple[str, ...]
    lexical_similarity: float | None


@dataclass(frozen=True)
class DiffPart:
    op: str                       # "same", "added" or "removed"
    text: str


@dataclass(frozen=True)
class RevisionChange:
    """What changed in one version between two of its revisions, word by word."""

    document_id: int
    revision: int                 # the newer revision
    seen_at: str
    title_before: str
    title_after: str
    parts: tuple[DiffPart, ...]


@dataclass(frozen=True)
class StoryDetail:
    entry: Entry
    original: Version
    groupings: dict[int, Grouping]
    revisions: tuple[RevisionChange, ...]


# Unchanged words kept either side of a change in a word diff; longer unchanged runs are cut.
DIFF_CONTEXT_WORDS = 12


def story_detail(reader: FeedReader, head: int, story_id: str) -> StoryDetail | None:
    """The story as it reads now: every version, why each joined, what changed between revisions."""
    if not reader.story_exists(story_id):
        return None
    entries = _entries(reader, [story_id], head, None, None)
    if not entries:
        return None
    entry = entries[0]
    ids = [v.document_id for v in entry.versions]
    titles = {v.document_id: v.title for v in entry.versions}
    groupings = {
        doc_id: Grouping(doc_id, row.matched_document_id, titles.get(row.matched_document_id or -1), xml_safe(row.rule),
                         row.score, tuple(xml_safe(a) for a in row.shared_anchors), row.lexical_similarity)
        for doc_id, row in reader.groupings(ids).items()
    }
    history = reader.revision_history(ids)
    seen = reader.revision_times(ids)
    changes = []
    for doc_id in ids:
        texts = history.get(doc_id, [])
        for before, after in zip(texts, texts[1:], strict=False):
            changes.append(RevisionChange(
                doc_id, after.revision, iso_time(seen.get((doc_id, after.revision))) or EPOCH,
                xml_safe(before.title), xml_safe(after.title), word_diff(xml_safe(before.text), xml_safe(after.text))))
    changes.sort(key=lambda c: c.seen_at, reverse=True)
    return StoryDetail(entry, entry.original, groupings, tuple(changes))


def word_diff(before: str, after: str, context: int = DIFF_CONTEXT_WORDS) -> tuple[DiffPart, ...]:
    """The words removed and added between two texts, with a little unchanged context around each
    change (in the manner of changedetection.io); long unchanged runs become "…"."""
    old, new = before.split(), after.split()
    parts: list[DiffPart] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    opcodes = matcher.get_opcodes()
    for index, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op == "equal":
            words = old[i1:i2]
            first, last = index == 0, index == len(opcodes) - 1
            if len(words) > 2 * context:
                head = [] if first else words[:context]
                tail = [] if last else words[-context:]
                text = " ".join(head + ["…"] + tail)
            else:
                text = " ".join(words)
            parts.append(DiffPart("same", text))
            continue
        if i2 > i1:
            parts.append(DiffPart("removed", " ".join(old[i1:i2])))
        if j2 > j1:
            parts.append(DiffPart("added", " ".join(new[j1:j2])))
    return tuple(parts)


def document_view(reader: FeedReader, head: int,
                  document_id: int) -> tuple[Version, str, StoryDetail | None] | None:
    """(a stored document as it reads now, labelled as its story labels it, its story id, the story
    for its siblings), or None when there is no such document."""
    found = stored_document(reader, document_id)
    if found is None:
        return None
    version, story_id = found
    detail = story_detail(reader, head, story_id)
    if detail is not None:
        version = next((v for v in detail.entry.versions if v.document_id == document_id), version)
    return version, story_id, detail
