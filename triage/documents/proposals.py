"""Proposed redactions: one JSON-able item per finding, each with a consistent label.

Labels are consistent within a document: one number per person (``[Person 1]``, surname-only
mentions share their person's number), other entities get their exemption (``[s.40(2)]``,
``[s.31]``). Items hold a masked sample (``triage.masking.mask_value``), never the value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from triage.classifiers.text import TextAnalyzer
from triage.documents.detect import Detection, Finding, detect_document
from triage.documents.formats import load_document
from triage.documents.model import Document, fragment
from triage.documents.officials import EXEMPTIONS, Officials, normalise_name
from triage.errors import DataInputError
from triage.masking import mask_value

PROPOSALS_VERSION = "1"


def _labels(doc: Document, findings: list[Finding]) -> list[str]:
    """A consistent label per finding: ``[Person N]`` per person, else ``[<exemption>]``."""
    people: dict[str, int] = {}
    surnames: dict[str, int] = {}
    labels: list[str] = []
    # full names first so that surname-only mentions find their person
    order = sorted(
        range(len(findings)),
        key=lambda i: (-len(fragment(doc, findings[i]).split()), findings[i].block),
    )
    assigned: dict[int, str] = {}
    for i in order:
        f = findings[i]
        if f.entity != "PERSON":
            assigned[i] = f"[{f.exemption}]"
            continue
        name = normalise_name(fragment(doc, f))
        words = name.split()
        key = name
        if len(words) == 1 and words[0] in surnames:
            number = surnames[words[0]]
        else:
            number = people.setdefault(key, 0)
            if number == 0:
                number = len({v for v in people.values() if v}) + 1
                people[key] = number
            if words:
                surnames.setdefault(words[-1], number)
        assigned[i] = f"[Person {number}]"
    # renumber persons in reading order so "[Person 1]" is the first one a reader meets
    first_seen: dict[str, int] = {}
    for i in range(len(findings)):
        lab = assigned[i]
        if lab.startswith("[Person ") and lab not in first_seen:
            first_seen[lab] = len(first_seen) + 1
    for i in range(len(findings)):
        lab = assigned[i]
        labels.append(f"[Person {first_seen[lab]}]" if lab in first_seen else lab)
    return labels


def proposals_from_detection(doc: Document, detection: Detection) -> dict[str, Any]:
    """Proposals JSON (a dict) from a detection over ``doc``."""
    findings = detection.findings
    labels = _labels(doc, findings)
    items = []
    for n, (f, label) in enumerate(zip(findings, labels, strict=True), start=1):
        items.append(
            {
                "id": f"R{n:04d}",
                "block": f.block,
                "location": doc.blocks[f.block].location,
                "start": f.start,
                "end": f.end,
                "entity": f.entity,
                "exemption": f.exemption,
                "exemption_title": EXEMPTIONS[f.exemption].title,
                "score": round(f.score, 3),
                "reason": f.reason,
                "source": f.source,
                "label": label,
                "masked_sample": mask_value(fragment(doc, f)),
                "accepted": True,
            }
        )
    return {
        "version": PROPOSALS_VERSION,
        "document": doc.name,
        "format": doc.format,
        "sha256": doc.sha256,
        "allow_listed": detection.allowed,
        "proposals": items,
    }


def propose(
    doc: Document | str | Path,
    analyzer: TextAnalyzer | None,
    officials: Officials | None = None,
) -> dict[str, Any]:
    """Detect and return proposed redactions (JSON-able dict, every item ``accepted: true``).

    Parameters
    ----------
    doc
        A loaded document or a path.
    analyzer
        ``TextAnalyzer.create(NlpSettings())``; None runs the security and deny patterns only.
    officials
        Allow/deny lists (``triage.documents.officials.load_officials``).
    """
    document = doc if isinstance(doc, Document) else load_document(doc)
    return proposals_from_detection(document, detect_document(document, analyzer, officials))


def load_proposals(path: str | Path) -> dict[str, Any]:
    """Read a proposals JSON file written by :func:`write_proposals`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataInputError(f"{Path(path).name}: cannot read proposals") from exc
    if not isinstance(data, dict) or "proposals" not in data:
        raise DataInputError(f"{Path(path).name}: not a proposals file")
    return data


def write_proposals(proposals: dict[str, Any], path: str | Path) -> Path:
    """Write proposals as JSON (masked samples only)."""
    p = Path(path)
    p.write_text(json.dumps(proposals, indent=2), encoding="utf-8")
    return p
