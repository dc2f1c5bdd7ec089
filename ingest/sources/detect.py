"""What kind of source a document is: feed, sitemap, HTML page or OPML list."""

from __future__ import annotations

import json
import re
import zlib
from enum import StrEnum

from ingest.errors import ErrorKind, IngestError

STAGE = "sources"
_SNIFF_BYTES = 4096
# Skip what may precede the root element: BOM, whitespace, XML declaration, comments,
# processing instructions (xml-stylesheet) and a DOCTYPE.
_PROLOG = re.compile(rb"\A(?:\xef\xbb\xbf)?(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)*",
                     re.DOTALL | re.IGNORECASE)
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_FEED_ROOTS = {b"rss", b"feed", b"rdf", b"channel"}
_SITEMAP_ROOTS = {b"urlset", b"sitemapindex"}
_HTML_START = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html|<head|<body)",
                         re.IGNORECASE | re.DOTALL)
_TEXT_SITEMAP = re.compile(rb"\A(?:\s*https?://\S+\s*)+\Z")


class SourceKind(StrEnum):
    FEED = "feed"
    SITEMAP = "sitemap"
    HTML = "html"
    OPML = "opml"


def detect_kind(body: bytes, *, content_type: str | None = None, url: str | None = None) -> SourceKind:
    """The kind of `body` by its content (the root element), the Content-Type only breaking ties.

    Raises IngestError(UNSUPPORTED) when it is none of the four, or (BINARY) for binary bytes.
    """
    media_type = (content_type or "").split(";")[0].strip().lower()
    if body.startswith(b"\x1f\x8b"):  # sitemap.xml.gz: the opening is enough to see the root
        body = _gunzip_head(body, url)
    head = body[:_SNIFF_BYTES]
    if _HTML_START.match(head):
        return SourceKind.HTML
    prolog = _PROLOG.match(head)
    root = _ROOT.match(head, prolog.end() if prolog else 0)
    if root:
        name = root.group(2).lower()
        if name in _FEED_ROOTS:
            return SourceKind.FEED
        if name in _SITEMAP_ROOTS:
            return SourceKind.SITEMAP
        if name == b"opml":
            return SourceKind.OPML
        if name in (b"html", b"head", b"body"):
            return SourceKind.HTML
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{") and _is_json_feed(body):
        return SourceKind.FEED
    if media_type in ("text/html", "application/xhtml+xml") and b"<" in head:
        return SourceKind.HTML  # a fragment or tag soup without <html>
    if _TEXT_SITEMAP.match(body[:65536]) and stripped:
        return SourceKind.SITEMAP
    if b"\x00" in head:
        raise IngestError(ErrorKind.BINARY, STAGE, f"{url or 'the document'} is binary, not a source document")
    raise IngestError(ErrorKind.UNSUPPORTED, STAGE,
                      f"{url or 'the document'} ({media_type or 'no type'}) is not a feed, sitemap, "
                      "HTML page or OPML file; check the source URL")


def _is_json_feed(body: bytes) -> bool:
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return False
    return isinstance(doc, dict) and str(doc.get("version", "")).startswith("https://jsonfeed.org/version/")


def _gunzip_head(body: bytes, url: str | None) -> bytes:
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, 65536)
    except zlib.error as exc:
        raise IngestError(ErrorKind.MALFORMED, STAGE, f"{url or 'the document'} is corrupt gzip: {exc}") from None
