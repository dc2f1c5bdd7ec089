"""Reading a body with a size cap that holds after decompression (gzip bombs included).

httpx would decompress for us, but one 64 KiB chunk of a bomb inflates to ~64 MB before
any count could stop it; decompressing here with `max_length` keeps every step bounded.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

from ingest.errors import ErrorKind, IngestError

# The encodings we advertise; anything else the server sends anyway is refused.
ACCEPT_ENCODING = "gzip, deflate"


class TooLarge(Exception):
    """The decompressed body passed the cap."""


class BoundedDecoder:
    """Decompress one Content-Encoding chunk by chunk, never producing more than `limit` bytes."""

    def __init__(self, content_encoding: str | None, limit: int, *, truncate: bool = False) -> None:
        encodings = [e.strip().lower() for e in (content_encoding or "").split(",") if e.strip()]
        encodings = [e for e in encodings if e != "identity"]
        if len(encodings) > 1:
            raise ValueError(f"stacked content encodings are not supported: {content_encoding}")
        self.encoding = encodings[0] if encodings else None
        if self.encoding not in (None, "gzip", "x-gzip", "deflate"):
            raise ValueError(f"unsupported content encoding {self.encoding!r}")
        self.limit = limit
        self.truncate = truncate      # past the limit: keep what fits and stop, instead of raising
        self.full = False
        self.produced = 0
        self._zlib: zlib._Decompress | None = None
        self._first = True
        self._trailing = False        # the stream has ended; the rest of the body is ignored
        if self.encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, data: bytes) -> bytes:
        if self.encoding is None:
            return self._count(data)
        if self.encoding == "deflate" and self._first:
            # "deflate" should be zlib-wrapped, but some servers send raw deflate.
            wrapped = len(data) >= 2 and (data[0] & 0x0F) == 8 and ((data[0] << 8) | data[1]) % 31 == 0
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        self._first = False
        assert self._zlib is not None
        out = []
        while data and not self._trailing and not self.full:
            if self._zlib.eof and not self._next_member(data):
                break
            # Ask for one byte more than the cap allows so overflow is detected, never buffered.
            chunk = self._zlib.decompress(data, self.limit - self.produced + 1)
            out.append(self._count(chunk))
            data = self._zlib.unused_data if self._zlib.eof else self._zlib.unconsumed_tail
        return b"".join(out)

    def _next_member(self, data: bytes) -> bool:
        """After one gzip member ends, another may follow (concatenated gzip files are valid and
        every member counts toward the cap); anything else after the end is ignored, as browsers do."""
        if self.encoding == "deflate" or not data.startswith(b"\x1f"):
            self._trailing = True
            return False
        self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return True

    def finish(self) -> None:
        """Raise zlib.error if a compressed body stopped before its end (a truncated transfer)."""
        if self._zlib is not None and not self._zlib.eof:
            raise zlib.error("the compressed stream is truncated")

    def _count(self, chunk: bytes) -> bytes:
        self.produced += len(chunk)
        if self.produced > self.limit:
            if not self.truncate:
                raise TooLarge()
            self.full = True
            return chunk[: len(chunk) - (self.produced - self.limit)]
        return chunk


async def read_capped(chunks: AsyncIterator[bytes], content_encoding: str | None, limit: int, *,
                      truncate: bool = False) -> bytes:
    """The decoded body of `chunks` (raw bytes off the wire); raises TooLarge or zlib.error.

    With `truncate`, a body over `limit` is cut at `limit` and the rest is not read."""
    decoder = BoundedDecoder(content_encoding, limit, truncate=truncate)
    parts = []
    async for raw in chunks:
        parts.append(decoder.feed(raw))
        if decoder.full:
            return b"".join(parts)  # cut at the limit; the rest is not read
    decoder.finish()
    return b"".join(parts)


def decompress(data: bytes, content_encoding: str, limit: int, stage: str = "fetch") -> bytes:
    """Decompress a whole buffer under the same cap (a .gz sitemap file); IngestError on failure."""
    decoder = BoundedDecoder(content_encoding, limit)
    try:
        body = decoder.feed(data)
        decoder.finish()
        return body
    except TooLarge:
        raise IngestError(ErrorKind.TOO_LARGE, stage,
                          f"the body inflates past the {limit:,}-byte limit; a compression bomb "
                          "or a file too big to use") from None
    except zlib.error as exc:
        raise IngestError(ErrorKind.MALFORMED, stage, f"the compressed body is corrupt: {exc}") from None
