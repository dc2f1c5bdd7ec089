"""HTML pages for people: the latest stories with their versions side by side, and one stored document.

Everything from the database is escaped with `html.escape` (text and attributes) and links
are only ever http(s) URLs checked by `safe_url` or this service's own paths, so a source
cannot put markup or script on these pages. The pages carry no script at all, and the
server sends a Content-Security-Policy that forbids it as a second line of defence.
"""

from __future__ import annotations

from html import escape

from feeds.atom import summary_text, version_href, version_label
from feeds.views import Entry, Version

_STYLE = """
body{font:16px/1.45 system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:1rem;color:#222;background:#fafafa}
header{border-bottom:1px solid #ddd;margin-bottom:1rem}
h1{font-size:1.5rem;margin:.2rem 0} h2{font-size:1.15rem;margin:.2rem 0 .5rem}
nav a{margin-right:.8rem}
.story{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.8rem 1rem;margin:0 0 1rem}
.meta{color:#666;font-size:.85rem}
.versions{display:flex;gap:.8rem;overflow-x:auto}
.version{flex:1 1 16rem;min-width:14rem;border-left:3px solid #8ab;padding:.2rem .6rem}
.version.translation{border-color:#c96}
.version h3{font-size:1rem;margin:.2rem 0}
.version p{margin:.3rem 0;font-size:.92rem}
article p{max-width:42rem}
"""


def _page(title: str, body: str, head_links: str = "") -> bytes:
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>{escape(title)}</title>{head_links}<style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    ).encode()


def _time(value: str) -> str:
    return f'<time datetime="{escape(value)}">{escape(value[:16].replace("T", " "))}</time>'


def home_page(entries: tuple[Entry, ...], languages: list[tuple[str, int]], *, title: str, head_seq: int,
              archive_pages: int) -> bytes:
    """The latest stories, each with its versions side by side, and links to every feed (autodiscovery too)."""
    head_links = (
        '<link rel="alternate" type="application/atom+xml" title="All stories (Atom)" href="/feed.atom">'
        '<link rel="alternate" type="application/feed+json" title="All stories (JSON Feed)" href="/feed.json">'
        + "".join(
            f'<link rel="alternate" type="application/atom+xml" title="Stories in {escape(lang)}" '
            f'href="/lang/{escape(lang)}.atom">'
            for lang, _ in languages
        )
    )
    nav = ['<a href="/feed.atom">Atom feed</a>', '<a href="/feed.json">JSON Feed</a>']
    nav += [f'<a href="/lang/{escape(lang)}.atom">{escape(lang)} ({count})</a>' for lang, count in languages]
    if archive_pages:
        nav.append(f'<a href="/archive/{archive_pages}.atom">archive</a>')
    stories = "".join(_story(entry) for entry in entries) or "<p>No stories yet.</p>"
    body = (
        f"<header><h1>{escape(title)}</h1><p class=meta>{head_seq} changes so far. Feeds: {' '.join(nav)}</p>"
        f"</header><main>{stories}</main>"
    )
    return _page(title, body, head_links)


def _story(entry: Entry) -> str:
    versions = "".join(_version(v) for v in entry.versions)
    return (
        f'<section class="story" id="{escape(entry.story_id)}"><h2>{escape(entry.main.title)}</h2>'
        f"<p class=meta>first published {_time(entry.published)}, updated {_time(entry.updated)}, "
        f"{len(entry.versions)} version{'s' if len(entry.versions) != 1 else ''} in "
        f"{escape(', '.join(entry.languages))}</p>"
        f'<div class="versions">{versions}</div></section>'
    )


def _version(v: Version) -> str:
    href = version_href(v, "")
    source = f" · {escape(v.source_name)}" if v.source_name else ""
    return (
        f'<div class="version {escape(v.role)}" lang="{escape(v.lang)}">'
        f'<p class=meta>{escape(version_label(v))}{source}</p>'
        f'<h3><a href="{escape(href)}" hreflang="{escape(v.lang)}">{escape(v.title)}</a></h3>'
        f"<p>{escape(summary_text(v))}</p></div>"
    )


def document_page(version: Version, *, story_id: str) -> bytes:
    """One stored document: what the feeds link to when a version has no URL of its own."""
    paragraphs = "".join(f"<p>{escape(p.strip())}</p>" for p in version.text.split("\n\n") if p.strip())
    original = f' · <a href="{escape(version.url)}">original</a>' if version.url else ""
    body = (
        f'<header><p class=meta><a href="/">newsdedup</a> · story <a href="/#{escape(story_id)}">'
        f"{escape(story_id)}</a>{original}</p></header>"
        f'<article lang="{escape(version.lang)}"><h1>{escape(version.title)}</h1>'
        f"<p class=meta>{escape(version.lang)}, revision {version.revision}"
        f"{' · ' + escape(version.source_name) if version.source_name else ''}</p>{paragraphs}</article>"
    )
    return _page(version.title, body)
