"""Atom 1.0 (RFC 4287) with feed paging and archiving (RFC 5005): each story once, its versions linked.

Links to a story's versions: RFC 4287 allows at most one rel="alternate" link per
(type, hreflang) pair, so the first version in each language is the alternate for that
language and further versions in the same language are rel="related", still carrying
hreflang and a title. Every link title says what the version is ("original", "version",
"translation"), so translations are visible as such. The same list is in the content, where
readers that show only one link still show them all.

Each entry carries foreign-namespace `nd:change` elements (RFC 4287 section 6: readers ignore
markup they do not know) naming the change-log rows it stands for in this document, so a
subscriber can check that it has seen every change exactly once.
"""

from __future__ import annotations

import html

import nh3
from lxml import etree

from feeds.views import (
    TAG_AUTHORITY,
    Change,
    Entry,
    Feed,
    Version,
    story_tag,
)
from feeds.xmltext import xml_safe

ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
CHANGES_NS = f"{TAG_AUTHORITY}:changes"
GENERATOR = "newsdedup"
GENERATOR_URI = "https://github.com/newsdedup/newsdedup"
ATOM_TYPE = "application/atom+xml"
SUMMARY_CHARS = 280

__all__ = ["render_atom", "story_tag", "content_html", "summary_text"]


def _el(parent: etree._Element, name: str, text: str | None = None, ns: str = ATOM_NS,
        **attrs: str | None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ns}}}{name}", {k: xml_safe(v) for k, v in attrs.items() if v})
    if text is not None:
        el.text = xml_safe(text)
    return el


def render_atom(feed: Feed, *, base_url: str, hub: str | None = None) -> bytes:
    """The Atom document for `feed`, as UTF-8 bytes. Same feed in, same bytes out."""
    root = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS, "fh": HISTORY_NS, "nd": CHANGES_NS})
    if feed.language:
        root.set("{http://www.w3.org/XML/1998/namespace}lang", feed.language)
    _el(root, "id", feed.feed_id)
    _el(root, "title", feed.title)
    _el(root, "updated", feed.updated)
    _el(_el(root, "author"), "name", GENERATOR)
    _el(root, "link", rel="self", href=base_url + feed.path, type=ATOM_TYPE)
    _el(root, "link", rel="alternate", href=base_url + "/", type="text/html")
    if hub:
        _el(root, "link", rel="hub", href=hub)
    if feed.archive:
        _el(root, "archive", ns=HISTORY_NS)
        _el(root, "link", rel="current", href=base_url + "/feed.atom", type=ATOM_TYPE)
    if feed.prev_archive is not None:
        _el(root, "link", rel="prev-archive", href=f"{base_url}/archive/{feed.prev_archive}.atom", type=ATOM_TYPE)
    if feed.next_archive is not None:
        _el(root, "link", rel="next-archive", href=f"{base_url}/archive/{feed.next_archive}.atom", type=ATOM_TYPE)
    _el(root, "generator", GENERATOR, uri=GENERATOR_URI)
    for entry in feed.entries:
        _entry(root, entry, base_url)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))


def version_href(version: Version, base_url: str) -> str:
    """The version's own URL, or the stored copy this service serves when it has none (or an unsafe one)."""
    return version.url or f"{base_url}/documents/{version.document_id}"


def version_label(version: Version) -> str:
    return f"{version.role} ({version.lang})"


def _entry(root: etree._Element, entry: Entry, base_url: str) -> None:
    main = entry.main
    el = _el(root, "entry")
    _el(el, "id", story_tag(entry.story_id))
    _el(el, "title", main.title)
    _el(el, "published", entry.published)
    _el(el, "updated", entry.updated)
    # The author is the source; the byline's people are contributors. Replayed files have no
    # source, and then the byline (often an agency) is the best author there is.
    if main.source_name or not main.authors:
        author = _el(el, "author")
        _el(author, "name", main.source_name or "unknown source")
        if main.source_url:
            _el(author, "uri", main.source_url)
        for name in main.authors:
            _el(_el(el, "contributor"), "name", name)
    else:
        for name in main.authors:
            _el(_el(el, "author"), "name", name)
    # The main version holds its language's alternate link, and goes last: feedparser and
    # newsboat both take an entry's last text/html alternate as "the" link.
    linked = {main.lang}
    links = []
    for version in entry.versions:
        if version is main:
            continue
        links.append(("related" if version.lang in linked else "alternate", version))
        linked.add(version.lang)
    links.append(("alternate", main))
    for rel, version in links:
        _el(el, "link", rel=rel, type="text/html", href=version_href(version, base_url), hreflang=version.lang,
            title=f"{version_label(version)}: {version.title}")
    for lang in entry.languages:
        _el(el, "category", term=f"lang:{lang}", scheme=f"{TAG_AUTHORITY}:lang", label=lang)
    for source_id, source_name in sorted({(v.source_id, v.source_name) for v in entry.versions
                                          if v.source_id is not None}, key=lambda pair: pair[0] or 0):
        _el(el, "category", term=f"source:{source_id}", scheme=f"{TAG_AUTHORITY}:source", label=source_name)
    _el(el, "summary", summary_text(main), type="text")
    _el(el, "content", content_html(entry, base_url), type="html")
    for change in entry.changes:
        _change(el, change)


def _change(el: etree._Element, change: Change) -> None:
    _el(el, "change", ns=CHANGES_NS, seq=str(change.seq), kind=change.kind, document=str(change.document_id),
        at=change.at)


def summary_text(version: Version) -> str:
    """The source's description, else the start of the text, cut at a word."""
    text = version.description or " ".join(version.text.split())
    if len(text) <= SUMMARY_CHARS:
        return text
    cut = text[:SUMMARY_CHARS].rsplit(" ", 1)[0]
    return cut + "…"


def content_html(entry: Entry, base_url: str) -> str:
    """The main version's clean text as paragraphs, then the list of versions; sanitised by nh3.

    The text is escaped before it becomes HTML, so markup in a source's text shows as text;
    nh3 then guarantees that nothing active (scripts, event attributes, javascript: links)
    survives, whatever a later change to this function lets through.
    """
    parts = [f"<p>{html.escape(p.strip())}</p>" for p in entry.main.text.split("\n\n") if p.strip()]
    if len(entry.versions) > 1:
        items = "".join(
            f'<li><a href="{html.escape(version_href(v, base_url))}" hreflang="{html.escape(v.lang)}">'
            f"{html.escape(v.title)}</a> — {html.escape(version_label(v))}"
            f"{', ' + html.escape(v.source_name) if v.source_name else ''}</li>"
            for v in entry.versions
        )
        parts.append(f"<p>Versions of this story:</p><ul>{items}</ul>")
    return nh3.clean("".join(parts), url_schemes={"http", "https"})
