"""Fetching: polite, bounded, safe HTTP GETs that end in a FetchResult or an IngestError.

    async with Fetcher(FetchSettings(...)) as fetcher:
        result = await fetcher.fetch(url, etag=old.etag, last_modified=old.last_modified)
"""

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

__all__ = [
    "DOCUMENT_TYPES",
    "FEED_TYPES",
    "HTML_TYPES",
    "ROBOTS_TYPES",
    "SITEMAP_TYPES",
    "FetchResult",
    "FetchSettings",
    "Fetcher",
    "fetch_once",
    "parse_content_type",
]
