from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Article:
    """What extraction found in one page or dump: the clean text and the metadata a feed needs.

    `text` holds the article's paragraphs separated by blank lines, boilerplate removed.
    `lang` is the language the page declares (if any); the pipeline detects it when absent.
    Times are ISO 8601 strings as found (normalised to UTC when a zone is known).
    `notes` explains an empty or doubtful result ("no <body>", "binary body", ...).
    """

    title: str = ""
    text: str = ""
    lang: str | None = None
    published: str | None = None
    updated: str | None = None
    authors: list[str] = field(default_factory=list)
    url: str | None = None
    description: str | None = None
    image: str | None = None
    notes: list[str] = field(default_factory=list)
