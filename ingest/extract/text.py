"""Saved plain-text article dumps: boilerplate out, metadata kept."""

from __future__ import annotations

import re
from typing import cast

from ingest.extract.article import Article
from ingest.extract.boilerplate import clean_paragraphs, is_furniture, is_teaser_heading, normalise_space
from ingest.extract.metadata import date_from_url

# Some dumps open with " date 2025-11-22 " before the first paragraph.
_LEADING_DATE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?)\s+", re.IGNORECASE)
_TITLE_MAX = 160


def extract_text_dump(text: str, *, title: str | None = None) -> Article:
    """Clean a plain-text dump of an article page into an `Article`.

    With no `title` given, the first line is taken as the title when it reads like one
    (short, no closing full stop) and more text follows; otherwise the title is derived
    from the first sentence.
    """
    article = Article()
    m = _LEADING_DATE.match(text)
    if m:
        article.published = m.group(1).replace(" ", "T")
        text = text[m.end():]
    lines = text.splitlines()
    first_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first_index is not None:
        first = normalise_space(lines[first_index])
        more_follows = any(line.strip() for line in lines[first_index + 1:])
        if title is not None:
            article.title = title
            if first == normalise_space(title) and more_follows:
                lines = lines[first_index + 1:]
        elif _looks_like_title(first) and more_follows and not is_teaser_heading(first) \
                and not is_furniture(first):
            article.title = first
            lines = lines[first_index + 1:]
    paragraphs, meta = clean_paragraphs(lines)
    article.text = "\n\n".join(paragraphs)
    article.url = meta.get("url")  # type: ignore[assignment]
    article.published = article.published or date_from_url(article.url)
    article.authors = list(cast(list[str], meta["authors"]))
    if not article.title and paragraphs:
        article.title = title_from_text(paragraphs[0])
    if not article.text:
        article.notes.append("no article text left after removing boilerplate")
    return article


def _looks_like_title(line: str) -> bool:
    return 0 < len(line) <= _TITLE_MAX and line[-1] not in ".:;,|" and len(line.split()) >= 2


def title_from_text(paragraph: str, limit: int = 120) -> str:
    """A title for an untitled text: its first sentence, cut on a word boundary."""
    sentence = re.split(r"(?<=[.!?。！？])\s", paragraph, maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence
    cut = sentence[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:-–— ") + "…"
