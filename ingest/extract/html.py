"""HTML pages to `Article`: a first extractor (the extraction issue makes it excellent)."""

from __future__ import annotations

from collections.abc import Mapping

from bs4 import BeautifulSoup

from ingest.extract.article import Article
from ingest.extract.boilerplate import clean_paragraphs
from ingest.extract.text import title_from_text

_BLOCKS = ["p", "h2", "h3", "h4", "li", "blockquote", "pre"]
_DROP = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg"]


def extract_html(body: bytes | str, *, url: str | None = None,
                 headers: Mapping[str, str] | None = None) -> Article:
    """Extract title, text and metadata from an HTML page given as bytes (or decoded text)."""
    soup = BeautifulSoup(body, "lxml")
    article = Article(url=url)
    html = soup.find("html")
    if html is not None and html.get("lang"):
        article.lang = str(html.get("lang")).split("-")[0].lower()
    title = soup.find("meta", attrs={"property": "og:title"})
    if title is not None and title.get("content"):
        article.title = str(title["content"]).strip()
    elif soup.title is not None and soup.title.string:
        article.title = soup.title.string.strip()
    for tag in soup(_DROP):
        tag.decompose()
    root = soup.find("article") or soup.body or soup
    paragraphs = [el.get_text(" ", strip=True) for el in root.find_all(_BLOCKS)]
    if not any(paragraphs):
        paragraphs = root.get_text("\n", strip=True).splitlines()
    kept, meta = clean_paragraphs(paragraphs)
    article.text = "\n\n".join(kept)
    article.authors = list(meta["authors"])  # type: ignore[arg-type]
    article.url = article.url or meta.get("url")  # type: ignore[assignment]
    if not article.title and kept:
        article.title = title_from_text(kept[0])
    if not article.text:
        article.notes.append("no article text found in the page")
    return article
