"""Bad input gives a clear result: an Article with a note, or IngestError(BINARY); never a crash.

Speed is not asserted here (that is the benchmark's job), but every case below would
hang, exhaust memory or raise RecursionError in a naive recursive extractor.
"""

from __future__ import annotations

import gzip
import json

import pytest

from ingest.errors import ErrorKind, IngestError
from ingest.extract import extract_html
from ingest.extract.html import MAX_PARSE_BYTES

PARAGRAPH = ("The harbour reopened on Monday after three days of storms, and the first ferries left "
             "on their usual timetable with every seat taken by travellers who had waited all weekend.")
SECOND = ("Port officials said the damage to the piers was lighter than feared, and repairs to the "
          "northern breakwater should be finished before the end of the month.")


def page(body: str, head: str = "<title>Harbour reopens</title>") -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()


@pytest.mark.parametrize("body", [
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    gzip.compress(b"<html><body><p>compressed twice</p></body></html>"),
    b"GIF89a\x01\x00\x01\x00",
    b"<html>\x00\x00\x00\x00binary junk",
])
def test_binary_bodies_served_as_html_raise_binary(body: bytes) -> None:
    with pytest.raises(IngestError) as err:
        extract_html(body)
    assert err.value.kind is ErrorKind.BINARY
    assert err.value.stage == "extract"


@pytest.mark.parametrize("body, note", [
    (b"", "empty"),
    (b"   \n\t  ", "empty"),
    (b"<html><head><title>Only a title</title></head></html>", "no <body>"),
    (b"<html><head><script>var a = 1;</script></head><body><script>document.write('x')</script></body></html>",
     "no text"),
    (b"<!-- nothing but a comment -->", "no elements"),
])
def test_pages_without_text_say_why(body: bytes, note: str) -> None:
    article = extract_html(body)
    assert article.text == ""
    assert any(note in n for n in article.notes), article.notes


def test_frameset_page_says_its_text_is_elsewhere() -> None:
    body = (b"<html><head><title>Archive</title></head><frameset cols='20%,80%'>"
            b"<frame src='menu.html'><frame src='main.html'></frameset></html>")
    article = extract_html(body)
    assert article.text == ""
    assert article.title == "Archive"
    assert any("frameset" in n for n in article.notes)


def test_page_without_body_element_still_gives_its_text() -> None:
    # No <body> tag at all, as in many hand-written pages: the parser supplies one.
    body = f"<html><title>Harbour reopens</title><p>{PARAGRAPH}</p><p>{SECOND}</p>".encode()
    article = extract_html(body)
    assert article.title == "Harbour reopens"
    assert article.text.startswith("The harbour reopened")


def test_twenty_megabyte_page_is_cut_and_still_extracted() -> None:
    filler = "<div class='row'><p>" + PARAGRAPH + "</p></div>\n"
    body = page(filler * (20_000_000 // len(filler)))
    assert len(body) > 19_000_000
    article = extract_html(body)
    assert article.text.startswith("The harbour reopened")
    assert len(article.text) <= MAX_PARSE_BYTES
    assert any("only its start was read" in n for n in article.notes)


def test_twenty_megabyte_text_string_is_cut_too() -> None:
    body = page(("<p>" + PARAGRAPH + "</p>") * 110_000).decode()
    article = extract_html(body)
    assert article.text.startswith("The harbour reopened")
    assert any("only its start was read" in n for n in article.notes)


def test_five_thousand_levels_of_nesting_do_not_recurse() -> None:
    body = page(f"<p>{PARAGRAPH}</p><p>{SECOND}</p>" + "<div>" * 5000 + "deep" + "</div>" * 5000)
    article = extract_html(body)
    assert article.text.startswith("The harbour reopened")
    assert any("deeper than 255 levels" in n for n in article.notes)


def test_five_thousand_unclosed_inline_tags() -> None:
    body = page(f"<p>{PARAGRAPH}</p>" + "<span><b><i>" * 5000 + PARAGRAPH)
    article = extract_html(body)
    assert article.text.startswith("The harbour reopened")


def test_deeply_nested_furniture_stays_bounded() -> None:
    body = page(f"<p>{PARAGRAPH}</p><p>{SECOND}</p>" + "<div class='share'>x" * 240 + "</div>" * 240)
    article = extract_html(body)
    assert article.text == f"{PARAGRAPH}\n\n{SECOND}"


def test_many_thousands_of_sibling_elements() -> None:
    body = page(f"<p>{PARAGRAPH}</p>" + "<span>a</span> " * 200_000 + f"<p>{SECOND}</p>")
    article = extract_html(body)
    assert article.text.startswith(PARAGRAPH)
    assert article.text.endswith(SECOND)


@pytest.mark.parametrize("json_ld", [
    "{not json at all",
    "[" * 100_000 + "]" * 100_000,  # json.loads raises RecursionError on this
    json.dumps({"@type": "NewsArticle", "author": {"name": {"nested": True}}, "datePublished": 20191119}),
    json.dumps({"@graph": [[[{"@type": "NewsArticle", "headline": "From a nested graph"}]]]}),
    json.dumps({"@type": ["NewsArticle"], "datePublished": "not a date", "image": [], "author": [None, 3]}),
])
def test_odd_json_ld_is_skipped_not_fatal(json_ld: str) -> None:
    head = f'<title>Harbour reopens</title><script type="application/ld+json">{json_ld}</script>'
    article = extract_html(page(f"<p>{PARAGRAPH}</p>", head=head))
    assert article.text == PARAGRAPH
    assert article.published is None


def test_text_with_xml_declaration_and_nul_characters() -> None:
    body = ('<?xml version="1.0" encoding="ISO-8859-1"?>\n'
            '<html xmlns="http://www.w3.org/1999/xhtml"><body><p>' + PARAGRAPH + "\x00</p></body></html>")
    assert extract_html(body).text == PARAGRAPH


def test_plain_text_served_as_html() -> None:
    article = extract_html((PARAGRAPH + "\n\n" + SECOND).encode())
    assert article.text.startswith("The harbour reopened")


def test_unknown_charset_label_falls_back_to_detection() -> None:
    body = page(f"<p>{PARAGRAPH} Grüße aus Köln.</p>", head='<meta charset="x-no-such-charset"><title>t</title>')
    assert extract_html(body).text.endswith("Grüße aus Köln.")


def test_http_charset_header_wins_over_meta() -> None:
    text = "Привет из Москвы: сегодня в городе открылась новая библиотека, в которой уже записались тысячи читателей."
    body = page(f"<p>{text}</p>", head='<meta charset="utf-8"><title>t</title>').decode().encode("cp1251")
    article = extract_html(body, headers={"Content-Type": "text/html; charset=windows-1251"})
    assert article.text == text


def test_http_headers_give_language_and_canonical_url() -> None:
    headers = {"content-language": "pt-BR", "Link": '<https://example.com/a>; rel="canonical"'}
    article = extract_html(page(f"<p>{PARAGRAPH}</p>"), headers=headers, url="https://example.com/a?utm=x")
    assert article.lang == "pt"
    assert article.url == "https://example.com/a"


def test_lone_surrogate_in_a_text_body_does_not_lose_the_page() -> None:
    article = extract_html(f"<p>{PARAGRAPH} \ud800</p>")
    assert article.text.startswith(PARAGRAPH)


def test_bytes_invalid_in_every_encoding_still_give_text() -> None:
    article = extract_html(f"<p>{PARAGRAPH}</p>".encode() + b"<p>\xff\xfe\xfd\x81\x8d</p>")
    assert article.text.startswith(PARAGRAPH)
