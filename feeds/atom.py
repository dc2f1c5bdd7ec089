"""Atom 1.0 (RFC 4287) rendering of stories: each story once, its versions as alternate links."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from lxml import etree

from feeds.xmltext import xml_safe

ATOM_NS = "http://www.w3.org/2005/Atom"
TAG_AUTHORITY = "tag:newsdedup,2025"
GENERATOR = "newsdedup"


def story_tag(story_id: str) -> str:
    """The entry id of a story: a tag URI (RFC 4151) that never changes."""
    return f"{TAG_AUTHORITY}:story:{story_id}"


def _el(parent: etree._Element, name: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ATOM_NS}}}{name}", {k: xml_safe(v) for k, v in attrs.items() if v})
    if text is not None:
        el.text = xml_safe(text)
    return el


def rfc3339(value: str) -> str:
    """Atom dates are RFC 3339 with a zone; stored times without one are UTC."""
    value = value.strip()
    if len(value) == 10:  # a bare date
        return value + "T00:00:00Z"
    if value.endswith("Z") or value[-6] in "+-" and value[-3] == ":":
        return value
    return value + "Z"


def paragraphs_html(text: str) -> str:
    return "".join(f"<p>{html.escape(p)}</p>" for p in xml_safe(text).split("\n\n") if p.strip())


def render_feed(stories: Iterable[dict[str, Any]], *, base_url: str, title: str = "newsdedup stories",
                self_path: str = "/feed.atom") -> bytes:
    """The Atom document for `stories` (newest change first), as UTF-8 bytes."""
    stories = list(stories)
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    _el(feed, "id", f"{TAG_AUTHORITY}:feed{self_path}")
    _el(feed, "title", title)
    # The feed changes when a story does, so an unchanged database renders the same bytes.
    newest = max((rfc3339(s["updated"]) for s in stories), default="1970-01-01T00:00:00Z")
    _el(feed, "updated", newest)
    author = _el(feed, "author")
    _el(author, "name", GENERATOR)
    _el(feed, "link", rel="self", href=base_url + self_path, type="application/atom+xml")
    _el(feed, "link", rel="alternate", href=base_url + "/", type="text/html")
    _el(feed, "generator", GENERATOR)
    for story in stories:
        _entry(feed, story, base_url)
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _entry(feed: etree._Element, story: dict[str, Any], base_url: str) -> None:
    rep = story["representative"]
    entry = _el(feed, "entry")
    _el(entry, "id", story_tag(story["id"]))
    _el(entry, "title", rep["title"] or "(untitled)")
    _el(entry, "updated", rfc3339(story["updated"]))
    _el(entry, "published", rfc3339(rep["published"] or story["first_seen"]))
    for name in rep["authors"]:
        _el(_el(entry, "author"), "name", name)
    seen_languages: set[str] = set()
    for version in story["versions"]:
        href = version["url"] or f"{base_url}/documents/{version['id']}"
        # RFC 4287 allows one alternate link per (type, hreflang); further versions in a
        # language already linked are related links, still titled and tagged with it.
        rel = "related" if version["lang"] in seen_languages else "alternate"
        seen_languages.add(version["lang"])
        _el(entry, "link", rel=rel, type="text/html", href=href, hreflang=version["lang"],
            title=version["title"])
    for lang in sorted(seen_languages):
        _el(entry, "category", term=f"lang:{lang}", label=lang)
    _el(entry, "content", paragraphs_html(rep["text"]), type="html")
