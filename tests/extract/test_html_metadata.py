"""Metadata the page publishes: times, titles, authors, URLs, language, lead image; and the
block-level rules (teasers, tables, lists) that are easiest to see on tiny pages."""

from __future__ import annotations

import json

import pytest

from ingest.extract import extract_html
from ingest.extract.metadata import date_from_url, parse_time

LONG = ("The council approved the budget on Tuesday after a debate that lasted well into the night, "
        "with members arguing over how much to spend on roads.")
LONG2 = ("Opposition members said the plan left too little for schools, and promised to raise the "
         "issue again when the council meets in the spring.")


@pytest.mark.parametrize("value, expected", [
    ("2019-11-19T10:00:00Z", "2019-11-19T10:00:00Z"),
    ("2019-11-19T17:00:00+07:00", "2019-11-19T10:00:00Z"),
    ("2019-11-19T10:00:00.123-0500", "2019-11-19T15:00:00Z"),
    ("2019-11-19 10:00", "2019-11-19T10:00:00"),  # no zone: kept as local time
    ("2019/11/19", "2019-11-19"),
    ("2019-11-19", "2019-11-19"),
    ("Tue, 19 Nov 2019 10:00:00 GMT", "2019-11-19T10:00:00Z"),
    ("1574157600", "2019-11-19T10:00:00Z"),
    ("1574157600000", "2019-11-19T10:00:00Z"),
    ("2019-02-30", None),
    ("yesterday", None),
    ("", None),
    (None, None),
])
def test_parse_time(value: str | None, expected: str | None) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize("url, expected", [
    ("https://example.com/2019/11/19/story-title/", "2019-11-19"),
    ("https://example.com/news/2019-11-19-story", "2019-11-19"),
    ("https://example.com/story-20191119", None),
    ("https://example.vn/thoi-su/hop-tac-20251122184808454.htm", "2025-11-22"),
    ("https://example.com/2019/13/40/x", None),
    (None, None),
])
def test_date_from_url(url: str | None, expected: str | None) -> None:
    assert date_from_url(url) == expected


def page(body: str, head: str = "", html_attrs: str = "") -> bytes:
    return f"<html{html_attrs}><head>{head}</head><body>{body}</body></html>".encode()


def test_open_graph_and_meta_when_there_is_no_json_ld() -> None:
    head = ('<title>Budget passes | Riverton Gazette</title>'
            '<meta property="og:title" content="Budget passes after late-night debate">'
            '<meta name="description" content="The council approved the budget.">'
            '<meta property="og:image" content="//cdn.example.com/budget.jpg">'
            '<meta property="og:url" content="https://gazette.example.com/budget">'
            '<meta name="author" content="Jo Park">'
            '<meta property="article:published_time" content="2025-01-07T21:00:00-05:00">'
            '<meta property="article:modified_time" content="2025-01-08T09:00:00-05:00">'
            '<meta http-equiv="content-language" content="en-US">')
    article = extract_html(page(f"<p>{LONG}</p>", head=head))
    assert article.title == "Budget passes after late-night debate"
    assert article.description == "The council approved the budget."
    assert article.image == "https://cdn.example.com/budget.jpg"
    assert article.url == "https://gazette.example.com/budget"
    assert article.authors == ["Jo Park"]
    assert article.published == "2025-01-08T02:00:00Z"
    assert article.updated == "2025-01-08T14:00:00Z"
    assert article.lang == "en"


def test_json_ld_graph_wins_over_meta_tags() -> None:
    head = ('<meta property="og:title" content="OG title">'
            '<script type="application/ld+json">{"@context":"https://schema.org","@graph":['
            '{"@type":"WebSite","name":"Gazette"},'
            '{"@type":"NewsArticle","headline":"LD headline","datePublished":"2025-01-07T10:00:00Z",'
            '"author":[{"@type":"Person","name":"Ana Ruiz"},{"@type":"Person","name":"Li Wei"}],'
            '"image":{"@type":"ImageObject","url":"https://example.com/i.jpg"}}]}</script>')
    article = extract_html(page(f"<p>{LONG}</p>", head=head))
    assert article.title == "LD headline"
    assert article.published == "2025-01-07T10:00:00Z"
    assert article.authors == ["Ana Ruiz", "Li Wei"]
    assert article.image == "https://example.com/i.jpg"


def test_title_tag_loses_its_site_name() -> None:
    head = '<title>Budget passes after late-night debate - Riverton Gazette</title>'
    assert extract_html(page(f"<p>{LONG}</p>", head=head)).title == "Budget passes after late-night debate"
    head += '<meta property="og:site_name" content="Riverton Gazette">'
    assert extract_html(page(f"<p>{LONG}</p>", head=head)).title == "Budget passes after late-night debate"


def test_html_lang_and_time_element_and_rel_author() -> None:
    body = (f'<article><p>By <a rel="author" href="/staff/jo">Jo Park</a></p>'
            f'<time datetime="2025-01-07T10:00:00+01:00">7 Jan</time><p>{LONG}</p><p>{LONG2}</p></article>')
    article = extract_html(page(body, html_attrs=' lang="nb-NO"'))
    assert article.lang == "nb"
    assert article.published == "2025-01-07T09:00:00Z"
    assert article.authors == ["Jo Park"]
    assert "Jo Park" not in article.text


def test_canonical_home_page_is_not_taken_for_the_article() -> None:
    head = '<link rel="canonical" href="https://example.com/">'
    article = extract_html(page(f"<p>{LONG}</p>", head=head), url="https://example.com/news/budget")
    assert article.url == "https://example.com/news/budget"


def test_teaser_list_after_the_article_is_not_text() -> None:
    teaser = ('<li class="teaser"><h3><a href="/{n}">Another story about the city number {n}</a></h3>'
              '<p>A summary of another story that is long enough to look like a real paragraph of prose.</p></li>')
    body = (f"<div class='story'><p>{LONG}</p><p>{LONG2}</p></div>"
            f"<ul class='list'>{''.join(teaser.format(n=n) for n in range(8))}</ul>")
    assert extract_html(page(body)).text == f"{LONG}\n\n{LONG2}"


def test_related_box_inside_the_article_does_not_end_it() -> None:
    body = (f"<div class='story'><p>{LONG}</p>"
            "<div class='box'><h3>Related articles</h3><ul><li><a href='/1'>Roads budget explained in full</a></li>"
            "<li><a href='/2'>Who sits on the council and what they want</a></li></ul></div>"
            f"<p>{LONG2}</p></div>")
    assert extract_html(page(body)).text == f"{LONG}\n\n{LONG2}"


def test_related_heading_after_the_article_ends_it() -> None:
    body = (f"<div class='story'><p>{LONG}</p><p>{LONG2}</p>"
            "<h3>Related articles</h3><p>Another story that has nothing to do with this one, though it "
            "is written in full sentences like the article itself.</p></div>")
    assert extract_html(page(body)).text == f"{LONG}\n\n{LONG2}"


def test_list_and_subheading_inside_the_article_are_kept() -> None:
    body = (f"<div class='story'><p>{LONG}</p><h2>What changes</h2><p>{LONG2}</p>"
            "<ul><li>Road repairs: 4.2 million</li><li>School buses: 1.1 million</li></ul></div>"
            "<div class='share'><a href='#'>Facebook</a> <a href='#'>Twitter</a></div>")
    assert extract_html(page(body)).text == (
        f"{LONG}\n\nWhat changes\n\n{LONG2}\n\nRoad repairs: 4.2 million\n\nSchool buses: 1.1 million")


def test_repeated_short_lines_stay_but_a_repeated_paragraph_goes() -> None:
    body = (f"<div><p>{LONG}</p><h3>Monday</h3><p>Doors open at nine.</p><p>{LONG2}</p>"
            f"<h3>Tuesday</h3><p>Doors open at nine.</p><p>{LONG2}</p></div>")
    assert extract_html(page(body)).text.split("\n\n") == [
        LONG, "Monday", "Doors open at nine.", LONG2, "Tuesday", "Doors open at nine."]


def test_hidden_elements_are_not_text() -> None:
    body = (f"<div><p>{LONG}</p><p style='display: none'>Hidden text that only scripts reveal, "
            f"long enough to be taken for a paragraph.</p><p hidden>Also hidden, also long enough to count "
            f"as prose if it were shown.</p><p>{LONG2}</p></div>")
    assert extract_html(page(body)).text == f"{LONG}\n\n{LONG2}"


def test_script_rendered_page_falls_back_to_json_ld_article_body() -> None:
    ld = json.dumps({"@type": "NewsArticle", "headline": "Budget passes",
                     "articleBody": f"{LONG}\n{LONG2}"})
    head = f'<script type="application/ld+json">{ld}</script>'
    article = extract_html(page('<div id="app"></div><script>render()</script>', head=head))
    assert article.text == f"{LONG}\n\n{LONG2}"
    assert article.title == "Budget passes"
    assert article.notes == ["text taken from the page's JSON-LD articleBody"]


def test_json_ld_article_body_with_markup_is_read_as_paragraphs() -> None:
    ld = json.dumps({"@type": "Article", "articleBody": f"<p>{LONG}</p><p>{LONG2} &amp; more</p>"})
    head = f'<script type="application/ld+json">{ld}</script>'
    article = extract_html(page("<p>Loading…</p>", head=head))
    assert article.text == f"{LONG}\n\n{LONG2} & more"


def test_json_ld_in_a_cdata_section_is_read() -> None:
    page = ("<html><head><script type='application/ld+json'>//<![CDATA[\n"
            '{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Neue Brücke eröffnet",'
            ' "datePublished": "2024-05-02T09:30:00+02:00", "author": {"@type": "Person", "name": "Anna Berg"}}'
            "\n//]]></script></head><body><p>" + LONG + "</p></body></html>")
    article = extract_html(page)
    assert article.title == "Neue Brücke eröffnet"
    assert article.published == "2024-05-02T07:30:00Z"
    assert article.authors == ["Anna Berg"]


def test_meta_tags_pushed_into_the_body_by_the_parser_are_read() -> None:
    # A <div> inside <head> makes the parser open <body>: the <meta> after it land there.
    page = ("<html><head><title>x</title><div>banner</div>"
            "<meta property='article:published_time' content='2016-12-22T10:43:37-08:00'>"
            "<meta name='author' content='Lucía Pérez'></head><body><p>" + LONG + "</p></body></html>")
    article = extract_html(page)
    assert article.published == "2016-12-22T18:43:37Z"
    assert article.authors == ["Lucía Pérez"]


def test_one_meta_with_several_properties_and_dublin_core_names() -> None:
    page = ("<html><head><meta property='dc:creator twitter:creator' content='Par Jeanne Martin'>"
            "<meta property='dc:title og:title' content='Le conseil vote le budget'>"
            "<meta property='og:description x:description' content='Le budget est voté.'>"
            "</head><body><p>" + LONG + "</p></body></html>")
    article = extract_html(page)
    assert article.title == "Le conseil vote le budget"
    assert article.description == "Le budget est voté."
    assert article.authors == ["Jeanne Martin"]  # the "Par" of the byline is not part of the name


def test_an_author_named_twice_in_different_case_is_one_author() -> None:
    page = ("<html><head><meta name='author' content='Jane Doe'><meta name='byl' content='By JANE DOE'>"
            "</head><body><p>" + LONG + "</p><a rel='author' href='/jd'>JANE DOE</a></body></html>")
    assert extract_html(page).authors == ["Jane Doe"]
