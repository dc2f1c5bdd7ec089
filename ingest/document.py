"""The document: one fetched or replayed article, extracted, with its language and content hash."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest import language
from ingest.errors import ErrorKind, IngestError
from ingest.extract import Article, extract_html, extract_text_dump
from ingest.extract.encoding import check_not_binary, decode
from ingest.readers import RawDocument


@dataclass
class Document:
    key: str                    # stable identity: corpus id, file path or URL
    title: str
    text: str
    lang: str
    url: str | None = None
    published: str | None = None
    updated: str | None = None
    authors: list[str] = field(default_factory=list)
    description: str | None = None
    image: str | None = None
    content_hash: str = ""
    source_id: int | None = None


def content_hash(title: str, text: str) -> str:
    """Hash of the normalised title and text: equal for byte-different copies of the same words."""
    normal = unicodedata.normalize("NFKC", f"{title}\n{text}").casefold()
    return hashlib.sha256(" ".join(normal.split()).encode("utf-8")).hexdigest()[:32]


def extract(raw: RawDocument) -> Article:
    """Run the extractor that fits the raw document's kind."""
    if raw.kind == "html":
        body = raw.body if isinstance(raw.body, bytes) else raw.body.encode("utf-8")
        return extract_html(body, url=raw.url, headers=raw.headers)
    text = decode_text_dump(raw.body) if isinstance(raw.body, bytes) else raw.body
    return extract_text_dump(text, title=raw.title)


def decode_text_dump(body: bytes) -> str:
    """Saved text dumps are UTF-8 (or carry a BOM); guessing another encoding would store mojibake."""
    if body.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return decode(body, stage="read")[0]
    check_not_binary(body, "read")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(ErrorKind.ENCODING, "read",
                          f"not valid UTF-8 (byte {exc.start}: {body[exc.start:exc.start + 4]!r}); "
                          "save the dump as UTF-8") from None


def build_document(raw: RawDocument) -> Document:
    """Extract `raw` and identify its language. Raises IngestError(EMPTY) when no text is left."""
    return document_from(raw, extract_article(raw))


def extract_article(raw: RawDocument) -> Article:
    """`extract`, refusing an article without text (IngestError EMPTY)."""
    article = extract(raw)
    if not article.text.strip():
        reason = "; ".join(article.notes) or "no article text"
        raise IngestError(ErrorKind.EMPTY, "extract", reason)
    return article


def languages_of(extracted: Sequence[tuple[RawDocument, Article]]) -> list[str]:
    """Each article's language, identified together (`language.detect_many`); what the input
    declares (a corpus's lang field, the page's lang attribute) is kept unless the text says
    otherwise."""
    found = iter(language.detect_many([(article.text, raw.lang or article.lang)
                                       for raw, article in extracted if article.text]))
    return [next(found) if article.text else language.UNKNOWN for _, article in extracted]


def document_from(raw: RawDocument, article: Article, lang: str | None = None) -> Document:
    """The document of `raw` as extracted: what the input says (a corpus's title, lang, url,
    published) wins over what extraction found; the language is identified from the text
    (`lang`: when `languages_of` has done it already)."""
    title = raw.title or article.title
    return Document(
        key=raw.key,
        title=title,
        text=article.text,
        lang=languages_of([(raw, article)])[0] if lang is None else lang,
        url=raw.url or article.url,
        published=raw.published or article.published,
        updated=article.updated,
        authors=article.authors,
        description=article.description,
        image=article.image,
        content_hash=content_hash(title, article.text),
        source_id=raw.source_id,
    )
