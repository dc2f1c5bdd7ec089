"""The test news site's pages: one story in four languages, a second story, sections, feeds, sitemaps.

Pages carry realistic boilerplate (navigation, cookie banner, related links, footer) so that
extraction and link-discovery tests face what real sites serve. Bodies are built from the
base URL of the request, so the same site answers as 127.0.0.1 and as localhost.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape


@dataclass(frozen=True)
class Article:
    path: str
    lang: str
    title: str
    paragraphs: tuple[str, ...]
    published: datetime
    section: str                 # path of the section page that lists it
    charset: str = "utf-8"       # how the page is encoded and labelled
    declare_in: str = "header"   # "header" (Content-Type) or "meta" (<meta charset>) only


ARTICLES: tuple[Article, ...] = (
    Article(
        path="/2024/05/14/rhine-bridge-reopens-after-two-years-of-repairs",
        lang="en",
        title="Rhine bridge reopens after two years of repairs",
        paragraphs=(
            "The Theodor Heuss bridge over the Rhine between Mainz and Wiesbaden reopened to traffic "
            "on Tuesday, 14 May 2024, after 26 months of repairs that cost 48 million euros.",
            "Engineers from the federal highway agency Autobahn GmbH replaced 1,200 tonnes of steel and "
            "the whole road surface, the agency's director Anna Keller told reporters at the ceremony.",
            "About 80,000 vehicles crossed the bridge every day before it closed in March 2022, and "
            "commuters had faced detours of up to 40 minutes through Mainz.",
            "Trucks heavier than 7.5 tonnes remain banned until a final inspection in September.",
        ),
        published=datetime(2024, 5, 14, 9, 30, tzinfo=UTC),
        section="/world/",
    ),
    Article(
        path="/de/2024/05/14/rheinbruecke-nach-zwei-jahren-wieder-offen",
        lang="de",
        title="Rheinbrücke nach zwei Jahren wieder offen",
        paragraphs=(
            "Die Theodor-Heuss-Brücke über den Rhein zwischen Mainz und Wiesbaden ist am Dienstag, "
            "14. Mai 2024, nach 26 Monaten Reparatur wieder für den Verkehr freigegeben worden. "
            "Die Arbeiten kosteten 48 Millionen Euro.",
            "Ingenieure der Autobahn GmbH ersetzten 1.200 Tonnen Stahl und den gesamten Straßenbelag, "
            "sagte Direktorin Anna Keller bei der Eröffnung.",
            "Vor der Sperrung im März 2022 überquerten täglich rund 80.000 Fahrzeuge die Brücke; "
            "Pendler mussten Umwege von bis zu 40 Minuten durch Mainz fahren.",
            "Lastwagen über 7,5 Tonnen bleiben bis zu einer Schlussprüfung im September gesperrt.",
        ),
        published=datetime(2024, 5, 14, 10, 0, tzinfo=UTC),
        section="/de/politik/",
        charset="iso-8859-1",
    ),
    Article(
        path="/vi/cau-song-rhine-mo-cua-tro-lai-sau-hai-nam-sua-chua-4731902.html",
        lang="vi",
        title="Cầu sông Rhine mở cửa trở lại sau hai năm sửa chữa",
        paragraphs=(
            "Cầu Theodor Heuss bắc qua sông Rhine giữa Mainz và Wiesbaden đã thông xe trở lại vào "
            "thứ Ba, ngày 14/5/2024, sau 26 tháng sửa chữa với chi phí 48 triệu euro.",
            "Các kỹ sư của cơ quan đường cao tốc liên bang Autobahn GmbH đã thay 1.200 tấn thép và "
            "toàn bộ mặt đường, giám đốc Anna Keller cho biết tại buổi lễ.",
            "Khoảng 80.000 phương tiện qua cầu mỗi ngày trước khi cầu đóng cửa vào tháng 3/2022, và "
            "người đi làm phải đi đường vòng tới 40 phút qua Mainz.",
            "Xe tải nặng hơn 7,5 tấn vẫn bị cấm cho đến đợt kiểm tra cuối cùng vào tháng 9.",
        ),
        published=datetime(2024, 5, 14, 11, 15, tzinfo=UTC),
        section="/vi/thoi-su/",
    ),
    Article(
        path="/ru/news/123456-most-cherez-reyn-snova-otkryt",
        lang="ru",
        title="Мост через Рейн снова открыт после двух лет ремонта",
        paragraphs=(
            "Мост Теодора Хойса через Рейн между Майнцем и Висбаденом открыт для движения во вторник, "
            "14 мая 2024 года, после 26 месяцев ремонта стоимостью 48 миллионов евро.",
            "Инженеры федерального ведомства Autobahn GmbH заменили 1200 тонн стали и всё дорожное "
            "покрытие, сообщила на церемонии директор Анна Келлер.",
            "До закрытия в марте 2022 года по мосту ежедневно проезжали около 80 000 машин, а водителям "
            "приходилось делать крюк до 40 минут через Майнц.",
            "Грузовики тяжелее 7,5 тонны останутся под запретом до окончательной проверки в сентябре.",
        ),
        published=datetime(2024, 5, 14, 12, 0, tzinfo=UTC),
        section="/ru/mir/",
        charset="windows-1251",
        declare_in="meta",
    ),
    Article(
        path="/2024/05/13/city-council-approves-new-cycling-lanes",
        lang="en",
        title="City council approves new cycling lanes",
        paragraphs=(
            "The city council voted 31 to 12 on Monday to build 18 kilometres of protected cycling "
            "lanes along the ring road by the end of 2025.",
            "Transport councillor Marta Ruiz said the plan would cost 9.4 million euros, two thirds of "
            "it paid from a regional climate fund.",
            "Shop owners on Kaiserstrasse opposed the loss of 140 parking spaces and asked for a "
            "delivery zone, which the council promised to study.",
        ),
        published=datetime(2024, 5, 13, 16, 45, tzinfo=UTC),
        section="/world/",
    ),
)
ARTICLES_BY_PATH = {a.path: a for a in ARTICLES}
SECTIONS = {"/world/": "en", "/de/politik/": "de", "/vi/thoi-su/": "vi", "/ru/mir/": "ru"}
# Links every page carries that are not articles: link discovery must skip them.
NON_ARTICLE_LINKS = ("/", "/world/", "/de/politik/", "/vi/thoi-su/", "/ru/mir/", "/tag/bridges",
                     "/category/transport", "/author/anna-keller", "/about", "/contact", "/privacy-policy",
                     "/world/?page=2", "/search?q=rhine", "/login", "/feed.xml")
FEED_ETAG = '"feed-v1"'
FEED_LAST_MODIFIED = "Tue, 14 May 2024 12:00:00 GMT"

_NAV = """<header class="site-header"><a href="/" class="logo">Rhine Valley Courier</a>
<nav class="main-nav"><ul>
<li><a href="/world/">World</a></li><li><a href="/de/politik/">Politik</a></li>
<li><a href="/vi/thoi-su/">Thời sự</a></li><li><a href="/ru/mir/">Мир</a></li>
<li><a href="/category/transport">Transport</a></li><li><a href="/login">Sign in</a></li>
</ul></nav>
<form action="/search"><input name="q"></form><a href="/search?q=rhine">Search</a></header>
<div class="cookie-banner">We use cookies to improve your experience. <a href="/privacy-policy">Learn more</a>
<button>Accept all</button></div>"""
_FOOTER = """<footer><nav><a href="/about">About us</a> | <a href="/contact">Contact</a> |
<a href="/privacy-policy">Privacy policy</a> | <a href="/feed.xml">RSS</a></nav>
<p>© 2024 Rhine Valley Courier. All rights reserved.</p></footer>"""


def _head(title: str, base: str, *, charset_meta: str | None = None, feeds: bool = False) -> str:
    meta = f'<meta charset="{charset_meta}">' if charset_meta else ""
    links = ""
    if feeds:
        links = (f'<link rel="alternate" type="application/rss+xml" title="Courier RSS" href="{base}/feed.xml">'
                 '<link rel="alternate" type="application/atom+xml" title="Courier Atom" href="/atom.xml">'
                 '<link rel="alternate" type="application/feed+json" title="Courier JSON" href="feed.json">'
                 '<link rel="alternate" hreflang="de" href="/de/politik/">')
    return f"<head>{meta}<title>{escape(title)}</title>{links}</head>"


def article_html(article: Article, base: str) -> str:
    """The article page, boilerplate included, as text (the caller encodes it)."""
    related = "".join(f'<li><a href="{a.path}">{escape(a.title)}</a></li>'
                      for a in ARTICLES if a.lang == article.lang and a is not article)
    body = "".join(f"<p>{escape(p)}</p>" for p in article.paragraphs)
    meta = article.charset if article.declare_in == "meta" else None
    return (f'<!DOCTYPE html><html lang="{article.lang}">'
            f'{_head(article.title, base, charset_meta=meta)}<body>{_NAV}'
            f'<main><article><h1>{escape(article.title)}</h1>'
            f'<time datetime="{article.published.isoformat()}">{article.published:%d.%m.%Y}</time>'
            f'<a href="/author/anna-keller" rel="author">Anna Keller</a>{body}'
            f'<p class="tags"><a href="/tag/bridges">#bridges</a></p></article>'
            f'<aside><h2>Related</h2><ul>{related}</ul></aside>'
            f'<div class="newsletter">Subscribe to our newsletter for the top stories every morning.</div>'
            f'</main>{_FOOTER}</body></html>')


def section_html(section: str, base: str) -> str:
    items = "".join(f'<li><h3><a href="{a.path}">{escape(a.title)}</a></h3>'
                    f'<a href="{a.path}#comments">Comments</a></li>'
                    for a in ARTICLES if a.section == section)
    return (f'<!DOCTYPE html><html lang="{SECTIONS[section]}">{_head("Section " + section, base)}'
            f'<body>{_NAV}<main><h1>{escape(section)}</h1><ul class="stories">{items}</ul>'
            f'<a href="/tag/bridges">More on bridges</a> <a href="{section}?page=2">Next page</a>'
            f'<a href="https://elsewhere.example.org/2024/05/14/other-site-story-about-bridges">Partner</a>'
            f'</main>{_FOOTER}</body></html>')


def home_html(base: str) -> str:
    top = "".join(f'<li><a href="{a.path}">{escape(a.title)}</a></li>' for a in ARTICLES)
    return (f'<!DOCTYPE html><html lang="en">{_head("Rhine Valley Courier", base, feeds=True)}'
            f'<body>{_NAV}<main><h1>Top stories</h1><ul>{top}</ul></main>{_FOOTER}</body></html>')


def plain_page(title: str, base: str) -> str:
    return (f'<!DOCTYPE html><html lang="en">{_head(title, base)}<body>{_NAV}<main><h1>{escape(title)}</h1>'
            f'</main>{_FOOTER}</body></html>')


def rss(base: str) -> str:
    items = "".join(
        f"<item><title>{escape(a.title)}</title><link>{base}{a.path}</link><guid>{base}{a.path}</guid>"
        f"<pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>"
        f"<dc:language>{a.lang}</dc:language><description>{escape(a.paragraphs[0])}</description></item>"
        for a in ARTICLES)
    return ('<?xml version="1.0" encoding="utf-8"?>'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            f"<title>Rhine Valley Courier</title><link>{base}/</link><language>en</language>"
            f"<description>News from the Rhine valley</description>{items}</channel></rss>")


def atom(base: str) -> str:
    entries = "".join(
        f'<entry xml:lang="{a.lang}"><title>{escape(a.title)}</title><link href="{a.path}"/>'
        f"<id>{base}{a.path}</id><published>{a.published.isoformat()}</published>"
        f"<updated>{a.published.isoformat()}</updated></entry>"
        for a in ARTICLES)
    return ('<?xml version="1.0" encoding="utf-8"?>'
            f'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{base}/"><title>Rhine Valley Courier</title>'
            f'<id>{base}/</id><updated>2024-05-14T12:00:00Z</updated>{entries}</feed>')


def json_feed(base: str) -> dict[str, object]:
    return {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Rhine Valley Courier",
        "home_page_url": f"{base}/",
        "language": "en",
        "items": [{"id": a.path, "url": f"{base}{a.path}", "title": a.title, "language": a.lang,
                   "date_published": a.published.isoformat(), "content_text": a.paragraphs[0]}
                  for a in ARTICLES],
    }


def sitemap_index(base: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{base}/sitemap-news.xml</loc><lastmod>2024-05-14</lastmod></sitemap>"
            f"<sitemap><loc>{base}/sitemap-articles.xml.gz</loc></sitemap></sitemapindex>")


def news_sitemap(base: str) -> str:
    urls = "".join(
        f"<url><loc>{base}{a.path}</loc><news:news><news:publication><news:name>Rhine Valley Courier"
        f"</news:name><news:language>{a.lang}</news:language></news:publication>"
        f"<news:publication_date>{a.published.isoformat()}</news:publication_date>"
        f"<news:title>{escape(a.title)}</news:title></news:news></url>"
        for a in ARTICLES)
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f"{urls}</urlset>")


def article_sitemap_gz(base: str) -> bytes:
    urls = "".join(f"<url><loc>{base}{a.path}</loc><lastmod>{a.published:%Y-%m-%d}</lastmod></url>"
                   for a in ARTICLES)
    xml = ('<?xml version="1.0" encoding="UTF-8"?>'
           f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>')
    return gzip.compress(xml.encode("utf-8"), mtime=0)


def robots_txt(base: str, crawl_delay: float | None) -> str:
    delay = f"Crawl-delay: {crawl_delay}\n" if crawl_delay else ""
    return ("User-agent: *\nDisallow: /private/\n" + delay + "\n"
            "User-agent: BadBot\nDisallow: /\n\n"
            f"Sitemap: {base}/sitemap.xml\n")
