"""Tests for triage.report: Markdown and HTML renderings of hand-built reports."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from triage.models import (
    ColumnReport,
    DatasetReport,
    DatasetRisk,
    Finding,
    MosaicLink,
    Problem,
    Report,
    RiskMetrics,
    RuleFiring,
    RunInfo,
)
from triage.report.html_page import render_html
from triage.report.markdown import render_markdown
from triage.vocab import ColumnRole, Decision, Destination, Entity, Severity

XSS = "<script>alert(1)</script>"

RUN = RunInfo(
    triage_version="0.1.0",
    rulebook="open-data-default",
    rulebook_version="2025.1",
    rulebook_sha256="ab" * 32,
    nlp_model=None,
    packages={"presidio-analyzer": "2.2.366", "pandas": "3.1.0"},
)


def clean_release() -> Report:
    ds = DatasetReport(
        name="bins.csv",
        sha256="1" * 64,
        rows=120,
        columns={
            "ward": ColumnReport(role=ColumnRole.NONE, evidence=["Ward names only."]),
            "collections": ColumnReport(role=ColumnRole.NONE),
        },
        risk=DatasetRisk(before=RiskMetrics()),
        format="csv",
    )
    return Report(
        decision=Decision.RELEASE,
        destination=Destination.OPEN_DATA,
        datasets=[ds],
        decision_reason="No personal data was found.",
        run=RUN,
    )


def changes_release() -> Report:
    ds = DatasetReport(
        name="asc_referrals.csv",
        sha256="2" * 64,
        rows=1000,
        columns={
            "name": ColumnReport(
                role=ColumnRole.DIRECT_IDENTIFIER,
                entities=[Entity.PERSON],
                evidence=["Header 'name' and 94% of sampled values look like names (J*** S****)."],
                treatment="drop",
            ),
            "age": ColumnReport(
                role=ColumnRole.QUASI_IDENTIFIER,
                evidence=["Numeric values 0-110 with header 'age'."],
                treatment="generalise (10-year bands)",
            ),
            "postcode": ColumnReport(
                role=ColumnRole.QUASI_IDENTIFIER,
                entities=[Entity.UK_POSTCODE],
                treatment="generalise (district)",
            ),
            "condition": ColumnReport(role=ColumnRole.SENSITIVE_ATTRIBUTE),
            "notes": ColumnReport(
                role=ColumnRole.FREE_TEXT,
                entities=[Entity.PERSON, Entity.PHONE_NUMBER],
                evidence=["Phone pattern | name pattern\nin 12 of 200 rows."],
                treatment="redact_text",
            ),
        },
        risk=DatasetRisk(
            before=RiskMetrics(
                k_anonymity=1,
                unique_records=412,
                l_diversity=1,
                records_below_k=655,
                quasi_identifiers=["age", "postcode"],
                sensitive_attributes=["condition"],
            ),
            after=RiskMetrics(
                k_anonymity=5,
                unique_records=0,
                l_diversity=None,
                records_below_k=0,
                quasi_identifiers=["age", "postcode"],
                sensitive_attributes=["condition"],
            ),
        ),
        format="csv",
        released="released/asc_referrals.csv",
        rows_released=981,
        kept=["Rows with age and postcode district kept.", "condition kept"],
    )
    findings = [
        Finding(
            kind="low_k",
            severity=Severity.MEDIUM,
            dataset="asc_referrals.csv",
            columns=["age", "postcode"],
            message="412 records are unique on age and postcode.",
            count=412,
        ),
        Finding(
            kind="direct_identifier",
            severity=Severity.CRITICAL,
            dataset="asc_referrals.csv",
            columns=["name"],
            message="Column name holds people's names.",
            count=None,
        ),
        Finding(
            kind="info_note",
            severity=Severity.INFO,
            dataset="asc_referrals.csv",
            message="Dates look like DD/MM/YYYY.",
        ),
        Finding(
            kind="submission_note",
            severity=Severity.LOW,
            dataset="(submission)",
            message="Two files share a ward column.",
        ),
    ]
    rules = [
        RuleFiring(
            rule="OD-001-drop-direct-ids",
            outcome=Decision.RELEASE_WITH_CHANGES,
            rationale="Direct identifiers must not be published.",
            legal_basis="UK GDPR Art. 5(1)(c) data minimisation",
            dataset="asc_referrals.csv",
            description="Drop direct identifiers",
            treatments=["drop", "redact_text"],
        ),
        RuleFiring(
            rule="OD-010-k-anonymity",
            outcome=Decision.RELEASE_WITH_CHANGES,
            rationale="k must be at least 5 | pipes are escaped.",
            legal_basis="ICO Anonymisation guidance (2025), chapter 3",
            dataset="asc_referrals.csv",
            treatments=["anonymise_k"],
        ),
        RuleFiring(
            rule="OD-011-recheck",
            outcome=Decision.RELEASE,
            rationale="Treated data meets k=5.",
            legal_basis=None,
            dataset="asc_referrals.csv",
            stage="after",
        ),
        RuleFiring(
            rule="OD-020-mosaic",
            outcome=Decision.REFER,
            rationale="Linkable with a published dataset.",
            legal_basis="DPA 2018 s.171",
        ),
    ]
    return Report(
        decision=Decision.RELEASE_WITH_CHANGES,
        destination=Destination.OPEN_DATA,
        datasets=[ds],
        findings=findings,
        rules_fired=rules,
        mosaic=[
            MosaicLink(
                datasets=["asc_referrals.csv", "published_wards.csv"],
                linking_columns=["ward", "age_band"],
                k_anonymity_after_linkage=None,
            )
        ],
        decision_reason="Names were dropped and ages generalised; k rose from 1 to 5.",
        run=RUN.model_copy(update={"nlp_model": "en_core_web_sm"}),
    )


def withhold() -> Report:
    ds = DatasetReport(
        name=XSS,
        sha256="3" * 64,
        rows=50,
        columns={
            XSS: ColumnReport(role=ColumnRole.SENSITIVE_ATTRIBUTE, evidence=[XSS]),
            "nhs_no": ColumnReport(role=ColumnRole.DIRECT_IDENTIFIER, entities=[Entity.UK_NHS]),
        },
        risk=DatasetRisk(before=RiskMetrics(k_anonymity=None, unique_records=None)),
    )
    return Report(
        decision=Decision.WITHHOLD,
        destination=Destination.THIRD_PARTY,
        datasets=[ds],
        findings=[
            Finding(
                kind="special_category",
                severity=Severity.HIGH,
                dataset=XSS,
                columns=[XSS],
                message=f"Health data in {XSS}.",
            )
        ],
        rules_fired=[
            RuleFiring(
                rule="TP-900-withhold-safeguarding",
                outcome=Decision.WITHHOLD,
                rationale="Safeguarding data is never shared this way.",
                legal_basis="Children Act 1989 s.47",
                dataset=XSS,
            )
        ],
        problems=[
            Problem(
                kind="detector_crashed",
                message="Detector uk_nhs raised ValueError.",
                dataset=XSS,
                forces=Decision.REFER,
            ),
            Problem(kind="nlp_model_missing", message="spaCy model not installed.", dataset=None),
        ],
        decision_reason="Safeguarding data found <b>bold</b>.",
        run=None,
    )


REPORTS = {"release": clean_release, "changes": changes_release, "withhold": withhold}


def _expected_texts(report: Report) -> list[str]:
    """Text that both renderings must show (before format escaping)."""
    texts = [report.decision.value, report.destination.value]
    for ds in report.datasets:
        texts.append(ds.name)
        texts += list(ds.columns)
        texts += [e for col in ds.columns.values() for e in col.evidence if "|" not in e]
        texts += ds.kept
    for f in report.findings:
        texts += [f.message, f.kind, f.severity.value]
    for r in report.rules_fired:
        texts.append(r.rule)
        if r.legal_basis:
            texts.append(r.legal_basis)
    for p in report.problems:
        texts += [p.kind, p.message]
    for m in report.mosaic:
        texts += m.linking_columns
    return texts


@pytest.mark.parametrize("which", list(REPORTS))
def test_markdown_contains_content(which: str) -> None:
    report = REPORTS[which]()
    md = render_markdown(report)
    for text in _expected_texts(report):
        assert text.replace("<", "\\<") in md, text
    assert md.startswith("# Triage report:")
    assert "## Why" in md
    assert md.endswith("\n")


@pytest.mark.parametrize("which", list(REPORTS))
def test_html_contains_content(which: str) -> None:
    report = REPORTS[which]()
    page = render_html(report)
    for text in _expected_texts(report):
        assert html.escape(text) in page, text
    assert f'<meta name="triage-decision" content="{report.decision.value}">' in page


@pytest.mark.parametrize(
    ("which", "words", "css"),
    [
        ("release", "Release", "d-release"),
        ("changes", "Release with changes", "d-release_with_changes"),
        ("withhold", "Withhold", "d-withhold"),
    ],
)
def test_decision_in_words(which: str, words: str, css: str) -> None:
    report = REPORTS[which]()
    page = render_html(report)
    assert f"Decision: {words}</h2>" in page
    assert f'class="banner {css}"' in page
    assert f"# Triage report: {words} ({report.destination.value})" in render_markdown(report)


def test_markdown_tables_and_escaping() -> None:
    md = render_markdown(changes_release())
    # Pipes and newlines inside cells are escaped so each row stays one table row.
    assert "k must be at least 5 \\| pipes are escaped." in md
    assert "Phone pattern \\| name pattern in 12 of 200 rows." in md
    for line in md.splitlines():
        if line.startswith("|"):
            assert line.endswith("|")
    assert "| Column | Role | Entities | Treatment | Evidence |" in md
    assert "| Rule | Stage | Outcome | Rationale | Legal basis | Treatments |" in md
    assert "| Severity | Kind | Columns | Message | Count |" in md
    assert "| Dataset | Rows | Rows released | Released file |" in md
    assert "| asc_referrals.csv | 1000 | 981 | released/asc_referrals.csv |" in md
    assert "| l-diversity | 1 | n/a |" in md
    assert "| k-anonymity | 1 | 5 |" in md
    assert "| QIs used | age, postcode | age, postcode |" in md
    assert "| OD-011-recheck | after | release | Treated data meets k=5. | n/a | none |" in md
    assert "| asc_referrals.csv, published_wards.csv | ward, age_band | n/a |" in md
    assert "NLP model | en_core_web_sm" in md
    assert "Rulebook SHA-256 | " + "ab" * 32 in md
    # Findings sorted critical first.
    assert md.index("Column name holds people's names.") < md.index("412 records are unique")
    assert md.index("412 records are unique") < md.index("Dates look like DD/MM/YYYY.")


def test_markdown_table_rows_have_consistent_cells() -> None:
    md = render_markdown(changes_release())
    lines = md.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|---"):
            width = line.count("|") - 1
            header = re.sub(r"\\.", "", lines[i - 1]).count("|") - 1
            assert header == width
            j = i + 1
            while j < len(lines) and lines[j].startswith("|"):
                assert re.sub(r"\\.", "", lines[j]).count("|") - 1 == width, lines[j]
                j += 1


def test_null_metrics_are_na() -> None:
    report = clean_release()
    md = render_markdown(report)
    assert "| k-anonymity | n/a | n/a |" in md
    assert "| Unique records | n/a | n/a |" in md
    assert "| QIs used | none | n/a |" in md
    assert "pattern-only" in md
    page = render_html(report)
    assert '<th scope="row">k-anonymity</th><td class="num">n/a</td>' in page
    assert "pattern-only" in page


def test_withhold_problems_and_missing_run() -> None:
    report = withhold()
    md = render_markdown(report)
    assert "## Problems" in md
    assert "| n/a | nlp_model_missing | spaCy model not installed. | refer |" in md
    assert "Run information was not recorded." in md
    page = render_html(report)
    assert 'class="problems"' in page
    assert "whole submission" in page
    assert "Run information was not recorded." in page
    # The dataset with problems is expanded.
    assert '<details id="dataset-0" open>' in page


def test_html_escapes_everything() -> None:
    report = withhold()
    page = render_html(report)
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    md = render_markdown(report)
    assert not re.search(r"(?<!\\)<", md)
    assert "\\<script>alert(1)\\</script>" in md


def test_clean_release_details_collapsed() -> None:
    page = render_html(clean_release())
    assert '<details id="dataset-0">' in page


def test_html_findings_sorted_by_severity() -> None:
    page = render_html(changes_release())
    crit = page.index("Column name holds people&#x27;s names.")
    med = page.index("412 records are unique")
    info = page.index("Dates look like DD/MM/YYYY.")
    assert crit < med < info
    # A finding whose dataset is not in the report lands in the whole-submission section.
    assert page.index("Whole submission") < page.index("Two files share a ward column.")


VOID = {"meta", "br", "hr", "img", "input", "link", "wbr", "col", "source", "area", "base"}


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.seen: list[str] = []
        self.errors: list[str] = []
        self.urls: list[str] = []
        self.attrs: dict[str, list[dict[str, str | None]]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)
        self.attrs.setdefault(tag, []).append(dict(attrs))
        for name, value in attrs:
            if name in {"src", "href", "action", "srcset", "poster", "data"} and value:
                self.urls.append(value)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}>, open: {self.stack[-3:]}")
            return
        self.stack.pop()


@pytest.mark.parametrize("which", list(REPORTS))
def test_html_structure(which: str) -> None:
    page = render_html(REPORTS[which]())
    checker = _Checker()
    checker.feed(page)
    checker.close()
    assert checker.errors == []
    assert checker.stack == []
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    for tag in ("main", "h1", "h2", "table", "th", "details", "summary", "style"):
        assert tag in checker.seen, tag
    assert checker.seen.count("main") == 1
    assert checker.seen.count("h1") == 1
    for th in checker.attrs["th"]:
        assert th.get("scope") in {"col", "row"}
    # Self-contained: no external resources, scripts, fonts or images.
    assert "script" not in checker.seen
    assert "img" not in checker.seen
    assert "link" not in checker.seen
    assert all(u.startswith("#") for u in checker.urls), checker.urls
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:)?//", page)
    assert "@import" not in page and "url(" not in page
    assert "@media print" in page


@pytest.mark.parametrize("which", list(REPORTS))
def test_deterministic(which: str) -> None:
    assert render_html(REPORTS[which]()) == render_html(REPORTS[which]())
    assert render_markdown(REPORTS[which]()) == render_markdown(REPORTS[which]())


def test_packages_sorted_in_run_info() -> None:
    md = render_markdown(clean_release())
    assert md.index("Package pandas") < md.index("Package presidio-analyzer")


@pytest.mark.parametrize(
    ("severities", "highest"),
    [
        (["low", "high"], "high"),
        (["high", "low", "medium"], "high"),
        (["info", "critical", "low"], "critical"),
        (["medium", "info"], "medium"),
        (["low"], "low"),
    ],
)
def test_summary_names_the_most_severe_finding_by_order_not_spelling(
    severities: list[str], highest: str
) -> None:
    base = clean_release()
    findings = [
        Finding(kind="k", severity=Severity(s), dataset="bins.csv", message="m") for s in severities
    ]
    report = base.model_copy(update={"findings": findings})
    text = render_markdown(report)
    assert f"(highest: {highest})" in text
