#!/usr/bin/env python3
"""Score newsdedup's HTML extractor beside trafilatura on the ScrapingHub benchmark.

Runs the shared evaluate.py once per extractor (it takes one --extractor per run), in the
same session on the same machine, and prints one table. The benchmark lives beside the
checkout, in ../shared/bench/extraction/ relative to the repository root; pass
--evaluate to point elsewhere.

    .venv/bin/python benchmarks/extraction/run.py
    .venv/bin/python benchmarks/extraction/run.py --also readability --repeat 3 --in-process

Timing is per page, median: for newsdedup the "ms" the CLI reports per file (bytes in:
decoding, parsing, extraction and language identification); for the built-in references
the library call alone on an already decoded string. Ours therefore counts more work.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_EVALUATE = REPO.parent / "shared" / "bench" / "extraction" / "evaluate.py"
OURS = "cmd:.venv/bin/newsdedup extract --format jsonl"


def run_once(evaluate: Path, extractor: str, n_bootstrap: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        subprocess.run([sys.executable, str(evaluate), "--extractor", extractor, "--out", str(out),
                        "--n-bootstrap", str(n_bootstrap)], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
        return json.loads(out.read_text(encoding="utf-8"))


def run_in_process(evaluate: Path, n_bootstrap: int) -> dict[str, object]:
    """Our extractor timed exactly as evaluate.py times its built-ins: decoded str in, text out."""
    spec = importlib.util.spec_from_file_location("evaluate", evaluate)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.path.insert(0, str(REPO))
    from ingest.extract import extract_html

    docs = module.load_dataset(module.find_data_dir(evaluate.parent))
    extract_html("<html><body><p>warm up text</p></body></html>")
    texts, seconds, _, _, _ = module.run_anchor(lambda html: extract_html(html).text, docs)
    metrics, _ = module.score(docs, texts, n_bootstrap)
    metrics["empty"] = sum(1 for key, _, _ in docs if not (texts.get(key) or "").strip())
    metrics["median_ms"] = statistics.median(seconds) * 1000
    return metrics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--evaluate", type=Path, default=DEFAULT_EVALUATE, help="path to evaluate.py")
    parser.add_argument("--also", action="append", default=[], help="another built-in extractor (readability)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per extractor; the median time is kept")
    parser.add_argument("--n-bootstrap", type=int, default=1000)
    parser.add_argument("--in-process", action="store_true",
                        help="also time extract_html() on decoded strings, as the built-ins are timed")
    args = parser.parse_args(argv)
    if not args.evaluate.is_file():
        parser.error(f"{args.evaluate} not found; pass --evaluate")

    extractors = [OURS, "trafilatura", *args.also]
    rows = []
    for extractor in extractors:
        # scores are deterministic; repeats only steady the timing on a busy machine
        runs = [run_once(args.evaluate, extractor, args.n_bootstrap) for _ in range(args.repeat)]
        first = runs[0]
        medians = [r["median_ms"] for r in runs if r["median_ms"] is not None]
        rows.append({
            "name": "newsdedup" if extractor == OURS else first.get("version", extractor),
            "f1": first["f1"], "f1_std": first.get("f1_std"), "precision": first["precision"],
            "recall": first["recall"], "accuracy": first["accuracy"], "empty": first["empty"],
            "median_ms": statistics.median(medians) if medians else None,
        })
    if args.in_process:
        row = run_in_process(args.evaluate, args.n_bootstrap)
        rows.insert(1, {"name": "newsdedup, in-process (str in)", "f1_std": row.get("f1_std"), **row})
    print("| extractor | F1 | precision | recall | exact | empty | median ms/page |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        std = f" ± {row['f1_std']:.3f}" if row["f1_std"] is not None else ""
        ms = f"{row['median_ms']:.1f}" if row["median_ms"] is not None else "n/a"
        print(f"| {row['name']} | {row['f1']:.3f}{std} | {row['precision']:.3f} | {row['recall']:.3f} "
              f"| {row['accuracy']:.3f} | {row['empty']} | {ms} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
