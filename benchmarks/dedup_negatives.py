#!/usr/bin/env python3
"""Different articles about one event: does newsdedup keep them apart?

The hard negatives of news matching are not unrelated texts but other reports of the same
event: two agencies on one naval parade, two papers on one bank's statement. They share the
names, the numbers and the date; what tells them from a translation is that a translation
carries nearly all of the other's anchors in the same order. This benchmark mines such pairs
from the dev set and replays them as a held-out run sees them.

Mining (deterministic): every WMT source document of `wmt22-news.jsonl` is a different
article. Two source documents are one *event pair* when they share at least
`MIN_SHARED_NAMES` anchors that are not date parts and their IDF-weighted anchor overlap
(geometric-mean normalised, IDF over the source documents) is at least `MIN_OVERLAP`. The
anchors are the matcher's own (`ingest.matching.fingerprint.anchor_tokens` with default
settings), so the mining finds what the matcher itself would find most alike.

The corpus is every document (source, references, MT outputs) of every cluster in an event
pair, given blind (opaque ids, no language: `benchmarks/matching/blind.py`), replayed through
the real CLI and scored with the shared `score.py`. Reported: the event pairs whose clusters
ended up (partly) in one story, the false pairs between them, and pairwise P/R/F1 over the
corpus (recall: the clusters' own versions and translations still join).

    python benchmarks/dedup_negatives.py                     # mine, replay, score
    python benchmarks/dedup_negatives.py --keep /tmp/neg     # keep the corpus and predictions
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from dedup import DEFAULT_DATA, pick, replay, score  # noqa: E402
from matching.blind import blind_copy  # noqa: E402

from ingest.matching import MatchSettings  # noqa: E402
from ingest.matching.fingerprint import anchor_tokens  # noqa: E402
from ingest.matching.links import is_date_part  # noqa: E402

MIN_SHARED_NAMES = 4
MIN_OVERLAP = 0.2


def mine_event_pairs(docs: list[dict]) -> list[tuple[str, str, float, int]]:
    """(cluster a, cluster b, overlap, shared non-date anchors) for source documents alike enough."""
    settings = MatchSettings()
    sources = [d for d in docs if d["kind"] == "src"]
    anchors = {d["cluster"]: set(anchor_tokens(f"{d['title']}\n{d['text']}", d["lang"], settings)) for d in sources}
    frequency = Counter(t for tokens in anchors.values() for t in tokens)
    total = len(anchors)

    def weight(token: str) -> float:
        return math.log((total + 1) / frequency[token])

    weights = {c: sum(weight(t) for t in tokens) for c, tokens in anchors.items()}
    pairs = []
    for a, b in itertools.combinations(sorted(anchors), 2):
        shared = anchors[a] & anchors[b]
        names = [t for t in shared if not is_date_part(t)]
        if len(names) < MIN_SHARED_NAMES or not weights[a] or not weights[b]:
            continue
        overlap = sum(weight(t) for t in shared) / math.sqrt(weights[a] * weights[b])
        if overlap >= MIN_OVERLAP:
            pairs.append((a, b, overlap, len(names)))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--keep", type=Path, help="keep the corpus and predictions in this folder")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    docs = [json.loads(line) for line in (args.data / "wmt22-news.jsonl").open(encoding="utf-8")]
    pairs = mine_event_pairs(docs)
    clusters = {c for a, b, _, _ in pairs for c in (a, b)}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        corpus = workdir / "negatives.jsonl"
        with corpus.open("w", encoding="utf-8") as out:
            for doc in docs:
                if doc["cluster"] in clusters:
                    out.write(json.dumps(doc, ensure_ascii=False) + "\n")
        blind, gold = blind_copy(corpus, workdir)
        ours = replay(blind, workdir, "negatives")
        scores = score(gold, ours["predictions"], args.data)
        predicted = {json.loads(line)["id"]: json.loads(line)["cluster"] for line in ours["predictions"].open()}
        members: dict[str, list[str]] = {}
        for line in gold.open(encoding="utf-8"):
            doc = json.loads(line)
            members.setdefault(doc["cluster"], []).append(predicted.get(doc["id"], doc["id"]))
        joined, false_pairs = [], 0
        for a, b, overlap, names in pairs:
            stories_a, stories_b = Counter(members[a]), Counter(members[b])
            between = sum(stories_a[s] * stories_b[s] for s in stories_a)
            false_pairs += between
            if between:
                joined.append((a, b, overlap, names, between))
    p, r, f = pick(scores, "overall")
    print(f"{len(pairs)} event pairs (source documents sharing >= {MIN_SHARED_NAMES} names, overlap >= "
          f"{MIN_OVERLAP}) over {len(clusters)} clusters, {ours['docs']} documents, replayed blind")
    print(f"event pairs joined: {len(joined)}/{len(pairs)}; false pairs between them: {false_pairs}")
    print(f"pairwise over the corpus: P {p:.3f} R {r:.3f} F1 {f:.3f}   "
          f"(same-lang R {pick(scores, 'same_lang')[1]:.3f}, cross-lang R {pick(scores, 'cross_lang')[1]:.3f})")
    for a, b, overlap, names, between in joined:
        print(f"  joined  {overlap:.2f} {names:2d} names  {a}  +  {b}   {between} false pairs")
    if args.json:
        args.json.write_text(json.dumps({"event_pairs": len(pairs), "joined": len(joined), "false_pairs": false_pairs,
                                         "P": p, "R": r, "F1": f, "scores": scores}, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
