"""The FOI decision for a document from its reviewed proposals."""

from __future__ import annotations

from typing import Any

from triage.documents.model import Document
from triage.documents.officials import exemption_title
from triage.documents.spans import by_block
from triage.models import (
    DatasetReport,
    DatasetRisk,
    Problem,
    Report,
    RiskMetrics,
    RuleFiring,
)
from triage.models import (
    Finding as ReportFinding,
)
from triage.params import DOC_REFER_BELOW, DOC_WITHHOLD_SHARE
from triage.vocab import Decision, Destination, Severity

#: findings scoring below this are low-confidence: the decision becomes ``refer``
REFER_BELOW = DOC_REFER_BELOW
#: share of content blocks exempt (see BLOCK_EXEMPT_COVER) above which the document is withheld
WITHHOLD_SHARE = DOC_WITHHOLD_SHARE
#: a content block counts as exempt when redactions cover this share of its non-space chars
BLOCK_EXEMPT_COVER = 0.8

#: decision rules for documents (ids, outcomes, rationale, legal basis)
DOC_RULES: dict[str, tuple[Decision, str, str | None]] = {
    "doc-release-clean": (
        Decision.RELEASE,
        "No personal data or security-sensitive content was found in the document.",
        None,
    ),
    "doc-redact-exempt": (
        Decision.RELEASE_WITH_CHANGES,
        "Exempt passages were redacted; the rest of the document can be disclosed.",
        "FOIA s.17 (refusal notice for the redacted parts) with the exemptions logged",
    ),
    "doc-refer-low-confidence": (
        Decision.REFER,
        "Some findings have low confidence: a disclosure officer must confirm them.",
        None,
    ),
    "doc-withhold-mostly-exempt": (
        Decision.WITHHOLD,
        "Exempt content covers most of the document: redaction would leave nothing meaningful.",
        "FOIA s.17 refusal citing the exemptions in the log",
    ),
}


def _severity(exemption: str, entity: str) -> Severity:
    if exemption in {"s.24", "s.31", "s.38"}:
        return Severity.HIGH
    if entity in {
        "UK_NHS",
        "UK_NINO",
        "UK_PASSPORT",
        "UK_DRIVING_LICENCE",
        "CREDIT_CARD",
        "IBAN_CODE",
        "UK_SORT_CODE",
        "DATE_OF_BIRTH",
    }:
        return Severity.HIGH
    return Severity.MEDIUM


def mostly_exempt_share(doc: Document, items: list[dict[str, Any]]) -> float:
    """Share of content blocks (paragraphs/pages) that accepted redactions cover at least
    ``BLOCK_EXEMPT_COVER`` of (non-space characters)."""
    content = [b for b in doc.blocks if b.content and b.text.strip()]
    if not content:
        return 0.0
    grouped = by_block(items)
    mostly = 0
    for b in content:
        covered: set[int] = set()
        for i in grouped.get(b.index, []):
            covered.update(range(int(i["start"]), int(i["end"])))
        chars = [k for k, c in enumerate(b.text) if not c.isspace()]
        if chars and sum(1 for k in chars if k in covered) >= BLOCK_EXEMPT_COVER * len(chars):
            mostly += 1
    return mostly / len(content)


def decide(
    doc: Document,
    proposals: dict[str, Any],
    destination: str = "foi",
    *,
    refer_below: float = REFER_BELOW,
    withhold_share: float = WITHHOLD_SHARE,
    environmental: bool = False,
    problems: list[Problem] | None = None,
) -> Report:
    """The FOI decision for a document from its (reviewed) proposals, as a ``Report``."""
    items = [i for i in proposals.get("proposals", []) if i.get("accepted")]
    fired: list[str] = []
    share = mostly_exempt_share(doc, items)
    low = [i for i in items if float(i["score"]) < refer_below]
    if not items:
        fired.append("doc-release-clean")
    else:
        fired.append("doc-redact-exempt")
    if low:
        fired.append("doc-refer-low-confidence")
    if items and share > withhold_share:
        fired.append("doc-withhold-mostly-exempt")
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for i in items:
        grouped.setdefault((str(i["entity"]), str(i["exemption"])), []).append(i)
    findings = []
    for (entity, exemption), group in sorted(grouped.items()):
        places = sorted({str(g["location"]) for g in group})
        where = ", ".join(places[:5]) + (" ..." if len(places) > 5 else "")
        findings.append(
            ReportFinding(
                kind=f"document_{entity.lower()}",
                severity=_severity(exemption, entity),
                dataset=doc.name,
                message=f"{len(group)} {entity} passage(s) redacted under "
                f"{exemption_title(exemption, environmental)} ({where})",
                count=len(group),
            )
        )
    all_problems = list(doc.problems) + list(problems or [])
    rationale_extra = {
        "doc-refer-low-confidence": f" {len(low)} finding(s) scored below {refer_below}.",
        "doc-withhold-mostly-exempt": f" {share:.0%} of the content is mostly exempt "
        f"(threshold {withhold_share:.0%}).",
    }
    codes = sorted({str(i["exemption"]) for i in items})
    firings = []
    for rule in fired:
        outcome, rationale, basis = DOC_RULES[rule]
        if rule != "doc-release-clean" and codes:
            cited = "; ".join(exemption_title(c, environmental) for c in codes)
            basis = f"{basis}: {cited}" if basis else cited
        firings.append(
            RuleFiring(
                rule=rule,
                outcome=outcome,
                rationale=rationale + rationale_extra.get(rule, ""),
                legal_basis=basis,
                dataset=doc.name,
            )
        )
    decision = Decision.most_restrictive(
        [f.outcome for f in firings] + [p.forces for p in all_problems]
    )
    content_blocks = sum(1 for b in doc.blocks if b.content)
    return Report(
        decision=decision,
        destination=Destination(destination),
        datasets=[
            DatasetReport(
                name=doc.name,
                sha256=doc.sha256,
                rows=content_blocks,
                columns={},
                risk=DatasetRisk(before=RiskMetrics()),
                format=doc.format,
            )
        ],
        findings=findings,
        rules_fired=firings,
        problems=all_problems,
        decision_reason=next(f.rationale for f in firings if f.outcome == decision)
        if any(f.outcome == decision for f in firings)
        else "a problem forces this decision",
    )
