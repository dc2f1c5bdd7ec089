#!/usr/bin/env python3
"""Same-language repeats from real articles: can newsdedup tell a re-post from another story?

Real repeats in one language are mostly near-verbatim: the same wire copy on another site
with that site's furniture, a new headline, a cut last paragraph, a correction. This
benchmark builds such variants, with seeded randomness, from the 181 real article bodies of
the ScrapingHub extraction benchmark (`../shared/bench/extraction/scrapinghub/ground-truth.json`),
replays them through the real CLI (`python -m ingest replay`, then `clusters`), scores
pairwise P/R/F1 with the shared `score.py`, and runs plain MinHash (benchmarks/dedup.py's
`baseline()`: word 5-gram shingles, LSH 0.5, union-find) on the same corpus in the same run.

Positives (each in the cluster of its source article), one of each type per article:
  boilerplate    the article inside one of 8 site templates: header/footer furniture
                 ("Share this article", "Follow us on Twitter", "Comments (3)", a related-links
                 block of other articles' headlines, a copyright/disclaimer paragraph, ...)
  headline       another headline (wire prefixes, site suffixes, or a sentence of the text)
  truncated      the last paragraph cut
  shortened      only the first half of the paragraphs (regional sites running wire copy short)
  correction     a number changed (or a word replaced) and a correction note appended
  rewrap         paragraphs hard-wrapped at 60-78 columns, or merged, or one sentence per line
  light-edit     ~3% of words edited: synonyms, deletions, typos, spelling variants
  combined       boilerplate + headline + correction + truncated + rewrap + light edits
  neighbour-site the article's nearest topical neighbour B (TF-IDF cosine over content words)
                 inside the *same* site template and related-links block as this article's
                 boilerplate variant: a positive for B, and a hard negative for this article
                 (two stories on one topic that share every line of furniture)
Negatives:
  the other articles (each its own story; many share topics loosely: two on WeWork, two on
  Delhi air, several on Black Friday deals, NFL, tennis ...); the same-site pairs above; and
  template       (--templates N) the article with every name and number replaced
                 consistently: the shape of auto-generated stories (results, earnings,
                 weather) where two different stories share almost every word.

    python benchmarks/dedup_variants.py                    # all 181 articles, shuffled order
    python benchmarks/dedup_variants.py --keep /tmp/variants --json /tmp/variants.json
    python benchmarks/dedup_variants.py --order originals-first --templates 0
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import random
import re
import sys
import tempfile
import textwrap
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dedup import DEFAULT_DATA, baseline, pick, replay, score  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ARTICLES = ROOT.parent / "shared" / "bench" / "extraction" / "scrapinghub" / "ground-truth.json"
VARIANT_TYPES = ("boilerplate", "headline", "truncated", "shortened", "correction", "rewrap", "light-edit",
                 "combined", "neighbour-site")

# -- site templates: furniture a site wraps around every article it runs

SITES = [
    {"name": "daily-example",
     "header": ["Share this article", "Follow us on Twitter", "By Staff Reporter", "Published 3 hours ago"],
     "footer": ["Comments (3)", "Related articles", "{teasers}"]},
    {"name": "metro-herald",
     "header": ["Advertisement", "Home > News > {section}", "Listen to this article: {minutes} min"],
     "footer": ["Sign up for our newsletter to get the latest updates in your inbox.",
                "Follow us on Facebook, Twitter and Instagram for more news.",
                "© 2019 Metro Herald Media Group. All rights reserved."]},
    {"name": "wire-mirror",
     "header": ["{agency} —"],
     "footer": ["Copyright 2019 The Associated Press. All rights reserved. This material may not be published, "
                "broadcast, rewritten or redistributed without permission.",
                "Topics: {section}, World, Breaking News"]},
    {"name": "tech-blog",
     "header": ["Posted by admin on November 19, 2019", "Tweet", "Pin it", "Email"],
     "footer": ["Related coverage", "{teasers}", "Read more: {teaser}",
                "Disclosure: We may earn a commission when you buy through links on our site."]},
    {"name": "city-news",
     "header": ["Breaking News", "Updated: 11/19/2019 4:52 PM EST"],
     "footer": ["Have a news tip? Email us at tips@citynews.example or call 555-0134.",
                "The views expressed in the comments below are those of the readers and not of City News. "
                "Please keep the discussion civil and on topic; comments that break our rules will be removed.",
                "Comments (12)", "You may also like", "{teasers}"]},
    {"name": "aggregator",
     "header": ["Trending now: {teaser}", "Share on Facebook", "Share on Twitter", "Share via Email"],
     "footer": ["This article was originally published on a partner site and is republished here with "
                "permission.", "More from {section}", "{teasers}", "Load more comments"]},
    {"name": "sports-desk",
     "header": ["Scores", "Schedule", "Standings", "Sign in"],
     "footer": ["Follow us on Twitter @SportsDesk", "Most read", "{teasers}"]},
    {"name": "morning-post",
     "header": ["MORNING POST", "Subscribe now for unlimited access - only $1 for 4 weeks"],
     "footer": ["We use cookies to give you the best experience on our website.",
                "Story continues below advertisement",
                "Want more stories like this? Sign up for our daily briefing newsletter in your inbox.",
                "Photo: Getty Images"]},
]
SECTIONS = ["Politics", "Business", "Technology", "Sports", "Entertainment", "Science", "Health", "World"]
AGENCIES = ["NEW YORK (AP)", "LONDON (Reuters)", "WASHINGTON (AP)", "PARIS (AFP)", "LOS ANGELES (AP)"]
HEADLINE_PREFIXES = ["UPDATE 1-", "UPDATE 2-", "BREAKING: ", "Analysis: ", "Exclusive: ", "WATCH: ", "Opinion: "]
HEADLINE_SUFFIXES = [" | Daily Example", " - Reuters", " — Metro Herald", " | City News", " (VIDEO)", " - Tech Blog"]
SYNONYMS = {"said": "says", "says": "said", "but": "however", "however": "but", "big": "large", "large": "big",
            "also": "too", "buy": "purchase", "show": "reveal", "start": "begin", "help": "assist",
            "percent": "per cent", "color": "colour", "center": "centre", "organization": "organisation",
            "while": "whilst", "about": "around", "many": "numerous", "get": "obtain", "people": "persons"}
WORD_FIXES = {"Monday": "Tuesday", "Tuesday": "Wednesday", "Wednesday": "Thursday", "Thursday": "Friday",
              "Friday": "Monday", "million": "billion", "billion": "million", "first": "second",
              "increase": "decrease", "more": "fewer", "higher": "lower", "won": "lost"}
STOPWORDS = set("""a an the and or but if of to in on at by for with from as is are was were be been being it its
this that these those he she they we you i his her their our your them him not no so than then there here
have has had do does did will would can could should may might must about into over after before more most
also just new said says one two all some any what which who when where how why up out""".split())

_PARAGRAPHS = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"‘'(])")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")
_WORDS = re.compile(r"[A-Za-z][A-Za-z'’-]+")


# -- articles


def load_articles(path: Path) -> list[dict]:
    """[{key, url, title, paragraphs, lang}] of the ground-truth bodies, in key order."""
    from ingest import language

    data = json.loads(path.read_text(encoding="utf-8"))
    articles = []
    for key in sorted(data):
        body = data[key]["articleBody"].strip()
        paragraphs = [p.strip() for p in _PARAGRAPHS.split(body) if p.strip()]
        if not paragraphs:
            continue
        url = data[key].get("url") or ""
        articles.append({"key": key[:12], "url": url, "paragraphs": paragraphs,
                         "title": headline_of(url, paragraphs[0]), "lang": language.detect(body)})
    return articles


def headline_of(url: str, lead: str) -> str:
    """The headline its URL slug spells ("new-suvs-highlight-la-show" → "New suvs highlight la show"),
    else the lead's first sentence."""
    slug = urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]
    slug = re.sub(r"\.(?:html?|php|aspx?)$", "", slug)
    words = [w for w in re.split(r"[-_+]", slug) if w and not (w.isdigit() and len(w) > 4)]
    if len(words) >= 4 and all(w.isalnum() for w in words):
        text = " ".join(words)
        return text[0].upper() + text[1:]
    return first_sentence(lead)


def first_sentence(paragraph: str, limit: int = 100) -> str:
    sentence = _SENTENCE.split(paragraph, maxsplit=1)[0]
    return sentence if len(sentence) <= limit else sentence[:limit].rsplit(" ", 1)[0]


def content_words(article: dict) -> collections.Counter:
    text = " ".join([article["title"], *article["paragraphs"]]).lower()
    return collections.Counter(w for w in _WORDS.findall(text) if w not in STOPWORDS and len(w) > 2)


def nearest_neighbours(articles: list[dict]) -> list[tuple[int, float]]:
    """For each article, (index of the most similar other article, cosine): TF-IDF over content words."""
    bags = [content_words(a) for a in articles]
    df = collections.Counter(w for bag in bags for w in bag)
    n = len(bags)
    vectors = []
    for bag in bags:
        v = {w: (1 + math.log(c)) * math.log(n / df[w]) for w, c in bag.items() if df[w] < n}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors.append({w: x / norm for w, x in v.items()})
    best = []
    for i, v in enumerate(vectors):
        scores = [(sum(x * vectors[j].get(w, 0.0) for w, x in v.items()), j) for j in range(n) if j != i]
        cos, j = max(scores)
        best.append((j, cos))
    return best


# -- variant operations (each takes and returns (title, paragraphs))


def render(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)


def site_wrap(rng: random.Random, paragraphs: list[str], site: dict, teasers: list[str]) -> list[str]:
    fill = {"section": rng.choice(SECTIONS), "minutes": str(rng.randint(2, 9)), "agency": rng.choice(AGENCIES),
            "teaser": teasers[0], "teasers": "\n".join(teasers[1:])}

    def lines(block: list[str]) -> list[str]:
        return [line.format(**fill) for line in block]

    return [*lines(site["header"]), *paragraphs, *lines(site["footer"])]


def rewrite_headline(rng: random.Random, title: str, paragraphs: list[str]) -> str:
    choice = rng.randrange(4)
    if choice == 0:
        return rng.choice(HEADLINE_PREFIXES) + title
    if choice == 1:
        return title + rng.choice(HEADLINE_SUFFIXES)
    if choice == 2:
        return title.title()
    sentences = [s for p in paragraphs for s in _SENTENCE.split(p) if 20 <= len(s) <= 140]
    return rng.choice(sentences).rstrip(".") if sentences else "Update: " + title


def cut_last(paragraphs: list[str]) -> list[str]:
    return paragraphs[:-1] if len(paragraphs) > 1 else paragraphs


def shorten(paragraphs: list[str]) -> list[str]:
    return paragraphs[: max(1, (len(paragraphs) + 1) // 2)]


def correct(rng: random.Random, paragraphs: list[str]) -> list[str]:
    """Change one number (or, with none, replace one word) and append a correction note."""
    paragraphs = list(paragraphs)
    spots = [(i, m) for i, p in enumerate(paragraphs) for m in _NUMBER.finditer(p)]
    if spots:
        i, m = rng.choice(spots)
        digits = m.group()
        new = str(int(re.sub(r"\D", "", digits)[:9] or "0") + rng.randint(1, 9))
        paragraphs[i] = paragraphs[i][: m.start()] + new + paragraphs[i][m.end():]
        what = f"figure ({digits}, not {new})" if rng.random() < 0.5 else "figure"
    else:
        fixable = [(i, m) for i, p in enumerate(paragraphs) for m in re.finditer(r"\b\w+\b", p)
                   if m.group() in WORD_FIXES]
        if fixable:
            i, m = rng.choice(fixable)
            paragraphs[i] = paragraphs[i][: m.start()] + WORD_FIXES[m.group()] + paragraphs[i][m.end():]
        what = "name of an official"
    paragraphs.append(f"Correction: An earlier version of this story misstated the {what}. "
                      "The story has been updated.")
    return paragraphs


def rewrap(rng: random.Random, paragraphs: list[str]) -> list[str]:
    choice = rng.randrange(3)
    if choice == 0:  # hard-wrapped lines, as in a plain-text wire feed
        width = rng.randint(60, 78)
        return ["\n".join(textwrap.wrap(p, width)) for p in paragraphs]
    if choice == 1:  # merged into one or two blocks
        half = max(1, len(paragraphs) // 2)
        return [" ".join(paragraphs[:half]), " ".join(paragraphs[half:])] if len(paragraphs) > 1 else paragraphs
    return [s for p in paragraphs for s in _SENTENCE.split(p)]  # one sentence per paragraph


def light_edit(rng: random.Random, paragraphs: list[str], rate: float = 0.03) -> list[str]:
    def edit(word: str) -> str:
        if rng.random() >= rate:
            return word
        core = word.strip(".,;:!?\"'()“”‘’")
        if core.lower() in SYNONYMS:
            return word.replace(core, SYNONYMS[core.lower()])
        choice = rng.randrange(3)
        if choice == 0 and len(core) > 3 and not any(c.isdigit() for c in core):  # a typo
            k = rng.randrange(1, len(core) - 2)
            return word.replace(core, core[:k] + core[k + 1] + core[k] + core[k + 2:])
        if choice == 1 and word == core:  # a dropped word
            return ""
        return word
    return [" ".join(w for w in (edit(w) for w in p.split(" ")) if w) for p in paragraphs]


def template_negative(rng: random.Random, title: str, paragraphs: list[str]) -> tuple[str, list[str]]:
    """Every number and every mid-sentence capitalised word replaced, consistently: another story
    in the same words (auto-generated results, earnings, weather reports look like this)."""
    mapping: dict[str, str] = {}
    syllables = ["ka", "lo", "mi", "ren", "dor", "vas", "tel", "bri", "zan", "mur", "qui", "sel"]

    def name(word: str) -> str:
        if word not in mapping:
            mapping[word] = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3))).capitalize()
        return mapping[word]

    def number(match: re.Match[str]) -> str:
        raw = match.group()
        if raw not in mapping:
            mapping[raw] = "".join(str(rng.randint(0, 9)) if c.isdigit() else c for c in raw)
        return mapping[raw]

    def rewrite(text: str) -> str:
        text = _NUMBER.sub(number, text)
        return re.sub(r"(?<=[a-z,;] )[A-Z][a-z]+", lambda m: name(m.group()), text)

    return rewrite(title), [rewrite(p) for p in paragraphs]


# -- the corpus


def build_corpus(articles: list[dict], seed: int, templates: int) -> tuple[list[dict], list[tuple]]:
    """Documents ({id, text, title, lang, cluster, type, source}) and the natural neighbour pairs."""
    rng = random.Random(seed)
    neighbours = nearest_neighbours(articles)
    docs: list[dict] = []
    site_of: dict[int, tuple[dict, list[str]]] = {}
    by_lang = collections.defaultdict(list)
    for a in articles:
        by_lang[a["lang"]].append(a)
    for i, a in enumerate(articles):
        # A site links to its own language's stories (a Japanese teaser on an English page
        # would also flip language detection: see the README's findings).
        pool = [o for o in by_lang[a["lang"]] if o is not a]
        pool = pool if len(pool) >= 4 else [o for o in articles if o is not a and o["lang"] == "en"]
        site_of[i] = (rng.choice(SITES), [o["title"] for o in rng.sample(pool, 4)])

    def add(article: dict, kind: str, title: str, paragraphs: list[str], cluster: str | None = None) -> None:
        docs.append({"id": f"{article['key']}.{kind}", "title": title, "text": render(paragraphs),
                     "lang": article["lang"], "cluster": cluster or article["key"], "type": kind,
                     "source": article["key"]})

    for i, a in enumerate(articles):
        title, paras = a["title"], a["paragraphs"]
        site, teasers = site_of[i]
        add(a, "original", title, paras)
        add(a, "boilerplate", title, site_wrap(rng, paras, site, teasers))
        add(a, "headline", rewrite_headline(rng, title, paras), paras)
        add(a, "truncated", title, cut_last(paras))
        add(a, "shortened", title, shorten(paras))
        add(a, "correction", title, correct(rng, paras))
        add(a, "rewrap", title, rewrap(rng, paras))
        add(a, "light-edit", title, light_edit(rng, paras))
        combined = light_edit(rng, rewrap(rng, cut_last(correct(rng, paras))))
        add(a, "combined", rewrite_headline(rng, title, paras), site_wrap(rng, combined, rng.choice(SITES), teasers))
        j, _ = neighbours[i]
        b = articles[j]
        docs.append({"id": f"{a['key']}.neighbour-site", "title": b["title"],
                     "text": render(site_wrap(rng, b["paragraphs"], site, teasers)), "lang": b["lang"],
                     "cluster": b["key"], "type": "neighbour-site", "source": b["key"], "site_of": a["key"]})
    for a in rng.sample(articles, min(templates, len(articles))):
        title, paras = template_negative(rng, a["title"], a["paragraphs"])
        add(a, "template", title, paras, cluster=f"{a['key']}.template")
    pairs = sorted({tuple(sorted((i, j))) + (round(c, 3),) for i, (j, c) in enumerate(neighbours)},
                   key=lambda p: -p[2])
    return docs, pairs


def write_jsonl(docs: list[dict], path: Path) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")


# -- analysis


def read_predictions(path: Path) -> dict[str, str]:
    return {r["id"]: r["cluster"] for r in map(json.loads, path.open(encoding="utf-8"))}


def per_type(docs: list[dict], pred: dict[str, str]) -> dict[str, dict]:
    """Per variant type: share of variants in the same predicted story as their source's original,
    and how many share their predicted story with a document of another gold story (a wrong join)."""
    original_story = {d["source"]: pred.get(d["id"]) for d in docs if d["type"] == "original"}
    story_clusters = collections.defaultdict(set)
    for d in docs:
        if d["type"] != "template":  # counted apart: see templates_joined
            story_clusters[pred.get(d["id"], d["id"])].add(d["cluster"])
    out: dict[str, dict] = {}
    for d in docs:
        if d["type"] in ("original", "template"):
            continue
        row = out.setdefault(d["type"], {"n": 0, "with_original": 0, "wrong_story": 0, "misses": []})
        row["n"] += 1
        story = pred.get(d["id"])
        if story is not None and story == original_story[d["source"]]:
            row["with_original"] += 1
        else:
            row["misses"].append(d["id"])
        if story_clusters[pred.get(d["id"], d["id"])] - {d["cluster"]}:
            row["wrong_story"] += 1
    for row in out.values():
        row["recall"] = row["with_original"] / row["n"]
    return out


def false_merges(docs: list[dict], pred: dict[str, str]) -> collections.Counter:
    """Predicted same-story pairs across gold clusters, counted by (type, type)."""
    by_story = collections.defaultdict(list)
    for d in docs:
        by_story[pred.get(d["id"], d["id"])].append(d)
    counts: collections.Counter = collections.Counter()
    for members in by_story.values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                a, b = members[x], members[y]
                if a["cluster"] != b["cluster"]:
                    counts[tuple(sorted((a["type"], b["type"])))] += 1
    return counts


def merged_sources(docs: list[dict], pred: dict[str, str]) -> list[list[str]]:
    """Groups of distinct source articles whose originals ended up in one story."""
    groups = collections.defaultdict(set)
    for d in docs:
        if d["type"] == "original":
            groups[pred.get(d["id"])].add(d["source"])
    return sorted((sorted(g) for g in groups.values() if len(g) > 1), key=len, reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=Path, default=DEFAULT_ARTICLES)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="where score.py is")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--templates", type=int, default=60, help="template negatives (0: none)")
    parser.add_argument("--order", choices=["shuffled", "originals-first"], default="shuffled")
    parser.add_argument("--keep", type=Path, help="keep the corpus, databases and predictions in this directory")
    parser.add_argument("--json", type=Path, help="write all figures here")
    parser.add_argument("--examples", type=int, default=3, help="missed variants to print per type")
    parser.add_argument("--quick", action="store_true",
                        help="the first 30 articles and 10 template negatives: shows the benchmark runs (CI)")
    args = parser.parse_args()

    articles = load_articles(args.articles)
    if args.quick:
        articles, args.templates = articles[:30], min(args.templates, 10)
    docs, pairs = build_corpus(articles, args.seed, args.templates)
    rng = random.Random(args.seed)
    if args.order == "shuffled":
        rng.shuffle(docs)
    else:
        docs.sort(key=lambda d: d["type"] != "original")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        corpus = workdir / "variants.jsonl"
        for stale in workdir.glob("variants.*"):  # a kept directory: replay into a fresh database
            stale.unlink()
        write_jsonl(docs, corpus)
        n_clusters = len({d["cluster"] for d in docs})
        print(f"{len(docs)} documents from {len(articles)} articles, {n_clusters} gold stories "
              f"(seed {args.seed}, {args.order}); corpus {corpus}")
        ours = replay(corpus, workdir, "variants")
        ours_pred = ours.pop("predictions")
        base = baseline(corpus, workdir, "variants")
        base_pred = base.pop("predictions")
        results: dict = {"documents": len(docs), "articles": len(articles), "seed": args.seed, "order": args.order}
        print(f"newsdedup  {ours['seconds']:6.1f} s  {ours['docs_per_second']:5.0f} docs/s  [{ours['summary']}]")
        print(f"baseline   {base['seconds']:6.1f} s  {base['docs_per_second']:5.0f} docs/s (in-process)\n")
        # The same scores without the template negatives (score.py ignores predicted ids not in gold).
        gold_plain = workdir / "variants.no-templates.jsonl"
        write_jsonl([d for d in docs if d["type"] != "template"], gold_plain)
        print(f"{'system':14}{'gold':14}{'P':>7}{'R':>7}{'F1':>7}   {'B3-P':>6}{'B3-R':>6}{'B3-F1':>6}")
        preds = {}
        for system, path in (("newsdedup", ours_pred), ("plain-minhash", base_pred)):
            for gold_name, gold in (("all", corpus), ("no-templates", gold_plain)):
                metrics = score(gold, path, args.data)
                p, r, f = pick(metrics, "overall")
                b3 = metrics["overall"]["bcubed"]
                print(f"{system:14}{gold_name:14}{p:7.3f}{r:7.3f}{f:7.3f}   "
                      f"{b3['P']:6.3f}{b3['R']:6.3f}{b3['F1']:6.3f}")
                if gold_name == "all":
                    results[system] = {"pairwise": metrics["overall"]["pairwise"], "bcubed": b3}
                else:
                    results[system]["no_templates"] = {"pairwise": metrics["overall"]["pairwise"], "bcubed": b3}
            preds[system] = read_predictions(path)
            results[system] |= {
                                "per_type": per_type(docs, preds[system]),
                                "false_merges": {" + ".join(k): v for k, v in
                                                 false_merges(docs, preds[system]).most_common()},
                                "merged_originals": merged_sources(docs, preds[system]),
                                "templates_joined": sum(
                                    1 for d in docs if d["type"] == "template"
                                    and preds[system].get(d["id"]) == preds[system].get(f"{d['source']}.original"))}
        print("\nper variant type: share in its original's story; wrong: its story holds another article's documents")
        print(f"{'type':16}{'n':>5}{'newsdedup':>11}{'wrong':>7}{'plain':>9}")
        for kind in VARIANT_TYPES:
            o, b = results["newsdedup"]["per_type"][kind], results["plain-minhash"]["per_type"][kind]
            print(f"{kind:16}{o['n']:5}{o['recall']:11.3f}{o['wrong_story']:7}{b['recall']:9.3f}")
        for system in ("newsdedup", "plain-minhash"):
            fm = results[system]["false_merges"]
            joined = results[system]["templates_joined"]
            print(f"\n{system}: {joined}/{args.templates} template negatives joined their source's story")
            print(f"{system}: false-merge pairs by type: " + (", ".join(f"{k} {v}" for k, v in fm.items()) or "none"))
            for group in results[system]["merged_originals"][:10]:
                print("  originals in one story: " + "; ".join(
                    f"{k} ({next(a['title'] for a in articles if a['key'] == k)[:50]})" for k in group))
        print("\nmissed variants (newsdedup), first per type:")
        by_id = {d["id"]: d for d in docs}
        for kind in VARIANT_TYPES:
            for doc_id in results["newsdedup"]["per_type"][kind]["misses"][: args.examples]:
                d = by_id[doc_id]
                print(f"  {doc_id:28} {len(d['text']):6} chars  title {d['title'][:60]!r}")
        print("\nnatural hard negatives: the closest article pairs (TF-IDF cosine) and whether they were merged")
        for i, j, cos in pairs[:10]:
            a, b = articles[i], articles[j]
            same = [s for s, pr in preds.items() if pr.get(f"{a['key']}.original") == pr.get(f"{b['key']}.original")]
            print(f"  {cos:.3f}  {a['title'][:45]!r} / {b['title'][:45]!r}  merged by: {', '.join(same) or '-'}")
        results["closest_pairs"] = [{"a": articles[i]["key"], "b": articles[j]["key"], "cosine": c}
                                    for i, j, c in pairs[:20]]
        if args.json:
            args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
