"""Screenshots of the reader's pages at a phone's width (400 px) and a laptop's (1280 px).

    .venv/bin/python benchmarks/pages/screenshots.py [OUTPUT_DIR]

Builds the demo database the browser tests use (tests/browser/pages.py: the seeds through the
real pipeline, a story with five versions, enough stories for several pages), serves it with
the real feed server, and has headless Chromium (Debian's chromium + chromium-driver) save
full-page PNGs of the home page, the five-version story and a search, at both widths, to
OUTPUT_DIR (default benchmarks/pages/screenshots/). It prints whether each page fits its width
(document scrollWidth <= window innerWidth).
"""

from __future__ import annotations

import base64
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMEDRIVER, CHROMIUM, start_chromium  # noqa: E402
from tests.browser.pages import build  # noqa: E402
from tests.feeds.support import FeedServer  # noqa: E402

WIDTHS = (400, 1280)
# Tall enough for a whole page; taller pages are cut here.
MAX_HEIGHT = 6000


def full_page_png(driver: object, width: int) -> bytes:
    """The whole page at `width`, not only the window (Chromium's DevTools capture beyond the viewport)."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]  # type: ignore[attr-defined]
    clip = {"x": 0, "y": 0, "width": width, "height": min(size["height"], MAX_HEIGHT), "scale": 1}
    shot = driver.execute_cdp_cmd("Page.captureScreenshot",  # type: ignore[attr-defined]
                                  {"format": "png", "captureBeyondViewport": True, "clip": clip})
    return base64.b64decode(shot["data"])


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "screenshots"
    if not CHROMIUM or not CHROMEDRIVER:
        print("chromium and chromium-driver are needed: apt-get install chromium chromium-driver", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="newsdedup-screens-"))
    try:
        stories = build(work / "pages.db")
        pages = {"home": "/", "story": f"/stories/{stories['five']}", "search": "/search?q=railway"}
        driver = start_chromium(1280, 900, str(work / "profile"))
        try:
            with FeedServer(work / "pages.db") as server:
                for width in WIDTHS:
                    for name, path in pages.items():
                        driver.set_window_size(width, 900)  # type: ignore[attr-defined]
                        driver.get(server.url + path)  # type: ignore[attr-defined]
                        fits = driver.execute_script(  # type: ignore[attr-defined]
                            "return document.documentElement.scrollWidth <= window.innerWidth")
                        target = out / f"{name}-{width}.png"
                        target.write_bytes(full_page_png(driver, width))
                        print(f"{target}  {width}px  {'fits' if fits else 'OVERFLOWS'}")
        finally:
            driver.quit()  # type: ignore[attr-defined]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
