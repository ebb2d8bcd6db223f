"""Document decisions come from the rulebook: ``subject: document`` rules over document facts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from triage.classifiers.text import TextAnalyzer
from triage.documents import Document, load_document, propose
from triage.documents.decide import decide
from triage.errors import RulebookError
from triage.rules import builtin_rulebook, evaluate_rules, parse_rulebook, sample_facts
from triage.rules.conditions import sample_document_facts
from triage.vocab import Destination

BOOK = """
name: mine
version: "1"
destination: foi
rules:
  - id: any-table
    when: "true"
    outcome: release
    rationale: Tables are released.
{extra}
"""
HOLD = """
  - id: doc-hold
    subject: document
    when: document.redactions >= 0
    outcome: refer
    rationale: "Held: {document.redactions} redaction(s) in {document.name}."
    legal_basis: local policy
"""


def _doc(tmp_path: Path, text: str, pattern_only: TextAnalyzer) -> tuple[Document, dict[str, Any]]:
    path = tmp_path / "reply.txt"
    path.write_text(text, encoding="utf-8")
    doc = load_document(path)
    return doc, propose(doc, pattern_only)


def test_the_rulebook_document_rules_decide(tmp_path: Path, pattern_only: TextAnalyzer) -> None:
    book = parse_rulebook(BOOK.format(extra=HOLD).encode(), "mine.yaml")
    doc, proposals = _doc(tmp_path, "Write to jane.doe@example.com for a copy.\n", pattern_only)
    report = decide(doc, proposals, "foi", rulebook=book)
    assert report.decision == "refer"
    [firing] = report.rules_fired
    assert firing.rule == "doc-hold"
    assert firing.rationale == "Held: 1 redaction(s) in reply.txt."
    assert firing.legal_basis == "local policy: FOIA s.40(2) personal data"


def test_without_document_rules_the_shipped_foi_rules_decide(
    tmp_path: Path, pattern_only: TextAnalyzer
) -> None:
    book = parse_rulebook(BOOK.format(extra="").encode(), "mine.yaml")
    doc, proposals = _doc(tmp_path, "The Council received 412 requests.\n", pattern_only)
    report = decide(doc, proposals, "foi", rulebook=book)
    assert [r.rule for r in report.rules_fired] == ["doc-release-clean"]
    assert report.decision == "release"


def test_tables_and_documents_each_see_their_own_rules() -> None:
    book = builtin_rulebook(Destination.FOI)
    for variant in ("full", "nulls", "empty"):
        tables = evaluate_rules(book, sample_facts(book.params, variant))
        assert not [r.id for r in tables.fired if r.id.startswith("doc-")]
    for variant in ("full", "empty"):
        facts = sample_document_facts(book.params, variant)
        documents = evaluate_rules(book, facts, subject="document")
        assert documents.fired and all(r.id.startswith("doc-") for r in documents.fired)
        assert documents.errors == []


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        (
            "when: 'true'\n    outcome: release_with_changes\n    treatments:\n"
            "      - transform: drop\n        role: direct_identifier",
            "takes no treatments",
        ),
        ("when: dataset.rows > 0\n    outcome: refer", "unknown variable 'dataset'"),
        ("when: document.pages > 0\n    outcome: refer", "unknown field document.pages"),
        ("when: 'true'\n    outcome: refer\n    rationale: '{document.pages}'", "no document fact"),
        ("when: 'true'\n    outcome: refer\n    rationale: '{document.name:.0%}'", "rationale:"),
    ],
    ids=["treatments", "table-facts", "unknown-field", "unknown-quote", "bad-format"],
)
def test_bad_document_rules_are_refused_at_load(rule: str, problem: str) -> None:
    extra = f"  - id: doc-bad\n    subject: document\n    {rule}\n"
    if "rationale" not in rule:
        extra += "    rationale: Bad.\n"
    with pytest.raises(RulebookError, match="rule doc-bad: ") as caught:
        parse_rulebook(BOOK.format(extra=extra).encode(), "mine.yaml")
    assert problem in str(caught.value)
