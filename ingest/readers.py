"""Saved inputs for replay and extract: walk paths, read files and JSONL corpora, fail per item.

Each input becomes a `RawDocument` (what a fetch would have produced) or a `ReadFailure`
naming the file, the line and the reason; one bad item never stops the others.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ingest.errors import ErrorKind, IngestError

TEXT_SUFFIXES = {".txt", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
# Saved pages and dumps may be gzipped (page.html.gz, dump.txt.gz): read as the inner type.
GZIP_SUFFIX = ".gz"
# JSON can spell code points no text can hold: half a UTF-16 surrogate pair ("\ud800").
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class RawDocument:
    """One unextracted document: a text dump, an HTML page or a corpus record."""

    key: str                      # stable identity: the JSONL id, else the file path or URL
    origin: str                   # where it was read, for messages: "path" or "path:line"
    kind: str                     # "text" or "html"
    body: bytes | str
    url: str | None = None
    lang: str | None = None
    title: str | None = None
    published: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    size: int = 0                 # bytes read, for progress
    source_id: int | None = None  # the crawled source it came from
    locator: tuple[str, int, str] | None = None  # (file, offset of the JSONL line or -1, key): to read it again
    repairs: list[str] = field(default_factory=list)  # what reading had to mend, for a warning


@dataclass
class ReadFailure:
    origin: str
    error: IngestError
    size: int = 0


def total_size(paths: list[str]) -> int:
    """Bytes that `read_inputs(paths)` will read, for a progress bar."""
    return sum(item[0].stat().st_size for item in walk(paths) if isinstance(item, tuple))


def walk(paths: list[str]) -> Iterator[tuple[Path, str] | ReadFailure]:
    """(file, key) under `paths` in a stable order (directories walked, names sorted).

    A file's key — its identity in the database — is its path below the directory given,
    prefixed with that directory's own name: `seeds/000.txt` whether the directory was given
    as `seeds/`, `./seeds` or an absolute path, so a replay run again from anywhere finds
    the documents it stored. A file given alone is keyed by its directory's name and its own.
    """
    for given in paths:
        path = Path(given)
        if path.is_dir():
            base = path.resolve().name or "root"
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        file = Path(root) / name
                        yield file, f"{base}/{file.relative_to(path).as_posix()}"
        elif path.is_file():
            yield path, f"{path.resolve().parent.name or 'root'}/{path.name}"
        else:
            yield ReadFailure(given, IngestError(ErrorKind.NOT_FOUND, "read", "no such file or directory"))


def read_inputs(paths: list[str], *, max_bytes: int) -> Iterator[RawDocument | ReadFailure]:
    """Every document in `paths`, or a failure for each item that cannot be read."""
    for item in walk(paths):
        if isinstance(item, ReadFailure):
            yield item
            continue
        path, key = item
        try:
            yield from _read_file(path, key, max_bytes)
        except IngestError as exc:
            yield ReadFailure(str(path), exc, _size(path))
        except OSError as exc:
            yield ReadFailure(str(path), IngestError(ErrorKind.INTERNAL, "read", f"cannot read the file: {exc}"))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_file(path: Path, key: str, max_bytes: int) -> Iterator[RawDocument | ReadFailure]:
    suffix = path.suffix.lower()
    if suffix == GZIP_SUFFIX and Path(path.stem).suffix.lower() in TEXT_SUFFIXES | HTML_SUFFIXES:
        yield _read_gzipped(path, key, max_bytes)
        return
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(ErrorKind.UNSUPPORTED, "read",
                          f"unknown file type {suffix or '(none)'!r}; replay reads .txt, .html/.htm and .jsonl "
                          "(.txt and .html also gzipped: .txt.gz, .html.gz)")
    size = path.stat().st_size
    if size == 0:
        raise IngestError(ErrorKind.EMPTY, "read", "the file is empty")
    if suffix in JSONL_SUFFIXES:
        yield from _read_jsonl(path, max_bytes)
        return
    if size > max_bytes:
        raise IngestError(ErrorKind.TOO_LARGE, "read",
                          f"{size:,} bytes is over the {max_bytes:,}-byte limit (setting max_document_bytes)")
    body = path.read_bytes()
    yield RawDocument(key=key, origin=str(path), kind="html" if suffix in HTML_SUFFIXES else "text", body=body,
                      size=size, locator=(str(path), -1, key))


def _read_gzipped(path: Path, key: str, max_bytes: int) -> RawDocument:
    """A gzipped .txt or .html file, decompressed; the size cap holds for the decompressed text."""
    size = path.stat().st_size
    if size == 0:
        raise IngestError(ErrorKind.EMPTY, "read", "the file is empty")
    try:
        with gzip.open(path, "rb") as fh:
            body = fh.read(max_bytes + 1)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise IngestError(ErrorKind.MALFORMED, "read", f"not a readable gzip file ({exc})") from None
    if len(body) > max_bytes:
        raise IngestError(ErrorKind.TOO_LARGE, "read",
                          f"over the {max_bytes:,}-byte limit once decompressed (setting max_document_bytes)")
    if not body:
        raise IngestError(ErrorKind.EMPTY, "read", "the file is empty once decompressed")
    inner = Path(path.stem).suffix.lower()
    return RawDocument(key=key, origin=str(path), kind="html" if inner in HTML_SUFFIXES else "text", body=body,
                       size=size, locator=(str(path), -1, key))


def _read_jsonl(path: Path, max_bytes: int) -> Iterator[RawDocument | ReadFailure]:
    with path.open("rb") as fh:
        number = 0
        while True:
            offset = fh.tell()
            line = fh.readline()
            if not line:
                break
            number += 1
            if line.strip():
                yield _parse_line(line, f"{path.as_posix()}:{number}", max_bytes, (path.as_posix(), offset, ""))


def _parse_line(line: bytes, origin: str, max_bytes: int, locator: tuple[str, int, str]
                ) -> RawDocument | ReadFailure:
    if len(line) > max_bytes:
        return ReadFailure(origin, IngestError(ErrorKind.TOO_LARGE, "read",
                                               f"the record is over the {max_bytes:,}-byte limit"), len(line))
    try:
        obj = json.loads(line)
        mended = _mend_surrogates(obj)
        record = _record(obj, origin)
    except (ValueError, UnicodeDecodeError) as exc:
        return ReadFailure(origin, IngestError(ErrorKind.MALFORMED, "read", f"not a JSON object: {exc}"), len(line))
    except IngestError as exc:
        return ReadFailure(origin, exc, len(line))
    record.size = len(line)
    record.locator = locator
    if mended:
        record.repairs.append(f"{mended} lone surrogate code point(s) replaced with U+FFFD")
    return record


def _mend_surrogates(obj: object) -> int:
    """Replace lone surrogates in a decoded JSON object's strings, in place; return how many."""
    if not isinstance(obj, dict):
        return 0
    count = 0
    for name, value in obj.items():
        if isinstance(value, str) and _LONE_SURROGATE.search(value):
            obj[name], n = _LONE_SURROGATE.subn("\ufffd", value)
            count += n
    return count


def read_again(locator: tuple[str, int, str], origin: str, *, max_bytes: int) -> RawDocument | ReadFailure:
    """The document at `locator` (from an earlier read), read anew: replay's second pass."""
    with Rereader(max_bytes) as reader:
        return reader.read(locator, origin)


class Rereader:
    """`read_again` for many documents: a corpus file stays open from one of its records to the
    next (opening it per record cost more than parsing a short one)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._path: Path | None = None
        self._file: BinaryIO | None = None

    def __enter__(self) -> Rereader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._path, self._file = None, None

    def read(self, locator: tuple[str, int, str], origin: str) -> RawDocument | ReadFailure:
        path, offset, key = Path(locator[0]), locator[1], locator[2]
        try:
            if offset < 0:
                return next(iter(_read_file(path, key, self.max_bytes)))
            if self._file is None or self._path != path:
                self.close()
                self._file, self._path = path.open("rb"), path
            self._file.seek(offset)
            return _parse_line(self._file.readline(), origin, self.max_bytes, locator)
        except IngestError as exc:
            return ReadFailure(origin, exc)
        except OSError as exc:
            return ReadFailure(origin, IngestError(ErrorKind.INTERNAL, "read", f"cannot read the file again: {exc}"))


def _record(obj: object, origin: str) -> RawDocument:
    if not isinstance(obj, dict):
        raise IngestError(ErrorKind.MALFORMED, "read", "a JSONL line must be an object with 'id' and 'text' or 'html'")
    key = obj.get("id")
    if key is None or key == "":
        raise IngestError(ErrorKind.MALFORMED, "read", "the record has no 'id'")
    if isinstance(key, bool) or not isinstance(key, str | int):
        raise IngestError(ErrorKind.MALFORMED, "read", f"the record's 'id' must be a string or an integer, not {key!r}")

    def optional(name: str) -> str | None:
        value = obj.get(name)
        return str(value) if value not in (None, "") else None

    if isinstance(obj.get("html"), str) and obj["html"].strip():
        kind, body = "html", obj["html"]
    elif isinstance(obj.get("text"), str):
        kind, body = "text", obj["text"]
    else:
        raise IngestError(ErrorKind.MALFORMED, "read", "the record has neither 'text' nor 'html'")
    return RawDocument(key=str(key), origin=origin, kind=kind, body=body, url=optional("url"),
                       lang=optional("lang"), title=optional("title"), published=optional("published"))
