"""RSS, Atom and JSON Feed documents to article links."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import struct_time
from typing import Any

import feedparser

from ingest.errors import ErrorKind, IngestError
from ingest.sources.links import ArticleLink, absolute_url, language_hint, parse_datetime
from ingest.sources.safexml import refuse_entities

STAGE = "sources"


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    home_url: str | None                 # the site the feed belongs to
    lang: str | None                     # the feed's language hint, if it declares one
    links: list[ArticleLink] = field(default_factory=list)


def parse_feed(body: bytes, *, url: str | None = None, content_type: str | None = None) -> ParsedFeed:
    """Article links of an RSS 0.9x/1.0/2.0, Atom or JSON Feed document, in feed order.

    Relative links resolve against the feed's xml:base, else `url`. Entries without a
    usable http(s) link are skipped. Raises IngestError(MALFORMED) if `body` is not a feed.
    """
    if _looks_like_json(body, content_type):
        return _parse_json_feed(body, url)
    refuse_entities(body, STAGE, "feed")
    headers = {"content-type": content_type} if content_type else {}
    if url:
        headers["content-location"] = url
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False, resolve_relative_uris=True)
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no RSS, Atom or RDF root element"
        raise IngestError(ErrorKind.MALFORMED, STAGE,
                          f"{url or 'the document'} is not a feed ({reason}); check the source URL "
                          "or add it as a page or sitemap source")
    feed = parsed.feed
    feed_lang = language_hint(feed.get("language"), (feed.get("title_detail") or {}).get("language"))
    links = []
    for entry in parsed.entries:
        link = absolute_url(_entry_href(entry), url)
        if link is None:
            continue
        links.append(ArticleLink(
            url=link,
            title=_clean(entry.get("title")),
            published=_from_struct(entry.get("published_parsed") or _updated(entry)),
            updated=_from_struct(_updated(entry)),
            lang=language_hint(entry.get("language"), (entry.get("title_detail") or {}).get("language"),
                               (entry.get("summary_detail") or {}).get("language")) or feed_lang,
            guid=_str(entry.get("id")),
        ))
    return ParsedFeed(_clean(feed.get("title")), absolute_url(feed.get("link"), url), feed_lang, links)


def _entry_href(entry: Any) -> str | None:
    for link in entry.get("links", []):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return _str(link["href"])
    # RSS items whose <guid> is their permalink and that have no <link>.
    if entry.get("guidislink") and entry.get("id"):
        return _str(entry["id"])
    return _str(entry.get("link"))


def _updated(entry: Any) -> struct_time | None:
    # Plain dict access: feedparser's own .get() maps a missing "updated" onto "published",
    # with a deprecation warning, which would report every publication date as an update.
    return dict.get(entry, "updated_parsed")


def _from_struct(value: struct_time | None) -> datetime | None:
    return datetime(*value[:6], tzinfo=UTC) if value else None  # feedparser normalises to UTC


def _clean(text: str | None) -> str | None:
    return (" ".join(text.split()) or None) if text else None


def _looks_like_json(body: bytes, content_type: str | None) -> bool:
    if content_type and "json" in content_type.lower():
        return True
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def _parse_json_feed(body: bytes, url: str | None) -> ParsedFeed:
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise IngestError(ErrorKind.MALFORMED, STAGE, f"{url or 'the feed'} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith("https://jsonfeed.org/version/"):
        raise IngestError(ErrorKind.MALFORMED, STAGE,
                          f"{url or 'the document'} is JSON but not a JSON Feed (no jsonfeed.org version)")
    feed_lang = language_hint(_str(doc.get("language")))
    links = []
    for item in doc.get("items") or []:
        if not isinstance(item, dict):
            continue
        link = absolute_url(_str(item.get("url")) or _str(item.get("external_url")), url)
        if link is None:
            continue
        links.append(ArticleLink(
            url=link,
            title=_clean(_str(item.get("title"))),
            published=parse_datetime(_str(item.get("date_published"))),
            updated=parse_datetime(_str(item.get("date_modified"))),
            lang=language_hint(_str(item.get("language"))) or feed_lang,
            guid=_str(item.get("id")),
        ))
    return ParsedFeed(_clean(_str(doc.get("title"))), absolute_url(_str(doc.get("home_page_url")), url),
                      feed_lang, links)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
