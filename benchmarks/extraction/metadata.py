#!/usr/bin/env python3
"""Score newsdedup's page metadata beside trafilatura's on Readability's test pages.

Readability's expected output (ground-truth.json in the shared readability dataset) holds,
beside the article text, the page's title, byline, language, published time and excerpt.
Each field is scored on the pages whose truth has a value:

* exact: the normalised strings are equal (case, spacing, quotes and dashes folded; a
  leading "By" dropped from bylines; languages compared on the primary subtag, "en-US"
  as "en"; times as the same instant, or the same calendar day when one side has no time);
* token F1 (title, byline, excerpt): word overlap, the partial credit for a title with the
  site name left on.

newsdedup's fields: title, authors (joined), lang, published, description. trafilatura's:
extract_metadata() title, author, language, date, description (it reads no language
from the page: its column shows that).

    .venv/bin/python benchmarks/extraction/metadata.py
    .venv/bin/python benchmarks/extraction/metadata.py --misses title   # the pages missed
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "bench" / "extraction" / "readability"
FIELDS = ("title", "byline", "lang", "publishedTime", "excerpt")
TEXT_FIELDS = ("title", "byline", "excerpt")  # word overlap means something for these only

_FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                       "\u2014": "-", "\u00a0": " "})
_BY = re.compile(r"^(?:by|von|par|por)\s+", re.IGNORECASE)
_WORD = re.compile(r"\w+")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(_FOLD)
    return " ".join(text.split()).casefold()


def token_f1(truth: str, guess: str) -> float:
    t, g = _WORD.findall(normalise(truth)), _WORD.findall(normalise(guess))
    if not t or not g:
        return float(t == g)
    common = sum(min(t.count(w), g.count(w)) for w in set(t))
    if not common:
        return 0.0
    p, r = common / len(g), common / len(t)
    return 2 * p * r / (p + r)


def _moment(text: str) -> tuple[str, datetime | None]:
    """(calendar day as written, the instant when a zone is given)."""
    text = text.strip()
    day = text[:10]
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return day, None
    return day, moment.astimezone(UTC) if moment.tzinfo else None


def same(field: str, truth: str, guess: str) -> bool:
    if field == "lang":
        return normalise(truth).split("-")[0] == normalise(guess).replace("_", "-").split("-")[0]
    if field == "publishedTime":
        (t_day, t_at), (g_day, g_at) = _moment(truth), _moment(guess)
        if t_at and g_at:
            return abs((t_at - g_at).total_seconds()) < 60
        return t_day == g_day
    if field == "byline":
        truth, guess = _BY.sub("", normalise(truth)), _BY.sub("", normalise(guess))
    return normalise(truth) == normalise(guess)


def ours() -> Callable[[str], dict[str, str]]:
    sys.path.insert(0, str(REPO))
    from ingest.extract import extract_html

    def run(html: str) -> dict[str, str]:
        article = extract_html(html)
        return {"title": article.title, "byline": ", ".join(article.authors), "lang": article.lang or "",
                "publishedTime": article.published or "", "excerpt": article.description or ""}
    return run


def trafilatura() -> Callable[[str], dict[str, str]]:
    from trafilatura import extract_metadata

    def run(html: str) -> dict[str, str]:
        doc = extract_metadata(html)
        return {"title": doc.title or "", "byline": doc.author or "", "lang": doc.language or "",
                "publishedTime": doc.date or "", "excerpt": doc.description or ""}
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the readability dataset folder")
    parser.add_argument("--limit", type=int, help="only the first N pages")
    parser.add_argument("--misses", choices=FIELDS, help="list newsdedup's misses on this field")
    args = parser.parse_args(argv)
    truth = json.loads((args.data / "ground-truth.json").read_text(encoding="utf-8"))
    keys = sorted(truth)[:args.limit]
    pages = {key: gzip.decompress((args.data / "html" / f"{key}.html.gz").read_bytes()).decode("utf-8", "replace")
             for key in keys}
    extractors = {"newsdedup": ours()}
    try:
        extractors["trafilatura"] = trafilatura()
    except ImportError:
        print("trafilatura not installed: newsdedup only", file=sys.stderr)
    guesses = {name: {key: fn(pages[key]) for key in keys} for name, fn in extractors.items()}

    print("| field | pages | " + " | ".join(f"{n} exact | {n} token F1" for n in extractors) + " |")
    print("|---|---|" + "---|---|" * len(extractors))
    for field in FIELDS:
        scored = [key for key in keys if truth[key].get(field)]
        cells = []
        for name in extractors:
            exact = sum(same(field, truth[k][field], guesses[name][k][field]) for k in scored
                        if guesses[name][k][field])
            n = len(scored) or 1
            if field in TEXT_FIELDS:
                overlap = sum(token_f1(truth[k][field], guesses[name][k][field]) for k in scored)
                cells.append(f"{exact / n:.3f} | {overlap / n:.3f}")
            else:
                cells.append(f"{exact / n:.3f} | -")
        print(f"| {field} | {len(scored)} | " + " | ".join(cells) + " |")
    if args.misses:
        for key in keys:
            expected = truth[key].get(args.misses)
            got = guesses["newsdedup"][key][args.misses]
            if expected and not (got and same(args.misses, expected, got)):
                print(f"{key}: expected {expected!r}\n{'':{len(key)}}  got      {got!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
