"""HTML pages for people: the stories (paged, filtered, searched), one story in full, one stored document.

Everything from the database is escaped with `html.escape` (text and attributes) and links
are only ever http(s) URLs checked by `safe_url` or this service's own paths, so a source
cannot put markup or script on these pages. The pages carry no script at all (filters and
search are plain GET forms), and the server sends a Content-Security-Policy that forbids it
as a second line of defence.

Layout: versions sit in a CSS grid whose columns are at most as wide as the screen
(`minmax(min(100%, 15rem), 1fr)`), and long words and URLs may break anywhere, so nothing is
cut off or scrolls sideways at any width from 360 px up.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from feeds.atom import summary_text, version_href, version_label
from feeds.views import ORIGINAL, DiffPart, Entry, Grouping, RevisionChange, StoryDetail, StoryList, Version

_STYLE = """
*{box-sizing:border-box}
body{font:16px/1.45 system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:1rem;color:#222;background:#fafafa;
overflow-wrap:anywhere}
header{border-bottom:1px solid #ddd;margin-bottom:1rem;padding-bottom:.5rem}
h1{font-size:1.5rem;margin:.2rem 0} h2{font-size:1.15rem;margin:.2rem 0 .5rem} h3{font-size:1rem;margin:.2rem 0}
a{color:#0b5394}
nav a{margin-right:.8rem;display:inline-block}
form{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:.5rem 0}
input,select,button{font:inherit;max-width:100%;padding:.2rem .4rem}
input[type=search]{flex:1 1 12rem;min-width:0}
.story,.panel{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.8rem 1rem;margin:0 0 1rem}
.meta{color:#555;font-size:.85rem;margin:.2rem 0}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,15rem),1fr));gap:.8rem;margin:.5rem 0}
.version{min-width:0;border-left:3px solid #8ab;padding:.2rem .6rem;background:#fff}
.version.original{border-color:#2a7}
.version.translation{border-color:#c96}
.version p{margin:.3rem 0;font-size:.92rem}
.role{font-weight:600;text-transform:uppercase;font-size:.75rem;letter-spacing:.03em}
.pages{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}
.empty{background:#fff;border:1px dashed #bbb;border-radius:6px;padding:1rem}
code,kbd{font-family:ui-monospace,monospace;font-size:.9em;background:#eee;padding:0 .2rem;white-space:pre-wrap}
.why li{margin:.3rem 0}
.anchors{font-family:ui-monospace,monospace;font-size:.85rem}
del{background:#fdd;color:#900} ins{background:#dfd;color:#060;text-decoration:none}
.diff{font-size:.92rem}
article p{max-width:42rem}
"""


def _page(title: str, body: str, head_links: str = "", *, query: str = "") -> bytes:
    search = (
        '<form class=search role=search action="/search" method="get">'
        f'<input type="search" name="q" value="{escape(query)}" placeholder="Search titles and texts" '
        'aria-label="Search titles and texts, any language"><button type="submit">Search</button></form>'
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f'<title>{escape(title)}</title><link rel="icon" href="/favicon.svg" type="image/svg+xml">'
        f"{head_links}<style>{_STYLE}</style></head>"
        f'<body><header><nav><a href="/"><strong>newsdedup</strong></a><a href="/feed.atom">Atom</a>'
        f'<a href="/feed.json">JSON Feed</a><a href="/api/stories">API</a></nav>{search}</header>'
        f"{body}</body></html>\n"
    ).encode()


def _time(value: str | None) -> str:
    if not value:
        return "unknown"
    return f'<time datetime="{escape(value)}">{escape(value[:16].replace("T", " "))}</time>'


def _plural(n: int, word: str) -> str:
    plural = word[:-1] + "ies" if word.endswith("y") else word + "s"
    return f"{n} {word if n == 1 else plural}"


# -- the story list (home page, filters, pagination)


def home_page(listing: StoryList, languages: list[tuple[str, int]], sources: list[tuple[int, str]], *,
              title: str, head_seq: int, archive_pages: int) -> bytes:
    """A page of stories, newest change first, each with its versions; language and source filters,
    links to every feed (autodiscovery too) and to older pages down to the first story."""
    head_links = (
        '<link rel="alternate" type="application/atom+xml" title="All stories (Atom)" href="/feed.atom">'
        '<link rel="alternate" type="application/feed+json" title="All stories (JSON Feed)" href="/feed.json">'
        + "".join(
            f'<link rel="alternate" type="application/atom+xml" title="Stories in {escape(lang)}" '
            f'href="/lang/{escape(lang)}.atom">'
            for lang, _ in languages
        )
    )
    feeds = [f'<a href="/lang/{escape(lang)}.atom">{escape(lang)} ({count})</a>' for lang, count in languages]
    if archive_pages:
        feeds.append(f'<a href="/archive/{archive_pages}.atom">archive</a>')
    if head_seq == 0:
        main = _empty_state()
    else:
        stories = "".join(_story_card(entry) for entry in listing.entries) or (
            "<p class=empty>No story matches these filters. <a href=\"/\">Show every story</a>.</p>")
        main = (f"{_filters(listing, languages, sources)}"
                f"<p class=meta>{_plural(listing.total, 'story')}{_filter_label(listing, sources)}, "
                f"page {listing.page} of {listing.pages}; {_plural(head_seq, 'change')} so far.</p>"
                f"{stories}{_pagination(listing, '/')}")
    body = (f"<main><h1>{escape(title)}</h1>{main}</main>"
            f"<footer><p class=meta>Feeds by language: {' '.join(feeds) or 'none yet'}</p></footer>")
    return _page(title, body, head_links)


def _empty_state() -> str:
    return (
        "<div class=empty><h2>No stories yet</h2>"
        "<p>newsdedup shows each news story once, with its versions and translations side by side. "
        "Give it articles in one of two ways:</p><ul>"
        "<li>follow a site: <code>newsdedup sources add --discover https://example.org/</code> "
        "(or a feed URL), and keep <code>newsdedup serve</code> running: it polls every source on its "
        "schedule;</li>"
        "<li>replay saved files (.txt, .html, .jsonl, also gzipped): <code>newsdedup replay seeds/</code>, "
        "or start with <code>newsdedup serve --replay seeds/</code>.</li></ul>"
        "<p>This page shows them as soon as they are stored; reload it.</p></div>"
    )


def _filters(listing: StoryList, languages: list[tuple[str, int]], sources: list[tuple[int, str]]) -> str:
    lang_options = "".join(
        f'<option value="{escape(lang)}"{" selected" if lang == listing.lang else ""}>{escape(lang)} ({count})'
        "</option>" for lang, count in languages)
    source_options = "".join(
        f'<option value="{sid}"{" selected" if sid == listing.source_id else ""}>{escape(name)}</option>'
        for sid, name in sources)
    source_select = (f'<label>source <select name="source"><option value="">any</option>{source_options}'
                     "</select></label>") if sources else ""
    return (f'<form class=filters action="/" method="get"><label>language <select name="lang">'
            f'<option value="">any</option>{lang_options}</select></label>{source_select}'
            '<button type="submit">Filter</button></form>')


def _filter_label(listing: StoryList, sources: list[tuple[int, str]]) -> str:
    if listing.lang:
        return f" with a version in {escape(listing.lang)}"
    if listing.source_id is not None:
        name = dict(sources).get(listing.source_id, f"source {listing.source_id}")
        return f" from {escape(name)}"
    return ""


def _pagination(listing: StoryList, path: str) -> str:
    if listing.pages <= 1:
        return ""
    params: dict[str, str] = {}
    if listing.query:
        params["q"] = listing.query
    if listing.lang:
        params["lang"] = listing.lang
    if listing.source_id is not None:
        params["source"] = str(listing.source_id)

    def href(page: int) -> str:
        return escape(f"{path}?{urlencode({**params, 'page': str(page)})}")

    links = []
    if listing.page > 1:
        links.append(f'<a rel="first" href="{href(1)}">newest</a>')
        links.append(f'<a rel="prev" href="{href(listing.page - 1)}">← newer</a>')
    links.append(f"<span>page {listing.page} of {listing.pages}</span>")
    if listing.page < listing.pages:
        links.append(f'<a rel="next" href="{href(listing.page + 1)}">older →</a>')
        links.append(f'<a rel="last" href="{href(listing.pages)}">oldest (the first story)</a>')
    return f'<nav class=pages aria-label="pages">{"".join(links)}</nav>'


def _story_card(entry: Entry, shown: Version | None = None) -> str:
    """A story in a list, titled by its original (or by `shown`: the version a search matched)."""
    shown = shown or entry.original
    versions = "".join(_version_card(v, compact=True) for v in _original_first(entry))
    return (
        f'<section class="story" id="{escape(entry.story_id)}">'
        f'<h2 lang="{escape(shown.lang)}"><a href="/stories/{escape(entry.story_id)}">{escape(shown.title)}</a></h2>'
        f"<p class=meta>first published {_time(entry.published)}, updated {_time(entry.updated)}, "
        f"{_plural(len(entry.versions), 'version')} in {escape(', '.join(entry.languages))} · "
        f'<a href="/stories/{escape(entry.story_id)}">story page</a></p>'
        f'<div class="grid versions">{versions}</div></section>'
    )


def _original_first(entry: Entry) -> list[Version]:
    """The original, then the other versions in the order they arrived."""
    return [entry.original, *(v for v in entry.versions if v is not entry.original)]


def _version_card(v: Version, *, compact: bool = False) -> str:
    href = version_href(v, "")
    source = f" · {escape(v.source_name)}" if v.source_name else ""
    when = f"published {_time(v.published)}" if v.published else f"no publication date; first seen {_time(v.added_at)}"
    published = "" if compact else f"<p class=meta>{when}</p>"
    stored = "" if compact else f' · <a href="/documents/{v.document_id}">stored copy</a>'
    return (
        f'<div class="version {escape(v.role)}" lang="{escape(v.lang)}">'
        f'<p class=meta><span class=role>{escape(v.role)}</span> ({escape(v.lang)}){source}</p>'
        f'<h3><a href="{escape(href)}" hreflang="{escape(v.lang)}">{escape(v.title)}</a></h3>{published}'
        f'<p lang="{escape(v.lang)}">{escape(summary_text(v))}</p>'
        + ("" if compact else f"<p class=meta>revision {v.revision}{stored}</p>")
        + "</div>"
    )


# -- one story


def story_page(detail: StoryDetail) -> bytes:
    """A story in full: every version and translation, why each was grouped, what changed between revisions."""
    entry = detail.entry
    title = detail.original
    versions = "".join(_version_card(v) for v in _original_first(entry))
    body = (
        f'<main><article class="story-page"><h1 lang="{escape(title.lang)}">{escape(title.title)}</h1>'
        f"<p class=meta>{_plural(len(entry.versions), 'version')} in {escape(', '.join(entry.languages))}; "
        f"first published {_time(entry.published)}, updated {_time(entry.updated)}. The original is "
        f"{escape(version_label(detail.original))}: the earliest published version (the first seen when "
        "none has a date).</p>"
        f'<section id="versions"><h2>Versions and translations</h2><div class="grid versions">{versions}</div>'
        f"</section>{_why_grouped(detail)}{_revisions(detail)}"
        f'<p class=meta>Feed of this story\'s languages: '
        + " ".join(f'<a href="/lang/{escape(lang)}.atom">{escape(lang)}</a>' for lang in entry.languages)
        + "</p></article></main>"
    )
    return _page(title.title, body)


def _why_grouped(detail: StoryDetail) -> str:
    entry = detail.entry
    items = []
    for v in entry.versions:
        why = detail.groupings.get(v.document_id)
        label = f"<strong>{escape(version_label(v))}</strong> {escape(v.title)}"
        if why is None:
            first = v.document_id == entry.versions[0].document_id
            reason = "started the story" if first else "joined before reasons were recorded"
            items.append(f"<li>{label}: {reason}.</li>")
        else:
            items.append(f"<li>{label}: {_reason(why)}</li>")
    return (f'<section id="why-grouped" class=panel><h2>Why these are one story</h2>'
            "<p class=meta>When a document arrives it joins the story it links to best; this is the link that "
            "decided each one (score: the link's measure over its rule's threshold, 1.0 or more passes).</p>"
            f'<ul class=why>{"".join(items)}</ul></section>')


_RULE_NAMES = {
    "exact-copy": "an exact copy of",
    "near-duplicate": "a near-duplicate of",
    "paraphrase": "a same-language rewrite of",
    "translation": "a translation of",
}


def _reason(why: Grouping) -> str:
    matched = escape(why.matched_title) if why.matched_title else f"document {why.matched_document_id}"
    if why.matched_document_id is not None:
        matched = f'<a href="/documents/{why.matched_document_id}">{matched}</a>'
    evidence = []
    if why.shared_anchors:
        shown = " ".join(why.shared_anchors[:40]) + (" …" if len(why.shared_anchors) > 40 else "")
        evidence.append(f"{len(why.shared_anchors)} shared anchors (names, numbers, months): "
                        f"<span class=anchors>{escape(shown)}</span>")
    if why.lexical_similarity is not None:
        evidence.append(f"text similarity {why.lexical_similarity:.2f}")
    return (f"{escape(_RULE_NAMES.get(why.rule, why.rule))} {matched} (rule <code>{escape(why.rule)}</code>, "
            f"score {why.score:.2f})" + (f"; {'; '.join(evidence)}." if evidence else "."))


def _revisions(detail: StoryDetail) -> str:
    if not detail.revisions:
        return ""
    titles = {v.document_id: v for v in detail.entry.versions}
    items = "".join(_revision(change, titles.get(change.document_id)) for change in detail.revisions)
    return f'<section id="revisions" class=panel><h2>What changed</h2>{items}</section>'


def _revision(change: RevisionChange, version: Version | None) -> str:
    name = escape(version_label(version)) if version else f"document {change.document_id}"
    title = ""
    if change.title_before != change.title_after:
        title = (f"<p class=diff>title: <del>{escape(change.title_before)}</del> "
                 f"<ins>{escape(change.title_after)}</ins></p>")
    return (f"<div class=revision><h3>{name}, revision {change.revision - 1} → {change.revision} "
            f"({_time(change.seen_at)})</h3>{title}<p class=diff>{_diff(change.parts)}</p></div>")


def _diff(parts: tuple[DiffPart, ...]) -> str:
    tags = {"added": "ins", "removed": "del"}
    out = []
    for part in parts:
        tag = tags.get(part.op)
        out.append(f"<{tag}>{escape(part.text)}</{tag}>" if tag else escape(part.text))
    return " ".join(out) or "(only whitespace changed)"


# -- search


def search_page(listing: StoryList) -> bytes:
    query = listing.query or ""
    if not query.strip():
        found = "<p>Type words to find in titles and texts, in any language (Chinese and Japanese too).</p>"
    elif not listing.entries:
        found = f"<p class=empty>No story holds “{escape(query)}”.</p>"
    else:
        verb = "holds" if listing.total == 1 else "hold"
        found = (f"<p class=meta>{_plural(listing.total, 'story')} {verb} “{escape(query)}”; page {listing.page} "
                 f"of {listing.pages}.</p>" + "".join(_story_card(e, e.main) for e in listing.entries)
                 + _pagination(listing, "/search"))
    return _page(f"Search: {query}" if query else "Search", f"<main><h1>Search</h1>{found}</main>", query=query)


# -- one stored document


def document_page(version: Version, *, story_id: str, siblings: tuple[Version, ...] = ()) -> bytes:
    """One stored document: what the feeds link to when a version has no URL of its own; it links its
    story and the story's other versions."""
    paragraphs = "".join(f"<p>{escape(p.strip())}</p>" for p in version.text.split("\n\n") if p.strip())
    at_source = f' · <a href="{escape(version.url)}">at the source</a>' if version.url else ""
    others = "".join(
        f'<li><a href="/documents/{v.document_id}" hreflang="{escape(v.lang)}">{escape(v.title)}</a> — '
        f"{escape(version_label(v))}{' · ' + escape(v.source_name) if v.source_name else ''}</li>"
        for v in siblings if v.document_id != version.document_id)
    sibling_list = f"<section class=panel><h2>Other versions</h2><ul>{others}</ul></section>" if others else ""
    published = f", published {_time(version.published)}" if version.published else ""
    body = (
        f'<main><p class=meta>part of <a href="/stories/{escape(story_id)}">story {escape(story_id)}</a>'
        f"{at_source}</p>"
        f'<article lang="{escape(version.lang)}"><h1>{escape(version.title)}</h1>'
        f"<p class=meta>{escape(version_label(version))}, revision {version.revision}{published}"
        f"{' · ' + escape(version.source_name) if version.source_name else ''}</p>{paragraphs}</article>"
        f"{sibling_list}</main>"
    )
    return _page(version.title, body)


__all__ = ["ORIGINAL", "document_page", "home_page", "search_page", "story_page"]
