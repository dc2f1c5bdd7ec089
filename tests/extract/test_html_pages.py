"""The HTML extractor on small pages built for what it must get right, in four languages.

Each page holds the furniture news sites wrap an article in (menus, share bars, comment
counters and sections, related links, newsletter and cookie boxes, captions, bylines);
the tests check the article's paragraphs are kept whole and in order and the furniture
is gone, and that the page's own metadata is read.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.extract import Article, extract_html

PAGES = Path(__file__).parent / "pages"


def extract_page(name: str, **kwargs: object) -> Article:
    return extract_html((PAGES / name).read_bytes(), **kwargs)  # type: ignore[arg-type]


def paragraphs(article: Article) -> list[str]:
    return article.text.split("\n\n")


def test_vietnamese_news_page_keeps_the_article_and_reads_json_ld() -> None:
    article = extract_page("vi_news_utf8.html", url="https://baotintuc.example.vn/x")
    assert article.title == "Hà Nội mở rộng mạng lưới xe buýt điện"
    text = paragraphs(article)
    assert text[0].startswith("Thành phố Hà Nội sẽ đưa thêm 300 xe buýt điện")
    assert text[-1].startswith("Các chuyên gia môi trường đánh giá")
    assert "Giảm ô nhiễm không khí" in text  # a subheading between paragraphs stays
    for furniture in ("Bình luận", "Tin liên quan", "Chia sẻ", "Ảnh: TTXVN", "Trang chủ", "Gia Lâm",
                      "Giấy phép", "thí điểm vé điện tử"):
        assert furniture not in article.text
    assert article.lang == "vi"
    assert article.published == "2025-11-20T01:30:00Z"  # +07:00 normalised to UTC
    assert article.updated == "2025-11-20T03:05:00Z"
    assert article.authors == ["Nguyễn Văn An", "TTXVN"]  # the agency line is metadata, not text
    assert article.url == "https://baotintuc.example.vn/ha-noi-mo-rong-xe-buyt-dien-2025.html"
    assert article.description == "Thành phố sẽ đưa thêm 300 xe buýt điện vào hoạt động trong năm tới."
    assert article.image == "https://baotintuc.example.vn/images/2025/xe-buyt-dien.jpg"
    assert article.notes == []


def test_german_page_labelled_latin1_decodes_as_windows_1252() -> None:
    article = extract_page("de_news_latin1.html")
    assert article.title == "Neue Radwege für München: Stadtrat beschließt Ausbau"  # site name dropped
    text = paragraphs(article)
    assert len(text) == 4
    assert text[0].startswith("Der Münchner Stadtrat hat am Donnerstag")
    assert text[-1].endswith("als „überfälligen Schritt“.")  # cp1252 quotes under a latin-1 label
    for furniture in ("Cookies", "Newsletter", "Mehr zum Thema", "Radentscheid", "Meistgelesen", "Impressum",
                      "Von Katrin Weiß"):
        assert furniture not in article.text
    assert article.lang == "de"
    assert article.authors == ["Katrin Weiß"]
    assert article.published == "2025-03-14T08:15:00Z"
    assert article.description == "Der Stadtrat hat den Ausbau von 40 Kilometern Radwegen beschlossen."


def test_utf8_page_with_a_stale_windows_1252_label_comes_out_right() -> None:
    labelled = extract_page("de_news_utf8_labelled_cp1252.html")
    assert labelled.text == extract_page("de_news_latin1.html").text
    assert "Ã" not in labelled.text and "â€" not in labelled.text


def test_russian_page_in_windows_1251() -> None:
    article = extract_page("ru_news_cp1251.html")
    assert article.title == "В Новосибирске открыли новую станцию метро"
    text = paragraphs(article)
    assert text[0].startswith("В Новосибирске в понедельник открылась станция метро «Спортивная»")
    assert text[-1].startswith("Следующим этапом развития метрополитена")
    for furniture in ("Фото:", "Читайте также", "Комментарии", "Наконец-то", "Главная", "Все права"):
        assert furniture not in article.text
    assert article.lang == "ru"
    assert article.url == "https://sibnews.example.ru/news/2025/09/01/metro"
    assert article.published == "2025-09-01"  # from the URL when the page gives no machine date


def test_cyrillic_bytes_under_a_western_label_are_detected() -> None:
    assert extract_page("ru_news_cp1251_labelled_latin1.html").text == extract_page("ru_news_cp1251.html").text


def test_japanese_page_in_shift_jis() -> None:
    article = extract_page("ja_news_sjis.html")
    assert article.title == "東京都、新たな防災計画を発表"
    text = paragraphs(article)
    assert len(text) == 4
    assert text[0].startswith("東京都は２日、首都直下地震に備えた新たな防災計画を発表した。")
    assert text[-1] == "専門家は、計画の実効性を高めるには住民一人ひとりの備えが欠かせないと指摘している。"
    for furniture in ("関連記事", "ツイート", "シェア", "トップ", "Copyright"):
        assert furniture not in article.text
    assert article.lang == "ja"
    assert article.published == "2025-06-02T06:00:00Z"


def test_blog_post_without_comments_teasers_or_share_buttons() -> None:
    article = extract_page("en_blog.html", url="https://smallops.example.com/2025/02/single-machine-builds/")
    assert article.title == "Why we moved our build to a single machine"
    text = paragraphs(article)
    assert len(text) == 4
    assert text[0].startswith("For three years our continuous integration ran")
    assert text[-1].startswith("There are trade-offs.")
    # WordPress marks the article "tag-social-media tag-ads": taxonomy, not furniture
    for furniture in ("Share this", "Twitter", "Tagged", "Caching dependencies", "flaky", "thoughts on",
                      "never looked back", "Recent posts", "Proudly powered"):
        assert furniture not in article.text
    assert article.authors == ["Maria Lopez"]
    assert article.published == "2025-02-03T18:20:00Z"
    assert article.url == "https://smallops.example.com/2025/02/single-machine-builds/"  # relative canonical


def test_old_government_page_in_a_layout_table_keeps_its_data_table() -> None:
    article = extract_page("gov_notice_table_layout.html")
    assert article.title == "Notice of Public Hearing on Water Rates"
    text = paragraphs(article)
    assert text[0].startswith("The Riverton City Council will hold a public hearing")
    assert "Residential $18.50 $21.00" in text  # a table row is one paragraph
    assert text[-1].startswith("Written comments may be submitted")
    for furniture in ("Parks and Recreation", "Contact Us", "Privacy Policy", "Official Website"):
        assert furniture not in article.text


@pytest.mark.parametrize("name", sorted(p.name for p in PAGES.glob("*.html")))
def test_every_page_gives_text_and_a_title(name: str) -> None:
    article = extract_page(name)
    assert article.title
    assert len(article.text) > 200
    assert "\ufffd" not in article.text
    assert "\n\n\n" not in article.text
