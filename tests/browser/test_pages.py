"""The reader's pages in a real browser (headless Chromium): they fit every width, find stories, say
why versions were grouped, and run no script."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from selenium.webdriver.support.ui import WebDriverWait

from feeds.server import HTML_POLICY
from tests.browser.pages import FIVE_VERSIONS_TITLE

WIDTHS = (400, 1280)
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def open_at(browser: Any, url: str, width: int) -> None:
    browser.set_window_size(width, 900)
    browser.get(url)
    assert browser.execute_script("return window.innerWidth") == width


def loaded(browser: Any, at: Callable[[str], bool]) -> None:
    """Wait until the browser shows a page whose URL passes `at`, loaded: a form's submit()
    returns before the browser has even left the page it was on."""
    WebDriverWait(browser, 20).until(lambda b: at(b.current_url)
                                     and b.execute_script("return document.readyState") == "complete")


def fits(browser: Any) -> bool:
    """Nothing wider than the window: no sideways scrolling, nothing cut off."""
    return bool(browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"))


def console_errors(browser: Any) -> list[dict[str, Any]]:
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_home_page_fits_and_links_every_story(browser: Any, site: tuple[str, dict[str, str]], width: int) -> None:
    base, stories = site
    open_at(browser, base + "/", width)
    assert fits(browser)
    assert browser.find_element("css selector", f"[id=\"{stories['five']}\"] h2 a").get_attribute("href") == (
        f"{base}/stories/{stories['five']}")
    assert browser.find_elements("css selector", "form.search input[name=q]")
    assert not console_errors(browser)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_story_page_shows_all_five_versions_at_any_width(browser: Any, site: tuple[str, dict[str, str]],
                                                           width: int) -> None:
    base, stories = site
    open_at(browser, f"{base}/stories/{stories['five']}", width)
    assert fits(browser)
    versions = browser.find_elements("css selector", "#versions .version")
    assert len(versions) == 5
    for version in versions:  # each one wholly inside the window
        left, right = browser.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return [r.left, r.right]", version)
        assert 0 <= left and right <= width
    roles = {v.find_element("css selector", "h3").text: v.find_element("css selector", ".role").text.lower()
             for v in versions}
    # The German machine translation arrived first, but the English version was published first.
    assert roles[FIVE_VERSIONS_TITLE] == "original"
    assert next(role for title, role in roles.items() if title.startswith("Hochwasser")) == "translation"
    labels = sorted(v.find_element("css selector", ".role").text.lower() for v in versions)
    assert labels == ["original", "translation", "translation", "translation", "version"]
    for version in versions:  # language, source or host, published time and a link, each
        assert version.find_element("css selector", "h3 a").get_attribute("href").startswith("https://")
        assert version.find_elements("css selector", "time")
    assert not console_errors(browser)


def test_the_why_grouped_panel_names_rule_score_and_evidence(browser: Any, site: tuple[str, dict[str, str]]) -> None:
    base, stories = site
    open_at(browser, f"{base}/stories/{stories['five']}", 1280)
    panel = browser.find_element("css selector", "#why-grouped")
    text = panel.text
    assert "started the story" in text
    assert "translation" in text and "score 1.80" in text and "shared anchors" in text
    assert "text similarity 0.04" in text
    revisions = browser.find_element("css selector", "#revisions")
    assert revisions.find_element("css selector", "del").text == "a week"
    assert "ten days" in [el.text for el in revisions.find_elements("css selector", "ins")]


def test_the_seed_translation_is_explained_by_its_real_link(browser: Any, site: tuple[str, dict[str, str]]) -> None:
    """The seeds go through the real pipeline: the Vietnamese version's link is the matcher's own."""
    base, _ = site
    stories = httpx.get(base + "/api/stories", params={"lang": "vi", "limit": "50"}).json()["stories"]
    seed = next(s for s in stories if any(v["lang"] == "en" for v in s["versions"]) and len(s["versions"]) == 2)
    open_at(browser, seed["url"], 1280)
    text = browser.find_element("css selector", "#why-grouped").text
    assert "rule translation" in text and "shared anchors" in text


def test_search_finds_a_story_in_latin_and_in_japanese(browser: Any, site: tuple[str, dict[str, str]]) -> None:
    base, stories = site
    open_at(browser, base + "/", 1280)
    box = browser.find_element("css selector", "form.search input[name=q]")
    box.send_keys("northern railway")
    box.submit()
    loaded(browser, lambda url: "/search?q=northern+railway" in url)
    assert f"/stories/{stories['five']}" in [a.get_attribute("href").removeprefix(base)
                                             for a in browser.find_elements("css selector", ".story h2 a")]
    open_at(browser, base + "/search?q=北部鉄道", 1280)  # Chinese and Japanese: the trigram index, no spaces
    [hit] = browser.find_elements("css selector", ".story h2 a")
    assert hit.get_attribute("href") == f"{base}/stories/{stories['five']}"
    assert hit.text == "記録的な大雨で北部鉄道が一週間運休、洪水被害が拡大"  # shown through the version that matched
    open_at(browser, base + "/search?q=zzzznothing", 400)
    assert "No story holds" in browser.find_element("tag name", "main").text and fits(browser)
    assert not console_errors(browser)


def test_pagination_reaches_the_first_story(browser: Any, site: tuple[str, dict[str, str]]) -> None:
    base, stories = site
    open_at(browser, base + "/", 400)
    pages = 1
    while True:
        assert fits(browser)
        older = browser.find_elements("css selector", "nav.pages a[rel=next]")
        if not older:
            break
        older[0].click()
        pages += 1
    assert pages >= 2
    # The oldest page ends with the first story stored: the first seed file's.
    last = browser.find_elements("css selector", ".story h2 a")[-1]
    assert last.get_attribute("href") == f"{base}/stories/{stories['first']}"
    last.click()
    assert browser.find_element("css selector", "#versions .version.original")
    assert not console_errors(browser)


def test_filters_narrow_the_list_by_language_and_source(browser: Any, site: tuple[str, dict[str, str]]) -> None:
    base, stories = site
    open_at(browser, base + "/?lang=ja", 1280)
    links = browser.find_elements("css selector", ".story h2 a")
    assert [a.get_attribute("href") for a in links] == [f"{base}/stories/{stories['five']}"]
    open_at(browser, base + "/", 1280)
    select = browser.find_element("css selector", "form.filters select[name=source]")
    select.find_element("css selector", "option:nth-child(2)").click()
    select.submit()
    loaded(browser, lambda url: "source=" in url)
    assert "from Wire Service World Desk" in browser.find_element("tag name", "main").text


def test_pages_keep_the_strict_content_security_policy(site: tuple[str, dict[str, str]]) -> None:
    base, stories = site
    for path in ("/", f"/stories/{stories['five']}", "/search?q=rail", "/documents/1"):
        response = httpx.get(base + path)
        assert response.status_code == 200
        assert response.headers["content-security-policy"] == HTML_POLICY["Content-Security-Policy"]
        assert "script-src" not in response.headers["content-security-policy"]
        assert b"<script" not in response.content


def test_document_pages_link_their_story_and_siblings(site: tuple[str, dict[str, str]]) -> None:
    base, stories = site
    story = httpx.get(f"{base}/api/stories/{stories['five']}").json()
    de = next(v for v in story["versions"] if v["lang"] == "de")
    page = httpx.get(de["stored_copy"]).text
    assert f'href="/stories/{stories["five"]}"' in page
    assert sum(f'href="/documents/{v["document"]}"' in page for v in story["versions"]) == 4
