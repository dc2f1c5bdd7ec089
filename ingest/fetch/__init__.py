"""Fetching: polite, bounded, safe HTTP GETs that end in a FetchResult or an IngestError.

    async with Fetcher(FetchSettings(...)) as fetcher:
        result = await fetcher.fetch(url, etag=old.etag, last_modified=old.last_modified)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the same names, typed, for mypy and editors
    from ingest.fetch.content import (
        DOCUMENT_TYPES,
        FEED_TYPES,
        HTML_TYPES,
        ROBOTS_TYPES,
        SITEMAP_TYPES,
        parse_content_type,
    )
    from ingest.fetch.fetcher import Fetcher, fetch_once
    from ingest.fetch.result import FetchResult
    from ingest.fetch.settings import FetchSettings

# Names are imported on first use: `newsdedup --help` or the settings should not pay for
# heavy dependencies (httpx) of code they never run.
_WHERE = {
    "DOCUMENT_TYPES": "ingest.fetch.content",
    "FEED_TYPES": "ingest.fetch.content",
    "FetchResult": "ingest.fetch.result",
    "FetchSettings": "ingest.fetch.settings",
    "Fetcher": "ingest.fetch.fetcher",
    "HTML_TYPES": "ingest.fetch.content",
    "ROBOTS_TYPES": "ingest.fetch.content",
    "SITEMAP_TYPES": "ingest.fetch.content",
    "fetch_once": "ingest.fetch.fetcher",
    "parse_content_type": "ingest.fetch.content",
}

__all__ = [
    "DOCUMENT_TYPES",
    "FEED_TYPES",
    "FetchResult",
    "FetchSettings",
    "Fetcher",
    "HTML_TYPES",
    "ROBOTS_TYPES",
    "SITEMAP_TYPES",
    "fetch_once",
    "parse_content_type",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
