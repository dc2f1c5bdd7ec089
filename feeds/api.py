"""The JSON API for scripts: `/api/stories` (paged, filtered, searched) and `/api/stories/{id}`.

The same views the HTML pages show (`views.StoryList`, `views.StoryDetail`), as plain JSON:
stable keys, times in RFC 3339 UTC, links absolute.
"""

from __future__ import annotations

import json
from typing import Any

from feeds.atom import version_href
from feeds.views import Entry, Grouping, StoryDetail, StoryList, Version


def story_list_json(listing: StoryList, base_url: str) -> bytes:
    doc: dict[str, Any] = {
        "page": listing.page,
        "pages": listing.pages,
        "total": listing.total,
        "filters": {"lang": listing.lang, "source": listing.source_id, "q": listing.query},
        "stories": [_story_summary(entry, base_url) for entry in listing.entries],
    }
    return _dump(doc)


def story_json(detail: StoryDetail, base_url: str) -> bytes:
    entry = detail.entry
    doc = _story_summary(entry, base_url)
    doc["original"] = detail.original.document_id
    doc["versions"] = [_version(v, base_url, detail.groupings.get(v.document_id)) for v in entry.versions]
    doc["revisions"] = [
        {"document": change.document_id, "revision": change.revision, "seen": change.seen_at,
         "title_before": change.title_before, "title_after": change.title_after,
         "diff": [{"op": part.op, "text": part.text} for part in change.parts]}
        for change in detail.revisions
    ]
    return _dump(doc)


def _story_summary(entry: Entry, base_url: str) -> dict[str, Any]:
    return {
        "id": entry.story_id,
        "url": f"{base_url}/stories/{entry.story_id}",
        "api_url": f"{base_url}/api/stories/{entry.story_id}",
        "title": entry.original.title,
        "published": entry.published,
        "updated": entry.updated,
        "languages": entry.languages,
        "versions": [{"document": v.document_id, "role": v.role, "lang": v.lang, "title": v.title,
                      "url": version_href(v, base_url)} for v in entry.versions],
    }


def _version(v: Version, base_url: str, why: Grouping | None) -> dict[str, Any]:
    return {
        "document": v.document_id,
        "role": v.role,
        "lang": v.lang,
        "title": v.title,
        "url": version_href(v, base_url),
        "stored_copy": f"{base_url}/documents/{v.document_id}",
        "published": v.published,
        "added": v.added_at,
        "revision": v.revision,
        "source": {"id": v.source_id, "name": v.source_name, "url": v.source_url},
        "authors": list(v.authors),
        "text": v.text,
        "grouped_by": None if why is None else {
            "rule": why.rule,
            "score": why.score,
            "matched_document": why.matched_document_id,
            "shared_anchors": list(why.shared_anchors),
            "lexical_similarity": why.lexical_similarity,
        },
    }


def _dump(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
