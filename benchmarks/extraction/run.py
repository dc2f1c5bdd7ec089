#!/usr/bin/env python3
"""Score newsdedup's HTML extractor beside trafilatura on the ScrapingHub and Readability benchmarks.

Runs the shared evaluate.py once per extractor (it takes one --extractor per run), in the
same session on the same machine, and prints one table. The benchmark lives beside the
checkout, in ../shared/bench/extraction/ relative to the repository root; pass
--evaluate to point elsewhere.

    .venv/bin/python benchmarks/extraction/run.py                      # both datasets
    .venv/bin/python benchmarks/extraction/run.py --dataset readability --also readability --repeat 3
    .venv/bin/python benchmarks/extraction/run.py --quick              # CI smoke run, seconds

Two datasets, because rules tuned on one set fit that set: a change should hold on both.

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


DATASETS = ("scrapinghub", "readability")
# --quick: enough pages and bootstrap samples to prove the benchmark runs end to end.
QUICK_LIMIT = 20
QUICK_BOOTSTRAP = 10


def run_once(evaluate: Path, extractor: str, n_bootstrap: int, dataset: str,
             limit: int | None) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, str(evaluate), "--dataset", dataset, "--extractor", extractor,
                   "--out", str(out), "--n-bootstrap", str(n_bootstrap)]
        if limit:
            command += ["--limit", str(limit)]
        subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
        if not out.is_file():
            raise SystemExit(f"{extractor} gave no result on {dataset} (library not installed?)")
        result = json.loads(out.read_text(encoding="utf-8"))
        return result[0] if isinstance(result, list) else result


def run_in_process(evaluate: Path, n_bootstrap: int, dataset: str, limit: int | None) -> dict[str, object]:
    """Our extractor timed exactly as evaluate.py times its built-ins: decoded str in, text out."""
    spec = importlib.util.spec_from_file_location("evaluate", evaluate)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.path.insert(0, str(REPO))
    from ingest.extract import extract_html

    docs = module.load_dataset(module.find_data_dir(evaluate.parent, dataset))[:limit]
    extract_html("<html><body><p>warm up text</p></body></html>")
    texts, seconds, _, _, _ = module.run_anchor(lambda html: extract_html(html).text, docs)
    metrics, _ = module.score(docs, texts, n_bootstrap)
    metrics["empty"] = sum(1 for key, _, _ in docs if not (texts.get(key) or "").strip())
    metrics["median_ms"] = statistics.median(seconds) * 1000
    return metrics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--evaluate", type=Path, default=DEFAULT_EVALUATE, help="path to evaluate.py")
    parser.add_argument("--dataset", choices=[*DATASETS, "both"],
                        help="default: both (scrapinghub with --quick)")
    parser.add_argument("--limit", type=int, help="only the first N pages of each dataset")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: first {QUICK_LIMIT} pages of ScrapingHub, {QUICK_BOOTSTRAP} "
                             "bootstrap samples (unless --dataset, --limit or --n-bootstrap say otherwise)")
    parser.add_argument("--also", action="append", default=[], help="another built-in extractor (readability)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per extractor; the median time is kept")
    parser.add_argument("--n-bootstrap", type=int)
    parser.add_argument("--in-process", action="store_true",
                        help="also time extract_html() on decoded strings, as the built-ins are timed")
    args = parser.parse_args(argv)
    if not args.evaluate.is_file():
        parser.error(f"{args.evaluate} not found; pass --evaluate")
    dataset = args.dataset or ("scrapinghub" if args.quick else "both")
    if args.quick:
        args.limit = args.limit or QUICK_LIMIT
        args.n_bootstrap = args.n_bootstrap or QUICK_BOOTSTRAP
    n_bootstrap = args.n_bootstrap or 1000
    datasets = DATASETS if dataset == "both" else (dataset,)

    rows = []
    for name in datasets:
        rows += dataset_rows(args, name, n_bootstrap)
    print("| dataset | extractor | F1 | precision | recall | exact | empty | median ms/page |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        std = f" ± {row['f1_std']:.3f}" if row["f1_std"] is not None else ""
        ms = f"{row['median_ms']:.1f}" if row["median_ms"] is not None else "n/a"
        print(f"| {row['dataset']} | {row['name']} | {row['f1']:.3f}{std} | {row['precision']:.3f} "
              f"| {row['recall']:.3f} | {row['accuracy']:.3f} | {row['empty']} | {ms} |")
    return 0


def dataset_rows(args: argparse.Namespace, dataset: str, n_bootstrap: int) -> list[dict[str, object]]:
    """One table row per extractor on one dataset, all run in this session."""
    rows: list[dict[str, object]] = []
    for extractor in [OURS, "trafilatura", *args.also]:
        # scores are deterministic; repeats only steady the timing on a busy machine
        runs = [run_once(args.evaluate, extractor, n_bootstrap, dataset, args.limit) for _ in range(args.repeat)]
        first = runs[0]
        medians = [r["median_ms"] for r in runs if r["median_ms"] is not None]
        rows.append({
            "dataset": dataset, "name": "newsdedup" if extractor == OURS else first.get("version", extractor),
            "f1": first["f1"], "f1_std": first.get("f1_std"), "precision": first["precision"],
            "recall": first["recall"], "accuracy": first["accuracy"], "empty": first["empty"],
            "median_ms": statistics.median(medians) if medians else None,
        })
    if args.in_process:
        row = run_in_process(args.evaluate, n_bootstrap, dataset, args.limit)
        rows.insert(1, {"dataset": dataset, "name": "newsdedup, in-process (str in)",
                        "f1_std": row.get("f1_std"), **row})
    return rows


if __name__ == "__main__":
    sys.exit(main())
