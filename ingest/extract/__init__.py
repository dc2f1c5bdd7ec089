"""Article extraction: from a saved text dump or an HTML page to an `Article`."""

from ingest.extract.article import Article
from ingest.extract.html import extract_html
from ingest.extract.text import extract_text_dump

__all__ = ["Article", "extract_html", "extract_text_dump"]
