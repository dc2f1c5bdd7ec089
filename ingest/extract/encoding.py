"""Bytes to text the way browsers decide: BOM, then the HTTP header, then <meta charset>, then detection."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from ingest.errors import ErrorKind, IngestError

_BOMS = [
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)
# Magic numbers of formats that are sometimes served or saved under a text name.
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK\x03\x04", b"\x1f\x8b", b"RIFF",
                 b"\x00\x00\x01\x00", b"BZh", b"\xfd7zXZ", b"OggS", b"ID3", b"\x7fELF")


def _lookup(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().strip("\"'").lower())
    except LookupError:
        return None
    # WHATWG: a page labelled latin-1 or ascii is decoded as windows-1252.
    return "cp1252" if codec.name in ("latin-1", "iso8859-1", "ascii") else codec.name


def check_not_binary(body: bytes, stage: str) -> None:
    """Raise BINARY for images, archives, PDFs and other non-text bodies."""
    head = body[:1024]
    if head.startswith(_BINARY_MAGIC):
        raise IngestError(ErrorKind.BINARY, stage, "the body is a binary file (image, archive or PDF), not text")
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise IngestError(ErrorKind.BINARY, stage, "the body contains NUL bytes: it is binary, not text")


def decode(body: bytes, *, http_charset: str | None = None, html: bool = False,
           stage: str = "decode") -> tuple[str, str]:
    """Decode `body`; return (text, encoding used). Raises IngestError(BINARY/ENCODING)."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(name, errors="replace"), name
    check_not_binary(body, stage)
    candidates = [_lookup(http_charset)]
    if html:
        m = _META_CHARSET.search(body[:4096])
        candidates.append(_lookup(m.group(1).decode("ascii", "ignore")) if m else None)
    for name in candidates:
        if name:
            try:
                return body.decode(name), name
            except UnicodeDecodeError:
                continue  # mislabelled: fall through to detection
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(body[:200_000]).best()
    if best is None:
        raise IngestError(ErrorKind.ENCODING, stage, "no text encoding decodes this body; is it text at all?")
    return body.decode(best.encoding, errors="replace"), best.encoding
