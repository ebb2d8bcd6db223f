"""Outside evaluation: triage's decisions on real public data nobody here wrote.

The datasets under ``bench/real/data/`` are small samples of real UK council open data and of
other projects' test tables (provenance and licences in ``bench/real/SOURCES.md``); the truth
for each (``bench/real/truth.yaml``) was written before the first run. Each dataset is checked
alone for its destination with the shipped triage answers, and scored on:

- decisions right: the decision is one of the dataset's acceptable decisions;
- harmless columns kept: of the columns that a release must keep unchanged, the share that
  reach the released data unchanged (a dataset referred or withheld keeps none of them);
- critical failures: ``release`` of a dataset whose release as it stands is a breach;
- column F1: columns triage calls direct identifiers against the truth's personal columns;
- k claims that hold: of the released person-level files that claim a k
  (``risk.after.k_anonymity``), the share whose released data has at least that k over the
  truth's quasi-identifiers (those the released file still holds; a missing or suppressed
  value is a value of its own).

``--split tune`` may be looked at while changing detectors or rules; ``--split holdout`` is the
figure to report; ``--split fresh`` is a second held-out set (added because the holdout half had
been looked at while tuning); ``--split blind`` is a third, blind held-out set (truth written
before anyone ran triage on its files; run once, at the end); ``--split blind2`` is a fourth
held-out set, blind like the third (truth written before any run on its files), from publishers
and repositories not used before; ``--split all`` is every split.
``--check`` exits 1 when the targets (decisions right >= 0.9, harmless columns kept >= 0.9, no
critical failure) are missed.

    .venv/bin/python bench/eval_real.py --split holdout
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent
REAL = HERE / "real"
ROOT = HERE.parent
CONTEXT = ROOT / "examples" / "context" / "open-data.yaml"


@dataclass(frozen=True)
class Outcome:
    """The scored result of one dataset."""

    name: str
    decision: str
    right: bool
    critical: bool
    harmless_total: int
    harmless_kept: int
    tp: int
    fp: int
    fn: int
    rules: tuple[str, ...]
    #: (claimed k, k over the truth's quasi-identifiers in the released data), if claimed
    claim: tuple[int, int] | None = None


def _read(path: Path) -> pd.DataFrame:
    sep = ";" if path.read_text(encoding="utf-8").splitlines()[0].count(";") > 1 else ","
    return pd.read_csv(path, dtype=str, keep_default_na=False, sep=sep)


def _kept(original: pd.DataFrame, released: Path | None, columns: list[str]) -> int:
    """How many of ``columns`` reach ``released`` with every value unchanged."""
    if released is None or not released.is_file():
        return 0
    out = _read(released)
    if len(out) != len(original):
        # rows dropped: compare the rows kept by position only when nothing was dropped
        return 0
    kept = 0
    for column in columns:
        if column in out.columns and (
            out[column].astype(str).str.lstrip("'").tolist() == original[column].tolist()
        ):
            kept += 1
    return kept


def _claim(
    dataset: dict[str, Any], released: Path | None, qis: list[str]
) -> tuple[int, int] | None:
    """The released data's claimed k and its k over ``qis`` (None without a claim)."""
    after = (dataset.get("risk") or {}).get("after") or {}
    claimed = after.get("k_anonymity")
    if claimed is None or not qis or released is None or not released.is_file():
        return None
    out = _read(released)
    held = [q for q in qis if q in out.columns]
    if not held or out.empty:
        return None
    return int(claimed), int(out.groupby(held, dropna=False).size().min())


def score(
    name: str,
    truth: dict[str, Any],
    report: dict[str, Any],
    out: Path,
    qis: Sequence[str] = (),
) -> Outcome:
    """Score one dataset's report against its truth (``qis``: its quasi-identifiers)."""
    path = REAL / "data" / name
    original = _read(path)
    decision = report["decision"]
    harmless = list(original.columns) if truth["harmless"] == "all" else list(truth["harmless"])
    released: Path | None = None
    if decision == "release":
        released = path
    elif decision == "release_with_changes":
        released = out / "released" / name
    dataset = report["datasets"][0] if report.get("datasets") else {"columns": {}}
    predicted = {
        column
        for column, info in dataset.get("columns", {}).items()
        if info.get("role") == "direct_identifier"
    }
    # triage's readers strip header names (" given_name" is read as "given_name")
    actual = {str(c).strip() for c in truth["personal"]}
    return Outcome(
        name=name,
        decision=decision,
        right=decision in truth["acceptable"],
        critical=bool(truth["sensitive"]) and decision == "release",
        harmless_total=len(harmless),
        harmless_kept=_kept(original, released, harmless),
        tp=len(predicted & actual),
        fp=len(predicted - actual),
        fn=len(actual - predicted),
        rules=tuple(r["rule"] for r in report.get("rules_fired", [])),
        claim=_claim(
            dataset,
            released if decision == "release_with_changes" else None,
            [str(q).strip() for q in qis],
        ),
    )


def run(split: str, out_root: Path) -> list[Outcome]:
    """Check and score every dataset of ``split`` (``tune``, ``holdout``, ``fresh``, ``blind``,
    ``blind2`` or ``all``)."""
    from triage.runner import check_paths, default_context, read_key
    from triage.vocab import Destination

    truth_file = yaml.safe_load((REAL / "truth.yaml").read_text(encoding="utf-8"))
    truths, qis = truth_file["datasets"], truth_file.get("quasi_identifiers", {})
    ctx = default_context(key=read_key() or b"evaluation-key-not-secret-0123456789")
    outcomes = []
    for name, truth in sorted(truths.items()):
        if split != "all" and truth["split"] != split:
            continue
        out = out_root / Path(name).stem
        try:
            check_paths(
                [REAL / "data" / name],
                Destination("open-data"),
                out,
                ctx,
                context_path=CONTEXT,
                registry_url=f"sqlite:///{out_root / 'register.db'}",
            )
            report = json.loads((out / "report.json").read_text(encoding="utf-8"))
        except Exception as exc:  # an error is a decision that is never release
            report = {"decision": f"error: {type(exc).__name__}", "datasets": []}
        outcomes.append(score(name, truth, report, out, qis.get(name, ())))
    return outcomes


def summary(outcomes: Sequence[Outcome]) -> dict[str, float | int]:
    """Decisions right, harmless columns kept, critical failures and column F1."""
    n = len(outcomes) or 1
    harmless = sum(o.harmless_total for o in outcomes) or 1
    tp = sum(o.tp for o in outcomes)
    fp = sum(o.fp for o in outcomes)
    fn = sum(o.fn for o in outcomes)
    claims = [o.claim for o in outcomes if o.claim is not None]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "datasets": len(outcomes),
        "decisions_right": sum(o.right for o in outcomes) / n,
        "harmless_kept": sum(o.harmless_kept for o in outcomes) / harmless,
        "critical_failures": sum(o.critical for o in outcomes),
        "column_precision": precision,
        "column_recall": recall,
        "column_f1": f1,
        "k_claims": len(claims),
        "k_claims_hold": sum(k_true >= k_claimed for k_claimed, k_true in claims)
        / (len(claims) or 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--split",
        choices=["tune", "holdout", "fresh", "blind", "blind2", "all"],
        default="holdout",
    )
    parser.add_argument("--out", type=Path, default=None, help="keep the reports here")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        outcomes = run(args.split, args.out or Path(tmp))
    print(f"{'dataset':<24} {'decision':<22} ok  harmless  rules")
    for o in outcomes:
        flag = "CRIT" if o.critical else ("yes" if o.right else "no")
        print(
            f"{o.name:<24} {o.decision:<22} {flag:<4} {o.harmless_kept:>2}/{o.harmless_total:<4}"
            f"  {', '.join(o.rules)}"
        )
        if o.claim is not None:
            print(f"{'':<24} claims k={o.claim[0]}; k over its quasi-identifiers: {o.claim[1]}")
    figures = summary(outcomes)
    print(json.dumps(figures, indent=2))
    missed = (
        figures["decisions_right"] < 0.9
        or figures["harmless_kept"] < 0.9
        or figures["critical_failures"] > 0
    )
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
