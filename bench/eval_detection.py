"""Column-level detection quality of ``triage.classifiers.columns.classify_dataset``.

Runs the classifier over the labelled corpus from ``bench/corpus.py`` and prints precision,
recall and F1 per entity plus the micro average, as a Markdown table. A column counts as a
true positive for entity E when E is both labelled and predicted, a false positive when E is
predicted but not labelled, a false negative when labelled but not predicted. ``DATE_TIME``
predicted on a ``DATE_OF_BIRTH`` column is neither (a birth date is also a date).

Usage (from outside the repository root, so that the installed package is imported)::

    cd /tmp && /work/main/.venv/bin/python /work/main/bench/eval_detection.py \
        [--datasets 40] [--rows 300] [--seed 7] [--pattern-only] [--json out.json] \
        [--min-f1 0.95 --min-entity-f1 0.90] [--worst 25]

Exit status: 0 when it ran; 1 only when ``--min-f1``/``--min-entity-f1`` are given and missed.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import LabelledDataset, generate_corpus

from triage.context import NlpSettings, RunContext
from triage.vocab import TEXT_ONLY_ENTITIES, Entity

#: predicted entities that are implied by a labelled one and so are not false positives
IMPLIED: dict[Entity, frozenset[Entity]] = {
    Entity.DATE_OF_BIRTH: frozenset({Entity.DATE_TIME}),
}


@dataclass
class ColumnResult:
    """Expected versus predicted entities for one column (no values)."""

    dataset: str
    column: str
    kind: str
    expected: frozenset[Entity]
    predicted: frozenset[Entity]

    @property
    def counted_predicted(self) -> frozenset[Entity]:
        """Predictions minus those implied by the label."""
        implied: set[Entity] = set()
        for entity in self.expected:
            implied |= IMPLIED.get(entity, frozenset())
        return frozenset(e for e in self.predicted if e in self.expected or e not in implied)

    @property
    def false_positives(self) -> frozenset[Entity]:
        """Predicted and not labelled."""
        return self.counted_predicted - self.expected

    @property
    def false_negatives(self) -> frozenset[Entity]:
        """Labelled and not predicted."""
        return self.expected - self.predicted


def _prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    if precision is None or recall is None or precision + recall == 0:
        f1 = 0.0 if (tp + fp + fn) else None
    else:
        f1 = 2 * precision * recall / (precision + recall)
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1}


def score(results: list[ColumnResult]) -> dict[str, Any]:
    """Per-entity and micro-averaged precision/recall/F1 over column results."""
    tp: Counter[Entity] = Counter()
    fp: Counter[Entity] = Counter()
    fn: Counter[Entity] = Counter()
    for r in results:
        for e in r.expected & r.predicted:
            tp[e] += 1
        for e in r.false_positives:
            fp[e] += 1
        for e in r.false_negatives:
            fn[e] += 1
    per_entity = {e.value: _prf(tp[e], fp[e], fn[e]) for e in Entity if e not in TEXT_ONLY_ENTITIES}
    micro = _prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    decoys = [r for r in results if r.kind.startswith("decoy:")]
    decoy_fp = sum(1 for r in decoys if r.counted_predicted)
    by_style: dict[str, dict[str, int]] = {}
    for r in results:
        if r.kind.startswith("decoy:") or "/" not in r.kind:
            continue
        style = r.kind.rsplit("/", 1)[1]
        cell = by_style.setdefault(style, {"columns": 0, "found": 0})
        cell["columns"] += 1
        cell["found"] += int(not r.false_negatives)
    return {
        "per_entity": per_entity,
        "micro": micro,
        "columns": len(results),
        "decoy_columns": len(decoys),
        "decoy_columns_with_prediction": decoy_fp,
        "recall_by_header_style": by_style,
    }


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def markdown(scores: dict[str, Any]) -> str:
    """Scores as a Markdown table (entities with support or predictions only)."""
    lines = [
        "| entity | support | TP | FP | FN | precision | recall | F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in scores["per_entity"].items():
        if m["tp"] + m["fp"] + m["fn"] == 0:
            continue
        support = m["tp"] + m["fn"]
        lines.append(
            f"| {name} | {support} | {m['tp']} | {m['fp']} | {m['fn']} | "
            f"{_fmt(m['precision'])} | {_fmt(m['recall'])} | {_fmt(m['f1'])} |"
        )
    m = scores["micro"]
    lines.append(
        f"| **micro** | {m['tp'] + m['fn']} | {m['tp']} | {m['fp']} | {m['fn']} | "
        f"{_fmt(m['precision'])} | {_fmt(m['recall'])} | {_fmt(m['f1'])} |"
    )
    lines.append("")
    lines.append(
        f"Columns: {scores['columns']}; decoy columns with any prediction: "
        f"{scores['decoy_columns_with_prediction']}/{scores['decoy_columns']}"
    )
    styles = scores["recall_by_header_style"]
    if styles:
        parts = [
            f"{s}: {v['found']}/{v['columns']}" for s, v in sorted(styles.items()) if v["columns"]
        ]
        lines.append("Labelled columns fully found, by header style: " + ", ".join(parts))
    return "\n".join(lines)


def worst(results: list[ColumnResult], n: int) -> str:
    """The ``n`` worst columns as a Markdown table: header, kind, expected, predicted."""
    bad = [r for r in results if r.false_positives or r.false_negatives]
    bad.sort(key=lambda r: (-(len(r.false_positives) + len(r.false_negatives)), r.kind))
    lines = [
        f"Misclassified columns: {len(bad)} (showing {min(n, len(bad))})",
        "",
        "| dataset | column | kind | expected | predicted |",
        "|---|---|---|---|---|",
    ]
    for r in bad[:n]:
        exp = ", ".join(sorted(e.value for e in r.expected)) or "-"
        pred = ", ".join(sorted(e.value for e in r.predicted)) or "-"
        lines.append(f"| {r.dataset} | {r.column} | {r.kind} | {exp} | {pred} |")
    return "\n".join(lines)


def evaluate(
    corpus: list[LabelledDataset], pattern_only: bool, seed: int
) -> tuple[list[ColumnResult], dict[str, Any]]:
    """Classify every dataset of ``corpus``; return column results and run information."""
    from triage.classifiers.columns import classify_dataset
    from triage.classifiers.text import TextAnalyzer

    nlp = NlpSettings(model=None) if pattern_only else NlpSettings()
    ctx = RunContext(seed=seed, nlp=nlp)
    t0 = time.perf_counter()
    text = TextAnalyzer.create(nlp)
    load_s = time.perf_counter() - t0
    results: list[ColumnResult] = []
    problems: Counter[str] = Counter()
    t0 = time.perf_counter()
    for ds in corpus:
        classification = classify_dataset(ds.frame, ctx, text)
        for p in classification.problems:
            problems[str(getattr(p, "kind", p))] += 1
        for column, expected in ds.labels.items():
            cc = classification.columns.get(column)
            predicted = frozenset(cc.entities) if cc is not None else frozenset()
            results.append(
                ColumnResult(ds.name, column, ds.kinds.get(column, "?"), expected, predicted)
            )
    info = {
        "model": getattr(text, "model_name", None),
        "analyzer_load_s": round(load_s, 3),
        "classify_s": round(time.perf_counter() - t0, 3),
        "problems": dict(problems),
    }
    return results, info


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=40)
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pattern-only", action="store_true", help="run without the NLP model")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    parser.add_argument("--worst", type=int, default=25, help="misclassified columns to show")
    parser.add_argument("--min-f1", type=float, help="exit 1 when micro F1 is below this")
    parser.add_argument(
        "--min-entity-f1", type=float, help="exit 1 when any labelled entity's F1 is below this"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("tldextract").setLevel(logging.CRITICAL)

    t0 = time.perf_counter()
    corpus = generate_corpus(args.datasets, args.rows, args.seed)
    gen_s = time.perf_counter() - t0
    results, info = evaluate(corpus, args.pattern_only, args.seed)
    scores = score(results)
    mode = "pattern-only" if args.pattern_only else f"model {info['model']}"
    print(
        f"# Detection quality ({mode}; {args.datasets} datasets x {args.rows} rows, "
        f"seed {args.seed})\n"
    )
    print(markdown(scores))
    print()
    print(
        f"Corpus generated in {gen_s:.1f} s; analyzer loaded in {info['analyzer_load_s']} s; "
        f"classified in {info['classify_s']} s. Problems: {info['problems'] or 'none'}"
    )
    print()
    print(worst(results, args.worst))

    failures: list[str] = []
    micro_f1 = scores["micro"]["f1"] or 0.0
    if args.min_f1 is not None and micro_f1 < args.min_f1:
        failures.append(f"micro F1 {micro_f1:.3f} < {args.min_f1}")
    if args.min_entity_f1 is not None:
        for name, m in scores["per_entity"].items():
            if m["tp"] + m["fn"] and (m["f1"] or 0.0) < args.min_entity_f1:
                failures.append(f"{name} F1 {m['f1'] or 0.0:.3f} < {args.min_entity_f1}")
    if args.json:
        payload = {
            "mode": "pattern-only" if args.pattern_only else "model",
            "corpus": {"datasets": args.datasets, "rows": args.rows, "seed": args.seed},
            **info,
            **scores,
            "misclassified": [
                {
                    "dataset": r.dataset,
                    "column": r.column,
                    "kind": r.kind,
                    "expected": sorted(e.value for e in r.expected),
                    "predicted": sorted(e.value for e in r.predicted),
                }
                for r in results
                if r.false_positives or r.false_negatives
            ],
            "target_failures": failures,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2))
    if failures:
        print("\nTargets missed: " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
