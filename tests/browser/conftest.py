"""Debian's Chromium, headless, driven by selenium, against the real feed server on a real socket.

Skipped, saying why, when chromium or chromium-driver is not installed (`.ci/run` installs them).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator

import pytest

from tests.browser.pages import build
from tests.feeds.support import FeedServer

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
# Flags that work in containers and CI: no sandbox (root), no GPU, nothing fetched in the background.
LAUNCH_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--hide-scrollbars"]


def start_chromium(width: int, height: int, profile: str) -> object:
    """A headless Chromium with a fresh profile; console messages are kept for `get_log("browser")`."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for flag in [*LAUNCH_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """(base URL, interesting story ids) of the feed server over the demo database."""
    db = tmp_path_factory.mktemp("browser") / "pages.db"
    stories = build(db)
    with FeedServer(db) as server:
        yield server.url, stories


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    pytest.importorskip("selenium", reason="selenium is not installed (pip install -e '.[test]')")
    profile = tempfile.mkdtemp(prefix="newsdedup-chromium-")
    driver = start_chromium(1280, 900, profile)
    try:
        yield driver
    finally:
        driver.quit()  # type: ignore[attr-defined]
        shutil.rmtree(profile, ignore_errors=True)
