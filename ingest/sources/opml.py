"""OPML, the feed readers' exchange format: parse a subscription list, render one.

Categories are nested <outline> folders; on import the `category` attribute
("/News/World") is honoured too when a feed sits outside any folder.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from lxml import etree

from ingest.errors import ErrorKind, IngestError
from ingest.sources.links import absolute_url
from ingest.sources.safexml import local_name, parse_xml

STAGE = "sources"
NEWSDEDUP_NS = "https://github.com/newsdedup/newsdedup/opml"


@dataclass(frozen=True)
class OpmlFeed:
    xml_url: str                         # the feed (or other source) URL
    title: str | None = None
    html_url: str | None = None          # the site's home page
    category: tuple[str, ...] = ()       # folder path, outermost first: ("News", "World")
    type: str = "rss"                    # the outline's type attribute
    language: str | None = None          # OPML 2.0's language attribute
    interval: int | None = None          # seconds between polls (nd:interval, newsdedup's own)
    enabled: bool | None = None          # False for a paused source (nd:enabled)


@dataclass(frozen=True)
class OpmlDocument:
    title: str | None
    feeds: list[OpmlFeed]


def parse_opml(body: bytes) -> OpmlDocument:
    """Every outline with an xmlUrl, in document order, first occurrence of each URL kept."""
    root = parse_xml(body, STAGE, "OPML file")
    if local_name(root) != "opml":
        raise IngestError(ErrorKind.MALFORMED, STAGE,
                          f"the file's root is <{local_name(root)}>, not <opml>; export it again as OPML")
    body_element = next((c for c in root if local_name(c) == "body"), None)
    if body_element is None:
        raise IngestError(ErrorKind.MALFORMED, STAGE, "the OPML file has no <body>")
    head = next((c for c in root if local_name(c) == "head"), None)
    title_element = next((c for c in head if local_name(c) == "title"), None) if head is not None else None
    feeds: dict[str, OpmlFeed] = {}
    _walk(body_element, (), feeds)
    title = _clean(title_element.text) if title_element is not None else None
    return OpmlDocument(title, list(feeds.values()))


def _walk(parent: etree._Element, path: tuple[str, ...], feeds: dict[str, OpmlFeed]) -> None:
    for outline in parent:
        if local_name(outline) != "outline":
            continue
        attrs = {k.replace(f"{{{NEWSDEDUP_NS}}}", "nd:").lower(): v for k, v in outline.attrib.items()
                 if isinstance(k, str)}
        name = _clean(attrs.get("title")) or _clean(attrs.get("text"))
        xml_url = absolute_url(attrs.get("xmlurl"), None)
        if xml_url is None:
            # A folder (or an outline we cannot use): its children inherit its name as category.
            _walk(outline, path + (name,) if name else path, feeds)
            continue
        category = path or _category_attribute(attrs.get("category"))
        if name in (xml_url, attrs.get("xmlurl")):
            name = None  # exporters put the URL in text when a feed has no title; it is no title
        if xml_url not in feeds:
            interval = _clean(attrs.get("nd:interval"))
            feeds[xml_url] = OpmlFeed(xml_url, title=name, html_url=absolute_url(attrs.get("htmlurl"), None),
                                      category=category, type=_clean(attrs.get("type")) or "rss",
                                      language=_clean(attrs.get("language")),
                                      interval=int(interval) if interval and interval.isdigit() else None,
                                      enabled=False if _clean(attrs.get("nd:enabled")) == "false" else None)


def _category_attribute(value: str | None) -> tuple[str, ...]:
    # OPML 2.0: comma-separated slash-delimited paths; the first one is the folder.
    if not value:
        return ()
    first = value.split(",")[0]
    return tuple(part.strip() for part in first.split("/") if part.strip())


def render_opml(feeds: Iterable[OpmlFeed], *, title: str = "newsdedup sources",
                created: datetime | None = None) -> bytes:
    """An OPML 2.0 document with feeds nested in their category folders (order of first appearance).

    A source's polling interval and paused state travel in attributes of newsdedup's own
    namespace, which other readers ignore; its language in OPML's own `language`.
    """
    root = etree.Element("opml", version="2.0", nsmap={"nd": NEWSDEDUP_NS})
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "dateCreated").text = format_datetime(created or datetime.now(UTC), usegmt=True)
    body = etree.SubElement(root, "body")
    folders: dict[tuple[str, ...], etree._Element] = {(): body}
    for feed in feeds:
        parent = _folder(folders, feed.category)
        attrs = {"type": feed.type, "text": feed.title or feed.xml_url}
        if feed.title:
            attrs["title"] = feed.title
        attrs["xmlUrl"] = feed.xml_url
        if feed.html_url:
            attrs["htmlUrl"] = feed.html_url
        if feed.language:
            attrs["language"] = feed.language
        if feed.interval:
            attrs[f"{{{NEWSDEDUP_NS}}}interval"] = str(feed.interval)
        if feed.enabled is False:
            attrs[f"{{{NEWSDEDUP_NS}}}enabled"] = "false"
        etree.SubElement(parent, "outline", attrs)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _folder(folders: dict[tuple[str, ...], etree._Element], path: tuple[str, ...]) -> etree._Element:
    if path not in folders:
        parent = _folder(folders, path[:-1])
        folders[path] = etree.SubElement(parent, "outline", {"text": path[-1], "title": path[-1]})
    return folders[path]


def _clean(text: str | None) -> str | None:
    return (" ".join(text.split()) or None) if text else None
