"""Bytes to text the way browsers decide: BOM, then the HTTP header, then <meta charset>, then detection.

Two departures from a browser, both toward the text its author meant: a body labelled
with a legacy single-byte charset that is valid UTF-8 (with non-ASCII in it) is UTF-8,
since a label copied from a template is a common mistake and valid UTF-8 by accident is
not; and a UTF-8 page with a few stray bytes keeps its UTF-8 rather than being
re-detected as something else entirely.
"""

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
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""")
# How far into a page <meta charset> is looked for (browsers stop at 1024 bytes; pages
# with long inline heads put it later, and a later label is still the author's word).
_PRESCAN_BYTES = 8192
# Magic numbers of formats that are sometimes served or saved under a text name.
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK\x03\x04", b"\x1f\x8b", b"RIFF",
                 b"\x00\x00\x01\x00", b"BZh", b"\xfd7zXZ", b"OggS", b"ID3", b"\x7fELF")
# WHATWG Encoding Standard: labels decode as the superset browsers actually use.
_WHATWG = {
    "latin-1": "cp1252", "iso8859-1": "cp1252", "ascii": "cp1252",
    "iso8859-9": "cp1254", "iso8859-11": "cp874", "tis-620": "cp874",
    "shift_jis": "cp932", "euc_kr": "cp949", "gb2312": "gb18030", "gbk": "gb18030",
    "big5": "big5hkscs",
}
_SINGLE_BYTE = re.compile(r"^(?:cp\d+|iso8859-\d+|koi8-[ru]|mac-\w+|tis-620)$")
_DETECT_BYTES = 200_000
_HIGH_LATIN = re.compile(r"[\u00c0-\u00ff]")
_ASCII_LETTERS = re.compile(r"[A-Za-z]")


def _lookup(name: str | None) -> str | None:
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    if label == "x-user-defined":
        return "cp1252"
    try:
        codec = codecs.lookup(label)
    except LookupError:
        return None
    return _WHATWG.get(codec.name, codec.name)


def check_not_binary(body: bytes, stage: str) -> None:
    """Raise BINARY for images, archives, PDFs and other non-text bodies."""
    head = body[:1024]
    if head.startswith(_BINARY_MAGIC):
        raise IngestError(ErrorKind.BINARY, stage, "the body is a binary file (image, archive or PDF), not text")
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise IngestError(ErrorKind.BINARY, stage, "the body contains NUL bytes: it is binary, not text")


def _mostly_utf8(body: bytes) -> bool:
    """True for UTF-8 with a few stray bytes (a pasted cp1252 quote), not another encoding.

    Text in a legacy encoding almost never holds valid multi-byte UTF-8 sequences, so
    several valid ones for each invalid byte mean UTF-8 with damage, not another charset.
    """
    text = body.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - body.count(b"\xef\xbf\xbd")
    valid = len(text) - len(text.encode("ascii", "ignore")) - bad
    return valid >= 3 and valid >= 3 * bad


def _looks_misdecoded(text: str) -> bool:
    """True when a single-byte decoding gave mostly accented Latin letters: the bytes were
    Cyrillic, Greek or another script under a Western label (Ïðèâåò for Привет)."""
    sample = text[:_DETECT_BYTES]
    high = len(_HIGH_LATIN.findall(sample))
    return high > 50 and high > len(_ASCII_LETTERS.findall(sample)) * 0.5


def _detect(body: bytes) -> str | None:
    best = from_bytes(body[:_DETECT_BYTES]).best()
    return best.encoding if best is not None else None


def decode(body: bytes, *, http_charset: str | None = None, html: bool = False,
           stage: str = "decode") -> tuple[str, str]:
    """Decode `body`; return (text, encoding used). Raises IngestError(BINARY/ENCODING)."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(name, errors="replace"), name
    check_not_binary(body, stage)
    candidates: list[str | None] = [_lookup(http_charset)]
    if html:
        head = body[:_PRESCAN_BYTES]
        m = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
        label = _lookup(m.group(1).decode("ascii", "ignore")) if m else None
        # A page cannot declare UTF-16 in its own bytes: without a BOM it is not UTF-16.
        candidates.append("utf-8" if label and label.startswith("utf-16") else label)
    for candidate in candidates:
        if not candidate:
            continue
        # UTF-16 and UTF-32 text without a BOM would hold NUL bytes, which check_not_binary
        # refuses: a body that got here is not in them, whatever its label says (servers send
        # "charset=utf-16" for UTF-8 pages). Decoding it so gives CJK mojibake.
        name = "utf-8" if candidate.startswith(("utf-16", "utf-32")) else candidate
        if name != "utf-8" and _SINGLE_BYTE.match(name) and not body.isascii():
            try:
                return body.decode("utf-8"), "utf-8"  # labelled legacy, written in UTF-8
            except UnicodeDecodeError:
                pass
        try:
            text = body.decode(name)
        except UnicodeDecodeError:
            if name == "utf-8" and _mostly_utf8(body):
                return body.decode("utf-8", errors="replace"), "utf-8"
            if _SINGLE_BYTE.match(name):
                # bytes the label leaves undefined: a browser shows them as U+FFFD too
                return body.decode(name, errors="replace"), name
            continue  # mislabelled multi-byte page: fall through to detection
        if _SINGLE_BYTE.match(name) and _looks_misdecoded(text):
            detected = _detect(body)
            if detected and detected != name:
                return body.decode(detected, errors="replace"), detected
        return text, name
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(body):
        return body.decode("utf-8", errors="replace"), "utf-8"
    detected = _detect(body)
    if detected is None:
        raise IngestError(ErrorKind.ENCODING, stage, "no text encoding decodes this body; is it text at all?")
    return body.decode(detected, errors="replace"), detected
