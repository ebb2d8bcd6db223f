"""The FOI decision for a document from its reviewed proposals, by the rulebook's document rules.

The facts of the document (``triage.facts.build_document_facts``: redactions, low-confidence
ones, the share of mostly exempt content, the thresholds) go to the rules with ``subject:
document`` (the shipped FOI rulebook's ``doc-*`` rules when the rulebook given has none); each
fired rule gives its outcome, its rationale (facts quoted as ``{document.<field>}``) and its
legal basis, followed by the exemptions the redactions cite.
"""

from __future__ import annotations

from typing import Any

from triage.documents.model import Document
from triage.documents.officials import exemption_title
from triage.documents.spans import by_block
from triage.facts import build_document_facts, fill_document_facts
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
from triage.rules import Rulebook, builtin_rulebook, evaluate_rules
from triage.vocab import Decision, Destination, Severity

#: findings scoring below this are low-confidence: the decision becomes ``refer``
REFER_BELOW = DOC_REFER_BELOW
#: share of content blocks exempt (see BLOCK_EXEMPT_COVER) above which the document is withheld
WITHHOLD_SHARE = DOC_WITHHOLD_SHARE
#: a content block counts as exempt when redactions cover this share of its non-space chars
BLOCK_EXEMPT_COVER = 0.8


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


def document_rulebook(rulebook: Rulebook | None) -> Rulebook:
    """``rulebook`` when it holds document rules, else the shipped FOI rulebook (its ``doc-*``
    rules decide a document whatever the submission's destination)."""
    if rulebook is not None and any(r.subject == "document" for r in rulebook.rules):
        return rulebook
    return builtin_rulebook(Destination.FOI)


def _findings(
    doc: Document, items: list[dict[str, Any]], environmental: bool
) -> list[ReportFinding]:
    """One finding per (entity, exemption) of the accepted redactions, naming where."""
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
    return findings


def document_facts(
    doc: Document, items: list[dict[str, Any]], refer_below: float, withhold_share: float
) -> dict[str, Any]:
    """The ``document`` facts of ``doc`` and its accepted redactions ``items``."""
    return {
        "name": doc.name,
        "format": doc.format,
        "blocks": sum(1 for b in doc.blocks if b.content),
        "redactions": len(items),
        "low_confidence": sum(1 for i in items if float(i["score"]) < refer_below),
        "refer_below": refer_below,
        "mostly_exempt_share": mostly_exempt_share(doc, items),
        "withhold_share": withhold_share,
        "exemptions": sorted({str(i["exemption"]) for i in items}),
        "entities": sorted({str(i["entity"]) for i in items}),
    }


def _legal_basis(basis: str | None, cited: str) -> str | None:
    """A rule's legal basis followed by the exemptions the redactions cite."""
    if not cited:
        return basis
    return f"{basis}: {cited}" if basis else cited


def decide(
    doc: Document,
    proposals: dict[str, Any],
    destination: str = "foi",
    *,
    rulebook: Rulebook | None = None,
    refer_below: float = REFER_BELOW,
    withhold_share: float = WITHHOLD_SHARE,
    environmental: bool = False,
    problems: list[Problem] | None = None,
) -> Report:
    """The FOI decision for a document from its (reviewed) proposals, as a ``Report``: the
    document rules of ``rulebook`` (see :func:`document_rulebook`) on its facts."""
    items = [i for i in proposals.get("proposals", []) if i.get("accepted")]
    book = document_rulebook(rulebook)
    facts = document_facts(doc, items, refer_below, withhold_share)
    activation = build_document_facts(destination=destination, document=facts, params=book.params)
    evaluation = evaluate_rules(book, activation, subject="document")
    all_problems = list(doc.problems) + list(problems or [])
    all_problems += [
        Problem(
            kind="rule_error",
            message=f"rule {rule_id} could not be evaluated: {message}",
            dataset=doc.name,
        )
        for rule_id, message in evaluation.errors
    ]
    cited = "; ".join(exemption_title(c, environmental) for c in facts["exemptions"])
    firings = [
        RuleFiring(
            rule=rule.id,
            outcome=rule.outcome,
            rationale=fill_document_facts(rule.rationale, facts),
            legal_basis=_legal_basis(rule.legal_basis, cited),
            dataset=doc.name,
        )
        for rule in evaluation.fired
    ]
    decision = Decision.most_restrictive(
        [f.outcome for f in firings] + [p.forces for p in all_problems]
    )
    return Report(
        decision=decision,
        destination=Destination(destination),
        datasets=[
            DatasetReport(
                name=doc.name,
                sha256=doc.sha256,
                rows=facts["blocks"],
                columns={},
                risk=DatasetRisk(before=RiskMetrics()),
                format=doc.format,
            )
        ],
        findings=_findings(doc, items, environmental),
        rules_fired=firings,
        problems=all_problems,
        decision_reason=next(f.rationale for f in firings if f.outcome == decision)
        if any(f.outcome == decision for f in firings)
        else "a problem forces this decision",
    )
