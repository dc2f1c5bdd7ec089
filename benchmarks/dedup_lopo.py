#!/usr/bin/env python3
"""Leave one language pair out: do the matching thresholds hold on a pair they were not chosen on?

For each language pair of `wmt22-news.jsonl` (its `pair` field: de-fr, en-hr, ...), settings
are chosen from a small grid over the thresholds that decide links, by pairwise F1 on every
*other* pair's documents; the held-out pair is then scored with the chosen settings, next to
its score under the default settings. A threshold that generalises is chosen the same way
whichever pair is held out, and the held-out pair scores about as well with it as with the
default; one that was fitted to a pair moves when that pair is out.

The corpus is replayed blind (opaque ids, no language field: `benchmarks/matching/blind.py`),
as a held-out run sees it, once per grid point through the real CLI (two replays at a time);
each held-out pair and its complement are scored from the same replay with the shared
`score.py` (only the gold documents of a subset are scored, so a subset's precision counts
the false joins among its own documents).

    python benchmarks/dedup_lopo.py              # the full grid (27 points, a few minutes)
    python benchmarks/dedup_lopo.py --quick      # 2 grid points, 2 pairs: CI (< 1 minute)
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dedup import DEFAULT_DATA, ROOT, newsdedup  # noqa: E402
from matching.blind import blind_copy  # noqa: E402

sys.path.insert(0, str(ROOT))
from ingest.matching import MatchSettings  # noqa: E402

# The thresholds that separate one story from another report of the same event.
GRID = {
    "order_agreement": (0.6, 0.7, 0.8),
    "translation_link": (0.2, 0.25, 0.3),
    "lexical_anchor_link": (0.3, 0.35, 0.45),
}
QUICK_GRID = {"order_agreement": (0.7, 0.8)}
QUICK_PAIRS = ("de-fr", "ja-en")


def load_scorer(data: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("score", data / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def replay(corpus: Path, workdir: Path, overrides: dict[str, float]) -> dict[str, str]:
    """Replay `corpus` with these settings; the predicted story of each document."""
    name = "_".join(f"{k}-{v}" for k, v in sorted(overrides.items())) or "default"
    db = workdir / f"{name}.db"
    config = workdir / "empty.toml"
    config.touch()
    env = {**os.environ, "NEWSDEDUP_CONFIG": str(config),
           **{f"NEWSDEDUP_{k.upper()}": str(v) for k, v in overrides.items()}}
    proc = subprocess.run(newsdedup("replay", str(corpus), "--db", str(db), "--quiet"), cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"replay failed ({overrides}): {proc.stderr[-2000:]}")
    out = subprocess.run(newsdedup("clusters", "--db", str(db)), cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)
    rows = (json.loads(line) for line in out.stdout.splitlines() if line.strip())
    return {r["id"]: r["cluster"] for r in rows}


def prf(metrics: dict) -> tuple[float, float, float]:
    pw = metrics["overall"]["pairwise"]
    return tuple(x if x is not None else float("nan") for x in (pw["P"], pw["R"], pw["F1"]))  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--quick", action="store_true", help="a 2-point grid and 2 held-out pairs (CI)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    grid = QUICK_GRID if args.quick else GRID
    defaults = MatchSettings()
    default_point = {k: getattr(defaults, k) for k in grid}
    points = [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]
    if default_point not in points:
        points.insert(0, default_point)
    scorer = load_scorer(args.data)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        corpus, gold_path = blind_copy(args.data / "wmt22-news.jsonl", workdir)
        gold = [json.loads(line) for line in gold_path.open(encoding="utf-8")]
        with ThreadPoolExecutor(max_workers=2) as pool:
            predictions = list(pool.map(lambda point: replay(corpus, workdir, point), points))
    pairs = sorted({d["pair"] for d in gold})
    if args.quick:
        pairs = [p for p in pairs if p in QUICK_PAIRS]
    print(f"grid: {len(points)} points over {', '.join(grid)}; default {default_point}; corpus replayed blind")
    print(f"{'held out':9} {'chosen on the other pairs':44} {'held-out P/R/F1':>17}   {'default P/R/F1':>17}")
    table = []
    for pair in pairs:
        inside = [d for d in gold if d["pair"] == pair]
        outside = [d for d in gold if d["pair"] != pair]
        # The best point on the other pairs; ties go to the earlier point (the default first).
        rest_f1 = [prf(scorer.evaluate(outside, pred))[2] for pred in predictions]
        best = max(range(len(points)), key=lambda i: (rest_f1[i], -i))
        held = prf(scorer.evaluate(inside, predictions[best]))
        default = prf(scorer.evaluate(inside, predictions[points.index(default_point)]))
        chosen = " ".join(f"{k}={v}" for k, v in points[best].items())
        print(f"{pair:9} {chosen:44} {held[0]:5.3f}/{held[1]:5.3f}/{held[2]:5.3f}   "
              f"{default[0]:5.3f}/{default[1]:5.3f}/{default[2]:5.3f}")
        table.append({"pair": pair, "chosen": points[best], "held_out": held, "default": default})
    if args.json:
        args.json.write_text(json.dumps({"grid": grid, "default": default_point, "table": table}, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
