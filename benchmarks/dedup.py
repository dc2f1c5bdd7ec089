#!/usr/bin/env python3
"""Story clustering, side by side: newsdedup against plain MinHash on the same corpora, same run.

For each corpus: replay it with `newsdedup replay` into a fresh database (a real process:
wall time and peak RSS are measured), dump `newsdedup clusters`, score with the shared
`score.py`; then run the baseline — datasketch MinHash over word 5-gram shingles, LSH at
0.5, union-find — and score it the same way.

    python benchmarks/dedup.py                       # seeds, wmt22-news, wmt22
    python benchmarks/dedup.py --corpus wmt22-news --shuffles 3                 # sorted replay: 0 moved
    python benchmarks/dedup.py --corpus wmt22-news --shuffles 3 --order input   # arrival order as given
    python benchmarks/dedup.py --blind    # as a held-out run sees it: opaque ids (so stories
                                          # arrive interleaved) and no language field

Reads ../shared/bench/dedup/ beside the checkout (or --data).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "bench" / "dedup"
CORPORA = {"seeds": "seeds.jsonl", "wmt22-news": "wmt22-news.jsonl", "wmt22": "wmt22.jsonl"}


def newsdedup(*args: str) -> list[str]:
    return [sys.executable, "-m", "newsdedup", *args]


def replay(corpus: Path, workdir: Path, name: str, order: str = "sorted", workers: int = 1) -> dict:
    db = workdir / f"{name}.db"
    started = time.perf_counter()
    with (workdir / f"{name}.out").open("w+") as out, (workdir / f"{name}.err").open("w+") as err:
        proc = subprocess.Popen(newsdedup("replay", str(corpus), "--db", str(db), "--quiet", "--workers", str(workers)),
                                cwd=ROOT, stdout=out, stderr=err, text=True,
                                env={**os.environ, "NEWSDEDUP_REPLAY_ORDER": order})
        # wait4: this replay's own CPU and peak RSS (its workers included), not the largest of
        # every child this benchmark ran so far, as RUSAGE_CHILDREN's ru_maxrss would be.
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"replay failed: {stderr[-2000:]}")
    predictions = workdir / f"{name}.pred.jsonl"
    with predictions.open("w") as fh:
        subprocess.run(newsdedup("clusters", "--db", str(db)), cwd=ROOT, stdout=fh, check=True)
    docs = sum(1 for _ in corpus.open())
    return {"seconds": elapsed, "docs_per_second": docs / elapsed, "docs": docs,
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024,  # KiB on Linux
            "summary": stdout.strip().splitlines()[-1],
            "predictions": predictions, "db": db}


def first_document_seconds(corpus: Path, workdir: Path, *, cold: bool = False) -> float:
    """Wall time of `newsdedup replay` of the corpus's first document into a new database: from
    starting the command to the document stored and the process gone (the best of three).
    `cold`: with an empty cache directory each time, as on a machine's first run, when the
    language model's and word lists' tables are derived (ingest/cache.py)."""
    one = workdir / "first-document.jsonl"
    with corpus.open(encoding="utf-8") as fh:
        one.write_text(fh.readline(), encoding="utf-8")
    times = []
    for attempt in range(3):
        db = workdir / f"first-document-{attempt}{'-cold' if cold else ''}.db"
        env = {**os.environ, "XDG_CACHE_HOME": tempfile.mkdtemp(dir=workdir)} if cold else None
        started = time.perf_counter()
        subprocess.run(newsdedup("replay", str(one), "--db", str(db), "--quiet"), cwd=ROOT, check=True,
                       capture_output=True, env=env)
        times.append(time.perf_counter() - started)
    return min(times)


_INDEX_MEMORY = """
import gc, sys, tracemalloc
from ingest.matching import MatchSettings, StoryIndex
from storage import open_database
with open_database(sys.argv[1]) as db:
    signatures = list(db.documents.signatures_since(0))
    frequencies = db.documents.anchor_document_frequencies()
StoryIndex(MatchSettings()).load(signatures[:1], frequencies)  # its modules imported before tracing
gc.collect()
tracemalloc.start()
index = StoryIndex(MatchSettings())
index.load(signatures, frequencies)
index.candidates.table._merge()  # as after the next merge
gc.collect()
print(tracemalloc.get_traced_memory()[0], len(index))
"""


def index_kb_per_document(db: Path) -> float:
    """The live index's memory per document (every Python object and array it holds, traced by
    tracemalloc), loaded from the replayed database's signatures as a restarted worker loads it."""
    out = subprocess.run([sys.executable, "-c", _INDEX_MEMORY, str(db)], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.split()
    return int(out[0]) / 1024 / max(int(out[1]), 1)


def baseline(corpus: Path, workdir: Path, name: str) -> dict:
    """Plain MinHash: word 5-gram shingles, LSH threshold 0.5, union-find over LSH hits."""
    from datasketch import MinHash, MinHashLSH

    started = time.perf_counter()
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    ids = []
    for line in corpus.open(encoding="utf-8"):
        doc = json.loads(line)
        words = re.findall(r"\w+", doc["text"].lower())
        shingles = {" ".join(words[i:i + 5]) for i in range(max(1, len(words) - 4))}
        m = MinHash(num_perm=128)
        m.update_batch([s.encode("utf-8") for s in shingles])
        parent[doc["id"]] = doc["id"]
        for other in lsh.query(m):
            parent[find(other)] = find(doc["id"])
        lsh.insert(doc["id"], m)
        ids.append(doc["id"])
    elapsed = time.perf_counter() - started
    predictions = workdir / f"{name}.baseline.jsonl"
    with predictions.open("w") as fh:
        for doc_id in ids:
            fh.write(json.dumps({"id": doc_id, "cluster": find(doc_id)}) + "\n")
    return {"seconds": elapsed, "docs_per_second": len(ids) / elapsed, "docs": len(ids), "predictions": predictions}


def score(gold: Path, predictions: Path, data: Path, extra: list[str] = ()) -> dict:
    out = Path(tempfile.mktemp(suffix=".json"))
    subprocess.run([sys.executable, str(data / "score.py"), str(gold), str(predictions), "--json", str(out), *extra],
                   check=True, capture_output=True)
    return json.loads(out.read_text())


def pick(metrics: dict, subset: str) -> tuple[float, float, float]:
    """Pairwise (P, R, F1) of a score.py subset: overall, same_lang, cross_lang or a pair like en-ru."""
    m = metrics.get(subset) or metrics["per_pair"].get(subset)
    if m is None:
        return (float("nan"),) * 3
    pw = m["pairwise"]
    return pw["P"], pw["R"], pw["F1"]


def shuffled_copy(corpus: Path, workdir: Path, seed: int) -> Path:
    lines = corpus.read_text(encoding="utf-8").splitlines(keepends=True)
    random.Random(seed).shuffle(lines)
    path = workdir / f"{corpus.stem}.shuffle{seed}.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def same_partition(a: Path, b: Path) -> tuple[int, int]:
    """(documents whose co-members differ between two clusterings, documents)."""
    def members(path: Path) -> dict[str, frozenset[str]]:
        clusters: dict[str, set[str]] = {}
        rows = [json.loads(line) for line in path.open()]
        for r in rows:
            clusters.setdefault(r["cluster"], set()).add(r["id"])
        return {r["id"]: frozenset(clusters[r["cluster"]]) for r in rows}
    ma, mb = members(a), members(b)
    return sum(1 for k in ma if ma[k] != mb.get(k)), len(ma)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--corpus", action="append", choices=sorted(CORPORA))
    parser.add_argument("--shuffles", type=int, default=0, help="also replay N shuffled orders; count differences")
    parser.add_argument("--order", choices=["sorted", "input"], default="sorted",
                        help="replay_order: sorted (the default: ids and dates decide) or input (file order, "
                             "which with --shuffles measures how arrival order moves stories)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--workers", type=int, default=1,
                        help="also replay with `--workers N` (processes that prepare documents ahead): speed, and "
                             "whether the stories are the same")
    parser.add_argument("--blind", action="store_true",
                        help="replay blind copies (benchmarks/matching/blind.py): opaque ids, no lang field")
    parser.add_argument("--json", type=Path, help="write all figures here")
    parser.add_argument("--quick", action="store_true",
                        help="seeds and the first 300 documents of wmt22-news: shows the benchmark runs (CI)")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for name in args.corpus or (["seeds", "wmt22-news"] if args.quick else ["seeds", "wmt22-news", "wmt22"]):
            corpus = gold = args.data / CORPORA[name]
            if args.quick and name != "seeds":
                corpus = gold = workdir / f"quick-{CORPORA[name]}"
                with (args.data / CORPORA[name]).open(encoding="utf-8") as full:
                    corpus.write_text("".join(line for _, line in zip(range(300), full, strict=False)),
                                      encoding="utf-8")
            if args.blind:
                from matching.blind import blind_copy
                corpus, gold = blind_copy(corpus, workdir)
            ours = replay(corpus, workdir, name, args.order)
            ours["index_kb_per_document"] = index_kb_per_document(ours.pop("db"))
            ours["first_document_seconds"] = first_document_seconds(corpus, workdir)
            ours["first_document_cold_seconds"] = first_document_seconds(corpus, workdir, cold=True)
            ours_scores = score(gold, ours.pop("predictions"), args.data)
            row = {"newsdedup": {**ours, "scores": ours_scores}}
            print(f"\n== {name}{' (blind)' if args.blind else ''} ({ours['docs']} documents)")
            print(f"newsdedup  {ours['seconds']:7.2f} s  {ours['docs_per_second']:7.0f} docs/s  "
                  f"CPU {ours['cpu_seconds']:.1f} s  peak RSS {ours['peak_rss_mb']:.0f} MB  "
                  f"index {ours['index_kb_per_document']:.1f} KB/document  "
                  f"first document stored {ours['first_document_seconds']:.2f} s after start "
                  f"({ours['first_document_cold_seconds']:.2f} s with nothing cached)   [{ours['summary']}]")
            if args.workers > 1:
                parallel = replay(corpus, workdir, f"{name}-w{args.workers}", args.order, workers=args.workers)
                parallel.pop("db")
                differ, total = same_partition(workdir / f"{name}.pred.jsonl", parallel.pop("predictions"))
                row[f"newsdedup-workers-{args.workers}"] = {**parallel, "documents_moved": differ}
                print(f"--workers {args.workers} {parallel['seconds']:6.2f} s  {parallel['docs_per_second']:7.0f} "
                      f"docs/s  CPU {parallel['cpu_seconds']:.1f} s  peak RSS {parallel['peak_rss_mb']:.0f} MB "
                      f"(largest process)  {differ}/{total} documents in a different story")
            if not args.no_baseline:
                base = baseline(corpus, workdir, name)
                base_scores = score(gold, base.pop("predictions"), args.data)
                row["plain-minhash"] = {**base, "scores": base_scores}
                with_workers = row.get(f"newsdedup-workers-{args.workers}")
                print(f"baseline   {base['seconds']:7.2f} s  {base['docs_per_second']:7.0f} docs/s (in-process); "
                      f"newsdedup at {ours['docs_per_second'] / base['docs_per_second']:.2f}x its speed"
                      + (f", {with_workers['docs_per_second'] / base['docs_per_second']:.2f}x with --workers "
                         f"{args.workers}" if with_workers else ""))
            print(f"{'':12}{'subset':12}{'P':>7}{'R':>7}{'F1':>7}")
            for system, data in row.items():
                if "scores" not in data:
                    continue
                for subset in ("overall", "same_lang", "cross_lang"):
                    p, r, f = pick(data["scores"], subset)
                    print(f"{system:12}{subset:12}" + "".join(f"{x:7.3f}" if x is not None else "      -"
                                                               for x in (p, r, f)))
            print("newsdedup per language pair, P/R/F1 (a pair with no gold pairs: its false pairs):")
            cells = []
            for pair, metrics in sorted(ours_scores.get("per_pair", {}).items()):
                pw = metrics["pairwise"]
                cells.append(f"{pair} {pw['pred_pairs']} false" if not pw["gold_pairs"] else
                             f"{pair} " + "/".join("-" if x is None else f"{x:.3f}" for x in pick(ours_scores, pair)))
            line = ""
            for cell in cells:
                if line and len(line) + len(cell) > 116:
                    print(" " + line)
                    line = ""
                line += f" {cell:23}"
            print(" " + line)
            for seed in range(1, args.shuffles + 1):
                shuffled = shuffled_copy(corpus, workdir, seed)
                other = replay(shuffled, workdir, f"{name}-s{seed}", args.order)
                other.pop("db")
                differ, total = same_partition(workdir / f"{name}.pred.jsonl", other["predictions"])
                other_scores = score(gold, other.pop("predictions"), args.data)
                f1 = pick(other_scores, "overall")[2]
                print(f"shuffle {seed}: {differ}/{total} documents in a different cluster; overall F1 {f1:.3f}")
                row.setdefault("shuffles", []).append({"seed": seed, "documents_moved": differ, "f1": f1})
            results[name] = row
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
