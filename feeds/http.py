"""Conditional GET (RFC 9110/9111) and a small cache of rendered resources.

Validators: a strong ETag per representation (the gzip one carries a "-gz" suffix, since
the bytes differ) and Last-Modified from the newest entry. If-None-Match wins over
If-Modified-Since, as RFC 9110 section 13.2.2 orders them; either encoding's ETag matches,
because both stand for the same content.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from email.utils import formatdate, parsedate_to_datetime
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import Response

from feeds.render import Rendered

IMMUTABLE = "public, max-age=31536000, immutable"


def accepts_gzip(request: Request) -> bool:
    return gzip_accepted(request.headers.get("accept-encoding", ""))


@lru_cache(maxsize=64)  # clients send a handful of distinct values; the hot path asks on every request
def gzip_accepted(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding value takes gzip (or anything, `*`) with a q-value above 0."""
    for part in accept_encoding.split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            q = params.strip().lower()
            return not (q.startswith("q=") and _float(q[2:]) == 0.0)
    return False


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def not_modified(request: Request, rendered: Rendered) -> bool:
    return is_not_modified(request.headers.get("if-none-match"), request.headers.get("if-modified-since"), rendered)


def is_not_modified(if_none_match: str | None, if_modified_since: str | None, rendered: Rendered) -> bool:
    """Whether the client's copy, named by these request headers (None: not sent), is `rendered`."""
    if if_none_match is not None:
        for tag in if_none_match.split(","):
            tag = tag.strip()
            if tag == "*":
                return True
            tag = tag.removeprefix("W/").strip('"').removesuffix("-gz")
            if tag == rendered.etag:
                return True
        return False
    if if_modified_since and rendered.last_modified is not None:
        try:
            return rendered.last_modified <= int(parsedate_to_datetime(if_modified_since).timestamp())
        except (TypeError, ValueError, IndexError, OverflowError):
            return False  # an unparsable date is ignored, as RFC 9110 says
    return False


def respond(request: Request, rendered: Rendered, cache_control: str,
            extra_headers: dict[str, str] | None = None) -> Response:
    """200 with the body (gzipped when the client takes it), or 304 when the client's copy is current."""
    use_gzip = accepts_gzip(request)
    headers = validator_headers(rendered, use_gzip, cache_control, extra_headers)
    if not_modified(request, rendered):
        return Response(status_code=304, headers=headers)
    if use_gzip:
        headers["Content-Encoding"] = "gzip"
    return Response(rendered.gzipped if use_gzip else rendered.body, media_type=rendered.media_type,
                    headers=headers)


def validator_headers(rendered: Rendered, use_gzip: bool, cache_control: str,
                      extra_headers: dict[str, str] | None = None) -> dict[str, str]:
    """The headers a 200 and a 304 of `rendered` share: validators, caching, and the extra ones."""
    headers = {
        "ETag": f'"{rendered.etag}-gz"' if use_gzip else f'"{rendered.etag}"',
        "Cache-Control": cache_control,
        "Vary": "Accept-Encoding",
        **(extra_headers or {}),
    }
    if rendered.last_modified is not None:
        headers["Last-Modified"] = formatdate(rendered.last_modified, usegmt=True)
    return headers


class RenderCache:
    """The last rendering of each resource, least recently used dropped first."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Rendered | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: Hashable, rendered: Rendered) -> None:
        with self._lock:
            self._items[key] = rendered
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
