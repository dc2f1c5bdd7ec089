#!/usr/bin/env python3
"""How ingest cost and memory grow with the stream: 10 thousand to 1 million documents.

Synthetic documents go through the real `Pipeline` in-process (extract, language, both
fingerprint views, LSH candidates, verification, `--batch` documents per SQLite transaction) with an
injected clock that advances `--docs-per-day` documents per simulated day, so the live
index's window (`window_days`, default 7) fills and then evicts. Every `--block` documents
it prints the block's mean and p99 time per document, VmRSS (/proc/self/status), the live
index size (`len(pipeline.index)`), the IDF table size and the database size on disk.

The generator: words from wordfreq's lists of five languages (en de fr es ru, so language
identification works as on real text), names from a Zipf-distributed pool of synthetic
names (unknown to wordfreq, so they are anchors; transliterated to Cyrillic in Russian),
numbers and dates. Each document is a new story, or (`--repeats`) a lightly edited repeat
of a story of the last two days in the same language, or (`--translations`) the story
retold in another language: the same names and numbers in the same order, other words.

    python benchmarks/dedup_scale.py --docs 10000
    python benchmarks/dedup_scale.py --docs 100000 --json /tmp/scale.json
    python benchmarks/dedup_scale.py --copies 3000          # one story repeated N times: cost per copy
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.pipeline import Pipeline, Prepared, prepare  # noqa: E402
from ingest.readers import RawDocument  # noqa: E402
from ingest.settings import ReadSettings  # noqa: E402
from newsdedup.cli import tune_collector  # noqa: E402
from newsdedup.config import Settings  # noqa: E402
from storage import Store  # noqa: E402

LANGS = ("en", "de", "fr", "es", "ru")
_CYRILLIC = dict(zip("abvgdezijklmnoprstufhc", "абвгдезийклмнопрстуфхц", strict=True))
_CYRILLIC.update({"y": "ы", "w": "в", "q": "к", "x": "кс"})
SYLLABLES = ["ka", "lo", "mi", "ren", "dor", "vas", "tel", "bri", "zan", "mur", "qui", "sel", "tor", "pan",
             "gos", "lev", "nik", "ash", "ber", "dun", "fel", "hal", "jor", "kul", "mas", "nor", "pet", "rud"]


def vmrss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Story:
    lang: str
    names: list[str]
    numbers: list[str]
    text: str
    title: str


class Generator:
    """Synthetic news: new stories, repeats and translation-like retellings, seeded."""

    def __init__(self, seed: int, names: int, words: int, repeats: float, translations: float) -> None:
        from wordfreq import top_n_list

        self.rng = random.Random(seed)
        self.vocab = {lang: [w for w in top_n_list(lang, words * 2) if w.isalpha() and len(w) > 1][:words]
                      for lang in LANGS}
        self.names = sorted({"".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(2, 4))).capitalize()
                             for _ in range(names)})
        self.rng.shuffle(self.names)
        # Zipf-like popularity: a few names are in many stories, most in few.
        self.name_weights = list(itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(self.names))))
        self.repeats, self.translations = repeats, translations
        self.recent: list[Story] = []
        self.kinds: dict[str, int] = {"new": 0, "repeat": 0, "translation": 0}

    def _name(self, name: str, lang: str) -> str:
        if lang != "ru":
            return name
        low = name.lower()
        return "".join(_CYRILLIC.get(c, c) for c in low).capitalize()

    def _text(self, lang: str, names: list[str], numbers: list[str], length: int) -> str:
        rng, vocab = self.rng, self.vocab[lang]
        anchors = [("n", n) for n in names] + [("d", d) for d in numbers]
        rng.shuffle(anchors)
        paragraphs, sentence, sentences = [], [], []
        per_anchor = max(1, length // (len(anchors) + 1))
        for i in range(length):
            sentence.append(rng.choice(vocab))
            if anchors and i % per_anchor == per_anchor - 1:
                kind, value = anchors[(i // per_anchor) % len(anchors)]
                sentence.append(self._name(value, lang) if kind == "n" else value)
            if len(sentence) >= rng.randint(10, 22):
                sentences.append(sentence[0].capitalize() + " " + " ".join(sentence[1:]) + ".")
                sentence = []
                if len(sentences) >= rng.randint(3, 5):
                    paragraphs.append(" ".join(sentences))
                    sentences = []
        if sentence:
            sentences.append(" ".join(sentence) + ".")
        if sentences:
            paragraphs.append(" ".join(sentences))
        return "\n\n".join(paragraphs)

    def _new_story(self, lang: str, length: int) -> Story:
        rng = self.rng
        names = list(dict.fromkeys(rng.choices(self.names, cum_weights=self.name_weights, k=rng.randint(3, 8))))
        numbers = [str(rng.randint(2, 99)) for _ in range(rng.randint(1, 3))] + [str(rng.choice(range(1990, 2027)))]
        if rng.random() < 0.5:
            numbers.append(f"{rng.randint(1, 999)},{rng.randint(0, 999):03d}")
        text = self._text(lang, names, numbers, length)
        title = " ".join([self._name(names[0], lang), *rng.choices(self.vocab[lang], k=rng.randint(4, 8))])
        return Story(lang, names, numbers, text, title)

    def next(self, length: int) -> tuple[str, str, str, str]:
        """(kind, lang, title, text) of the next document."""
        rng = self.rng
        roll = rng.random()
        if self.recent and roll < self.repeats:
            story = rng.choice(self.recent)
            words = story.text.split(" ")
            edited = [w for w in words if rng.random() > 0.02]
            cut = "\n\n".join(" ".join(edited).split("\n\n")[:-1]) if rng.random() < 0.3 else " ".join(edited)
            self.kinds["repeat"] += 1
            return "repeat", story.lang, story.title, cut or story.text
        if self.recent and roll < self.repeats + self.translations:
            story = rng.choice(self.recent)
            lang = rng.choice([lang for lang in LANGS if lang != story.lang])
            text = self._text(lang, story.names, story.numbers, len(story.text.split()))
            self.kinds["translation"] += 1
            return "translation", lang, " ".join([self._name(story.names[0], lang), *rng.choices(
                self.vocab[lang], k=5)]), text
        story = self._new_story(rng.choice(LANGS), length)
        self.recent.append(story)
        self.kinds["new"] += 1
        return "new", story.lang, story.title, story.text

    def forget_before(self, keep: int) -> None:
        del self.recent[:-keep]


def warm_up(settings: Settings) -> None:
    """Load what every process loads once (language model, word lists), outside the figures."""
    from ingest import language
    from ingest.matching.fingerprint import fingerprint

    for lang, text in (("en", "The Minister said on Monday"), ("de", "Die Regierung sagte am Montag"),
                       ("fr", "Le ministre a dit lundi"), ("es", "El ministro dijo el lunes"),
                       ("ru", "Министр сказал в понедельник")):
        language.detect(text, declared=lang)
        fingerprint("", text * 5, lang, settings.matching)


def run_stream(args: argparse.Namespace, workdir: Path) -> dict:
    settings = Settings(db=str(workdir / "scale.db"), window_days=args.window_days)
    warm_up(settings)
    store = Store(settings.storage.db)
    seconds_per_doc = 86400 / args.docs_per_day
    start = 1_700_000_000.0
    now = [start]
    pipeline = Pipeline(store, settings.matching, clock=lambda: now[0])
    generator = Generator(args.seed, args.names, args.words, args.repeats, args.translations)
    base_rss = vmrss_mb()
    rows = []
    print(f"{args.docs:,} documents, {args.docs_per_day:,}/simulated day, window {args.window_days} days "
          f"(~{int(args.docs_per_day * args.window_days):,} documents); RSS before ingest {base_rss:.0f} MB")
    print(f"{'docs':>9} {'day':>6} {'ms/doc':>7} {'p50':>6} {'p99':>6} {'gen ms':>6} {'RSS MB':>7} "
          f"{'index':>7} {'KB/idx doc':>10} {'IDF tokens':>10} {'db MB':>7}")
    times: list[float] = []
    gen_seconds = 0.0
    started_all = time.perf_counter()
    batch: list[Prepared] = []
    prepare_seconds: list[float] = []
    for i in range(args.docs):
        now[0] = start + i * seconds_per_doc
        g0 = time.perf_counter()
        _, lang, title, text = generator.next(args.length)
        if i % 1000 == 0:
            generator.forget_before(int(args.docs_per_day * 2 / (1 + args.repeats + args.translations)))
        raw = RawDocument(key=f"doc{i}", origin=f"doc{i}", kind="text", body=text, lang=lang, title=title)
        t0 = time.perf_counter()
        gen_seconds += t0 - g0
        # As `newsdedup replay` does: extract and fingerprint each document, write `--batch` per
        # transaction. A document's time is its own preparation plus its share of its batch's write.
        batch.append(prepare(raw, settings.matching))
        prepare_seconds.append(time.perf_counter() - t0)
        if len(batch) == args.batch or (i + 1) % args.block == 0 or i + 1 == args.docs:
            w0 = time.perf_counter()
            pipeline.ingest_batch(batch)
            share = (time.perf_counter() - w0) / len(batch)
            times.extend(seconds + share for seconds in prepare_seconds)
            batch, prepare_seconds = [], []
        if (i + 1) % args.block == 0 or i + 1 == args.docs:
            rss = vmrss_mb()
            indexed = len(pipeline.index)
            db_mb = sum(p.stat().st_size for p in workdir.glob("scale.db*")) / 2**20
            ordered = sorted(times)
            row = {"docs": i + 1, "day": (now[0] - start) / 86400, "ms_per_doc": 1000 * statistics.fmean(times),
                   "p50_ms": 1000 * ordered[len(ordered) // 2], "p99_ms": 1000 * ordered[int(len(ordered) * 0.99)],
                   "generator_ms": 1000 * gen_seconds / len(times), "rss_mb": rss, "indexed": indexed,
                   "kb_per_indexed_doc": (rss - base_rss) * 1024 / max(indexed, 1),
                   "idf_tokens": len(pipeline.index.document_frequency), "db_mb": db_mb,
                   "stories_in_index": len(pipeline.index.story_members)}
            rows.append(row)
            print(f"{row['docs']:9,} {row['day']:6.1f} {row['ms_per_doc']:7.2f} {row['p50_ms']:6.2f} "
                  f"{row['p99_ms']:6.2f} {row['generator_ms']:6.2f} {rss:7.0f} {indexed:7,} "
                  f"{row['kb_per_indexed_doc']:10.1f} {row['idf_tokens']:10,} {db_mb:7.0f}", flush=True)
            times, gen_seconds = [], 0.0
            if args.max_minutes and time.perf_counter() - started_all > args.max_minutes * 60:
                print(f"stopped after {args.max_minutes} minutes (--max-minutes)")
                break
    counts = store.documents.counts()
    store.close()
    total = time.perf_counter() - started_all
    print(f"kinds generated: {generator.kinds}; stored: {counts.documents:,} documents in "
          f"{counts.stories:,} stories; {total:.0f} s in all")
    return {"settings": vars(args) | {"base_rss_mb": base_rss}, "blocks": rows, "kinds": generator.kinds,
            "stored": vars(counts), "seconds": total}


def run_copies(args: argparse.Namespace, workdir: Path) -> dict:
    """One story ingested `--copies` times: identical texts (the content hash answers) and
    near-identical ones (each differs by one token, so every copy goes through LSH and
    verification against a story that keeps growing)."""
    settings = Settings(db=str(workdir / "copies.db"))
    warm_up(settings)
    generator = Generator(args.seed, args.names, args.words, 0, 0)
    _, lang, title, text = generator.next(args.length)
    results = {}
    for mode in ("identical", "near-identical"):
        store = Store(str(workdir / f"copies-{mode}.db"))
        pipeline = Pipeline(store, settings.matching, clock=lambda: 1_700_000_000.0)
        blocks, times = [], []
        step = max(1, args.copies // 10)
        for i in range(args.copies):
            body = text if mode == "identical" else f"{text}\n\nCopy {i}."
            raw = RawDocument(key=f"{mode}{i}", origin=f"{mode}{i}", kind="text", body=body, lang=lang, title=title)
            t0 = time.perf_counter()
            pipeline.ingest(raw)
            times.append(time.perf_counter() - t0)
            if (i + 1) % step == 0:
                blocks.append({"copies": i + 1, "ms_per_doc": 1000 * statistics.fmean(times)})
                times = []
        stories = store.documents.counts().stories
        store.close()
        results[mode] = {"blocks": blocks, "stories": stories}
        print(f"{mode}: {args.copies} copies -> {stories} stories; ms/doc by block of {step}: "
              + " ".join(f"{b['ms_per_doc']:.1f}" for b in blocks))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000, help="documents to ingest (e.g. 10000, 1000000)")
    parser.add_argument("--block", type=int, default=10_000, help="report every N documents")
    parser.add_argument("--docs-per-day", type=int, default=5_000, help="simulated arrival rate")
    parser.add_argument("--window-days", type=float, default=7.0)
    parser.add_argument("--length", type=int, default=300, help="words per new story")
    parser.add_argument("--repeats", type=float, default=0.2, help="share of documents that repeat a recent story")
    parser.add_argument("--translations", type=float, default=0.05, help="share retelling one in another language")
    parser.add_argument("--names", type=int, default=200_000, help="size of the synthetic name pool")
    parser.add_argument("--words", type=int, default=5_000, help="vocabulary per language")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=ReadSettings().replay_batch,
                        help="documents per transaction (as replay_batch; 1: one each, as the crawler writes)")
    parser.add_argument("--max-minutes", type=float, default=0, help="stop after the block that passes this")
    parser.add_argument("--copies", type=int, default=0, help="instead: one story ingested N times")
    parser.add_argument("--keep", type=Path, help="keep the database in this directory")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--quick", action="store_true",
                        help="a small run that only shows the benchmark still works (CI): 2,000 documents")
    args = parser.parse_args()
    tune_collector()  # as every command does
    if args.quick:
        args.docs, args.block, args.docs_per_day, args.names, args.words = 2000, 1000, 500, 5000, 1000
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for stale in workdir.glob("*.db*"):
            if re.match(r"(scale|copies)", stale.name):
                stale.unlink()
        result = run_copies(args, workdir) if args.copies else run_stream(args, workdir)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
