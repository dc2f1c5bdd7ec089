#!/usr/bin/env python3
"""Hand rules against a small logistic model, link by link, leaving one language pair out.

Not a story benchmark: it asks only whether each candidate pair (what the LSH indexes return
for a document) is verified as a link, against the gold (same WMT cluster). For each language
pair of wmt22-news (`pair`), an L2 logistic regression on the link features is fitted on the
candidate pairs of the other pairs and scored on the held-out pair's, beside the hand rules
(`ingest/matching/links.py`, default settings) on the same pairs. IDF weights come from the
whole corpus (a replay learns them as it goes), and the corpus is read blind (opaque ids, no
language: `blind.py`), so languages are detected as in a held-out run.

Features: lexical Jaccard, anchor similarity (the rules' measure), min containment, order
agreement, Jaccard of the numbers, log(1 + shared IDF weight), same language, too few anchors;
and the first six again times "same language" (two regimes: paraphrase and translation).

    python benchmarks/matching/link_model_lopo.py        # ~1 minute
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from blind import blind_copy  # noqa: E402

from ingest.document import build_document  # noqa: E402
from ingest.matching.candidates import LshCandidates  # noqa: E402
from ingest.matching.fingerprint import CJK_LANGS, Fingerprint, fingerprint  # noqa: E402
from ingest.matching.links import Candidate, LinkRules, Rule, expressible, order_agreement  # noqa: E402
from ingest.matching.settings import MatchSettings  # noqa: E402
from ingest.readers import RawDocument, read_inputs  # noqa: E402

DATA = ROOT.parent / "shared" / "bench" / "dedup"
L2 = 1.0


def features(rules: LinkRules, a: tuple[str, Fingerprint], b: tuple[str, Fingerprint]) -> list[float]:
    (lang_a, fp_a), (lang_b, fp_b) = a, b
    anchors_a, anchors_b = frozenset(fp_a.anchors), frozenset(fp_b.anchors)
    mine, theirs = anchors_a, anchors_b
    cut = (lang_a in CJK_LANGS) != (lang_b in CJK_LANGS)
    if cut:
        mine, theirs = expressible(anchors_a, lang_a, anchors_b, lang_b)
    similarity, evidence = rules.anchor_similarity(mine, theirs)
    if cut:
        similarity **= 2
    total_a = sum(rules.weight(t) for t in mine) or 1.0
    total_b = sum(rules.weight(t) for t in theirs) or 1.0
    numbers_a = {t for t in anchors_a if t[0].isdigit()}
    numbers_b = {t for t in anchors_b if t[0].isdigit()}
    numbers = len(numbers_a & numbers_b) / len(numbers_a | numbers_b) if numbers_a and numbers_b else 1.0
    return [fp_a.lexical.jaccard(fp_b.lexical), similarity, min(evidence / total_a, evidence / total_b),
            order_agreement(fp_a.anchors, fp_b.anchors, anchors_a & anchors_b), numbers, math.log1p(evidence),
            float(lang_a == lang_b), float(min(len(anchors_a), len(anchors_b)) < 3)]


def fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        p = 1 / (1 + np.exp(-(x @ beta)))
        penalty = np.r_[beta[:-1], 0.0]
        value = -np.sum(y * np.log(p + 1e-9) + (1 - y) * np.log(1 - p + 1e-9)) + L2 * np.sum(penalty ** 2)
        return float(value), x.T @ (p - y) + 2 * L2 * penalty
    return np.asarray(minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x)


def prf(predicted: np.ndarray, gold: np.ndarray) -> tuple[float, float, float]:
    tp = float(np.sum(predicted & gold))
    p, r = tp / max(1, int(predicted.sum())), tp / max(1, int(gold.sum()))
    return p, r, 2 * p * r / max(1e-9, p + r)


def main() -> None:
    settings = MatchSettings()
    with tempfile.TemporaryDirectory() as tmp:
        corpus, gold_path = blind_copy(DATA / "wmt22-news.jsonl", Path(tmp))
        gold = {d["id"]: d for d in map(json.loads, gold_path.open(encoding="utf-8"))}
        docs = []
        for raw in read_inputs([str(corpus)], max_bytes=10**8):
            assert isinstance(raw, RawDocument)
            doc = build_document(raw)
            docs.append((gold[raw.key], doc.lang, fingerprint(doc.title, doc.text, doc.lang, settings)))
    frequency = Counter(t for _, _, fp in docs for t in set(fp.anchors))

    def weight(token: str) -> float:
        return math.log((len(docs) + settings.idf_prior_documents + 2) / (frequency.get(token, 0) + 1))

    rules = LinkRules(settings, weight)
    lsh = LshCandidates(settings)
    for k, (_, _, fp) in enumerate(docs):
        lsh.insert(k, fp.lexical, fp.anchor_minhash if len(fp.anchors) >= settings.min_shared_anchors else None)
    rows, labels, by_rules, pairs = [], [], [], []
    for i, (g_a, lang_a, fp_a) in enumerate(docs):
        view = fp_a.anchor_minhash if len(fp_a.anchors) >= settings.min_shared_anchors else None
        for j in sorted(lsh.query(fp_a.lexical, view)):
            if j <= i:
                continue
            g_b, lang_b, fp_b = docs[j]
            other = Candidate(j, "s", lang_b, fp_b.lexical, frozenset(fp_b.anchors), fp_b.anchors)
            by_rules.append(rules.link(lang_a, fp_a.lexical, frozenset(fp_a.anchors), fp_a.anchors, other).rule
                            is not Rule.NONE)
            rows.append(features(rules, (lang_a, fp_a), (lang_b, fp_b)))
            labels.append(g_a["cluster"] == g_b["cluster"])
            pairs.append(g_a["pair"] if g_a["pair"] == g_b["pair"] else "")
    x = np.array(rows)
    x = np.hstack([x, x[:, :6] * x[:, 6:7], np.ones((len(x), 1))])
    y, hand, pair_of = np.array(labels), np.array(by_rules), np.array(pairs)
    print(f"{len(x)} candidate pairs, {int(y.sum())} in one gold story")
    print(f"{'held out':9}{'pairs':>7}   {'model P/R/F1':>17}   {'rules P/R/F1':>17}")
    for pair in sorted(set(pairs) - {""}):
        test = pair_of == pair
        beta = fit(x[~test], y[~test].astype(float))
        model = 1 / (1 + np.exp(-(x[test] @ beta))) >= 0.5
        m, r = prf(model, y[test]), prf(hand[test], y[test])
        print(f"{pair:9}{int(test.sum()):7}   {m[0]:.3f}/{m[1]:.3f}/{m[2]:.3f}   {r[0]:.3f}/{r[1]:.3f}/{r[2]:.3f}")
    across = pair_of == ""
    beta = fit(x, y.astype(float))
    model = 1 / (1 + np.exp(-(x[across] @ beta))) >= 0.5
    print(f"candidate pairs across two WMT pairs (all different stories): {int(across.sum())}; linked by the "
          f"model {int(model.sum())}, by the rules {int(hand[across].sum())}")


if __name__ == "__main__":
    main()
