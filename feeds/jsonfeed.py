"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1) of the same views the Atom feeds show.

Versions and the change-log rows an item stands for go in a `_newsdedup` extension object,
as the spec provides for extensions (keys starting with an underscore).
"""

from __future__ import annotations

import json
from typing import Any

from feeds.atom import content_html, summary_text, version_href
from feeds.views import Entry, Feed, Version, story_tag

VERSION = "https://jsonfeed.org/version/1.1"


def render_json_feed(feed: Feed, *, base_url: str, hub: str | None = None) -> bytes:
    """The JSON Feed document for `feed`, as UTF-8 bytes (text was made XML-safe, so it is valid UTF-8)."""
    doc: dict[str, Any] = {
        "version": VERSION,
        "title": feed.title,
        "home_page_url": base_url + "/",
        "feed_url": base_url + "/feed.json",
        "description": "Each news story once, its versions and translations linked; newest change first.",
        "authors": [{"name": "newsdedup"}],
    }
    if hub:
        doc["hubs"] = [{"type": "WebSub", "url": hub}]
    doc["items"] = [_item(entry, base_url) for entry in feed.entries]
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def _item(entry: Entry, base_url: str) -> dict[str, Any]:
    main = entry.main
    item: dict[str, Any] = {
        "id": story_tag(entry.story_id),
        "url": version_href(main, base_url),
        "title": main.title,
        "content_html": content_html(entry, base_url),
        "summary": summary_text(main),
        "date_published": entry.published,
        "date_modified": entry.updated,
        "authors": _authors(main),
        "tags": [f"lang:{lang}" for lang in entry.languages],
        "language": main.lang,
        "_newsdedup": {
            "versions": [
                {"document": v.document_id, "url": version_href(v, base_url), "title": v.title, "language": v.lang,
                 "role": v.role, "revision": v.revision, "source": v.source_name, "added": v.added_at}
                for v in entry.versions
            ],
            "changes": [{"seq": c.seq, "kind": c.kind, "document": c.document_id, "at": c.at}
                        for c in entry.changes],
        },
    }
    return item


def _authors(version: Version) -> list[dict[str, str]]:
    # As in the Atom feed: the source, else the byline.
    if version.source_name or not version.authors:
        author = {"name": version.source_name or "unknown source"}
        if version.source_url:
            author["url"] = version.source_url
        return [author]
    return [{"name": name} for name in version.authors]
