"""Link and feed discovery as they were on lxml trees (newsdedup 50e903a), kept as the benchmark's baseline.

Verbatim but for docstrings: the URL rules (`looks_like_article`, `absolute_url`, the feed
patterns) are imported from the live code, which did not change with the move to
Beautiful Soup, so only the parsing and the tree walking differ.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from ingest.sources.discovery import _FEEDISH_HREF, FEED_LINK_TYPES, _clean
from ingest.sources.links import ArticleLink, FeedLink, absolute_url
from ingest.sources.pages import looks_like_article

_CHROME_TAGS = {"nav", "footer"}
_CHROME_ROLES = {"navigation", "contentinfo", "banner", "search"}
_CONTENT_TAGS = {"article", "main"}


def discover_article_links(html: str | bytes, base_url: str, *, charset: str | None = None) -> list[ArticleLink]:
    root = parse_html(html, charset)
    if root is None:
        return []
    base = _document_base(root, base_url)
    page = absolute_url(base_url, None)
    found: dict[str, str | None] = {}
    for anchor in root.iter("a"):
        if _in_chrome(anchor) or _rel_words(anchor) & {"tag", "author", "category", "nofollow"}:
            continue
        url = absolute_url(anchor.get("href"), base)
        if url is None or url == page or not same_site(url, base_url) or not looks_like_article(url):
            continue
        title = _anchor_text(anchor)
        if url not in found or len(title or "") > len(found[url] or ""):
            found[url] = title
    return [ArticleLink(url, title=title) for url, title in found.items()]


def discover_feeds(html: str | bytes, base_url: str, *, charset: str | None = None) -> list[FeedLink]:
    root = parse_html(html, charset)
    if root is None:
        return []
    found: dict[str, FeedLink] = {}
    for link in root.iter("link"):
        rel = set((link.get("rel") or "").lower().split())
        media_type = (link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rel or media_type not in FEED_LINK_TYPES:
            continue
        url = absolute_url(link.get("href"), base_url)
        if url and url not in found:
            found[url] = FeedLink(url, title=_clean(link.get("title")), type=media_type)
    for anchor in root.iter("a"):
        url = absolute_url(anchor.get("href"), base_url)
        if url and url not in found and same_site(url, base_url) and _FEEDISH_HREF.search(urlsplit(url).path):
            found[url] = FeedLink(url, title=_clean(anchor.text_content()))
    return list(found.values())


def same_site(url: str, site: str) -> bool:
    a = (urlsplit(url).hostname or "").removeprefix("www.")
    b = (urlsplit(site).hostname or "").removeprefix("www.")
    return bool(a and b) and (a == b or a.endswith("." + b) or b.endswith("." + a))


def parse_html(html: str | bytes, charset: str | None = None) -> etree._Element | None:
    if isinstance(html, bytes):
        html = _decode(html, charset)
    if not html.strip():
        return None
    if isinstance(html, str):
        html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)  # lxml refuses str input with an encoding declaration
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def _decode(body: bytes, charset: str | None) -> str | bytes:
    for encoding in (charset, "utf-8"):
        if encoding:
            try:
                return body.decode(encoding)
            except (UnicodeDecodeError, LookupError):
                continue
    return body  # lxml reads <meta charset> from the bytes


def _document_base(root: etree._Element, page_url: str) -> str:
    for base in root.iter("base"):
        href = absolute_url(base.get("href"), page_url)
        if href:
            return href
    return page_url


def _in_chrome(element: etree._Element) -> bool:
    for ancestor in element.iterancestors():
        tag = ancestor.tag if isinstance(ancestor.tag, str) else ""
        if tag in _CHROME_TAGS or (ancestor.get("role") or "").lower() in _CHROME_ROLES:
            return True
        if tag == "header" and not any(a.tag in _CONTENT_TAGS | {"section"} for a in ancestor.iterancestors()):
            return True
    return False


def _rel_words(anchor: etree._Element) -> set[str]:
    return set((anchor.get("rel") or "").lower().split())


def _anchor_text(anchor: etree._Element) -> str | None:
    text = " ".join(anchor.text_content().split())
    if not text:
        text = anchor.get("title") or next((img.get("alt") or "" for img in anchor.iter("img")), "")
        text = " ".join(text.split())
    return text or None
