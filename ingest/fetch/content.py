"""Media types: what the caller accepts, what the server says it sent, what the bytes really are."""

from __future__ import annotations

import codecs

from ingest.errors import ErrorKind, IngestError

HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json",
              "application/rdf+xml", "application/xml", "text/xml", "application/json")
SITEMAP_TYPES = ("application/xml", "text/xml", "text/plain", "application/gzip", "application/x-gzip")
ROBOTS_TYPES = ("text/plain",)
# Any document a source can be: the default of Fetcher.fetch.
DOCUMENT_TYPES = tuple(dict.fromkeys(HTML_TYPES + FEED_TYPES + SITEMAP_TYPES))

# Types that say nothing about the body: the bytes are sniffed instead of trusted.
_UNINFORMATIVE = {"application/octet-stream", "binary/octet-stream", "application/unknown"}
_BINARY_PREFIXES = ("image/", "audio/", "video/", "font/")
_BINARY_TYPES = {"application/pdf", "application/zip", "application/msword", "application/x-tar",
                 "application/vnd.ms-excel", "application/x-7z-compressed", "application/x-rar-compressed",
                 "application/wasm", "application/x-shockwave-flash", "application/x-executable"}
_GZIP_TYPES = {"application/gzip", "application/x-gzip"}
GZIP_MAGIC = b"\x1f\x8b"
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK\x03\x04", b"RIFF", b"BZh",
                 b"\xfd7zXZ", b"OggS", b"ID3", b"\x7fELF", b"\x00\x00\x01\x00", b"wOFF", b"wOF2")


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """'text/html; charset="UTF-8"' -> ('text/html', 'utf-8'); a charset Python does not know -> None."""
    if not value:
        return None, None
    parts = value.split(";")
    media_type = parts[0].strip().lower() or None
    charset = None
    for param in parts[1:]:
        name, _, raw = param.partition("=")
        if name.strip().lower() == "charset":
            charset = _known_codec(raw.strip().strip("\"'"))
    return media_type, charset


def _known_codec(label: str) -> str | None:
    try:
        codecs.lookup(label)
    except LookupError:
        return None  # a made-up label: let the decoder sniff rather than fail on it
    return label.lower()


def accept_header(accept: tuple[str, ...]) -> str:
    """The Accept header for these types, with a low-weight catch-all so odd servers still answer."""
    return ", ".join(accept) + ", */*;q=0.1"


def _matches(media_type: str, accept: tuple[str, ...]) -> bool:
    for pattern in accept:
        if pattern == media_type or pattern == "*/*":
            return True
        if pattern.endswith("/*") and media_type.startswith(pattern[:-1]):
            return True
    return False


def check_declared_type(media_type: str | None, accept: tuple[str, ...], url: str) -> None:
    """Refuse a response by its Content-Type before reading the body."""
    if media_type is None or media_type in _UNINFORMATIVE or _matches(media_type, accept):
        return
    if media_type.startswith(_BINARY_PREFIXES) or media_type in _BINARY_TYPES:
        raise IngestError(ErrorKind.BINARY, "fetch",
                          f"{url} is {media_type}, a binary type; point the source at a page, feed or sitemap")
    raise IngestError(ErrorKind.UNSUPPORTED, "fetch",
                      f"{url} is {media_type}; expected one of {', '.join(accept)}. "
                      "Check the source URL or its kind")


def check_body_is_text(body: bytes, media_type: str | None, accept: tuple[str, ...], url: str) -> None:
    """Refuse a body whose bytes are binary whatever its Content-Type claims.

    A gzip body is allowed when the caller accepts gzip (sitemap.xml.gz files are served as-is).
    """
    head = body[:1024]
    if head.startswith(GZIP_MAGIC):
        if any(t in _GZIP_TYPES for t in accept):
            return
        raise IngestError(ErrorKind.BINARY, "fetch",
                          f"{url} sent a gzip file as {media_type or 'an untyped body'}; "
                          "if it is a compressed sitemap, add it as a sitemap source")
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if head.startswith(_BINARY_MAGIC) or (b"\x00" in head and not utf16):
        raise IngestError(ErrorKind.BINARY, "fetch",
                          f"{url} sent binary bytes (image, archive, PDF or executable) "
                          f"labelled {media_type or 'with no type'}; the source does not serve text here")
