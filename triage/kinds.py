"""The closed catalogues of finding and problem kinds (kernel: imports only ``triage.vocab``).

Every ``Finding.kind`` and ``Problem.kind`` the project writes is listed here with a title for
people, and, for findings, the severity the kind usually carries (some kinds are graded by their
evidence: k = 1 is high where k = 4 is medium), for problems the least restrictive decision it
leaves (``refer``: a person decides). Rulebooks that name finding kinds are checked against
``FINDING_KINDS`` by the tests, as is every kind constructed in the code, so a misspelt kind
cannot slip silently past a rule. Kept apart from ``triage.vocab`` (enumerations only) because
these are records, in the manner of frictionless's error catalogue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType

from triage.vocab import Decision, Severity

__all__ = ["FINDING_KINDS", "PROBLEM_KINDS", "FindingKind", "ProblemKind", "kinds_named"]


@dataclass(frozen=True)
class FindingKind:
    """A kind of finding: its title and usual severity."""

    title: str
    severity: Severity


@dataclass(frozen=True)
class ProblemKind:
    """A kind of problem met during a check: its title and the decision it forces at least."""

    title: str
    forces: Decision


_H, _M, _L, _I, _C = Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO, Severity.CRITICAL

FINDING_KINDS = MappingProxyType(
    {
        "asset_weakness": FindingKind("A weakness of an asset is disclosed", _H),
        "criminal_offence_data": FindingKind("Criminal offence data (UK GDPR Art. 10)", _H),
        "direct_identifier": FindingKind("A column identifies people directly", _H),
        "formula_cells": FindingKind("Cells a spreadsheet would run as formulas", _M),
        "free_text_personal_data": FindingKind("Free text mentions personal data", _H),
        "free_text_place_details": FindingKind("Free text names the places described", _L),
        "identifier_survived_treatment": FindingKind("An identifier survived treatment", _C),
        "low_k_anonymity": FindingKind("Small groups of records share their QIs", _H),
        "low_l_diversity": FindingKind("A group shares its sensitive value", _H),
        "mosaic_linkage": FindingKind("Links with other datasets (mosaic effect)", _H),
        "near_sensitive_site": FindingKind("Points near a sensitive site", _H),
        "point_locations": FindingKind("Precise points of assets or unknown things", _L),
        "police_street_level": FindingKind("A police street-level file as published", _I),
        "police_street_level_changed": FindingKind("A changed police street-level file", _M),
        "precise_location": FindingKind("Columns give precise locations", _M),
        "precise_location_of_people": FindingKind("Precise points of people", _H),
        "publisher_suppressed_cells": FindingKind("Cells the publisher already suppressed", _I),
        "small_cells": FindingKind("Small cells in a table of counts", _H),
        "special_category_data": FindingKind("Special category data (UK GDPR Art. 9)", _H),
        "table_cells_exposed": FindingKind("Table cells left exposed after treatment", _C),
        "table_differencing": FindingKind("Tables that differ by a small group", _H),
        "table_totals_inconsistent": FindingKind("Table totals do not add up", _L),
        "table_unprotected_cells": FindingKind("Small cells not protected", _C),
        "unique_records": FindingKind("Records unique on their QIs", _H),
        "version_differencing": FindingKind("A new version differs by a small group", _H),
    }
)

_R, _W, _X, _OK = (
    Decision.REFER,
    Decision.RELEASE_WITH_CHANGES,
    Decision.WITHHOLD,
    Decision.RELEASE,
)

PROBLEM_KINDS = MappingProxyType(
    {
        "attachment_not_checked": ProblemKind("An e-mail attachment was not checked", _R),
        "check_timeout": ProblemKind("The check ran out of time", _R),
        "context_missing": ProblemKind("A triage answer is missing", _R),
        "coordinates_out_of_uk": ProblemKind("Coordinates fall outside the UK", _R),
        "coordinates_swapped": ProblemKind("Coordinates look swapped", _R),
        "crs_missing": ProblemKind("The coordinate reference system is unknown", _R),
        "detector_failed": ProblemKind("A detector failed", _R),
        "detectors_unavailable": ProblemKind("Detectors could not be loaded", _R),
        "document_table_needs_changes": ProblemKind("A table in a document needs changes", _R),
        "docx_part_not_checked": ProblemKind("A part of a Word file was not checked", _R),
        "docx_part_removed": ProblemKind("A part of a Word file was removed", _W),
        "email_header_unreadable": ProblemKind("An e-mail header cannot be read", _R),
        "email_structure_damaged": ProblemKind("The e-mail's structure is damaged", _R),
        "file_name_replaced": ProblemKind("An input's name was replaced", _OK),
        "input_line_endings": ProblemKind("Carriage-return line endings were read", _OK),
        "input_repaired": ProblemKind("Broken rows of the input were set aside", _W),
        "nested_unchecked": ProblemKind("Nested data was not checked", _R),
        "nlp_model_missing": ProblemKind("The language model is missing", _R),
        "pdf_attachment_removed": ProblemKind("A PDF attachment was removed", _W),
        "pdf_page_needs_ocr": ProblemKind("A scanned PDF page needs OCR", _R),
        "pdf_page_ocr": ProblemKind("A scanned PDF page was read by OCR", _OK),
        "pdf_page_ocr_low_confidence": ProblemKind("OCR read a page with low confidence", _R),
        "pdf_revisions_removed": ProblemKind("Earlier revisions of a PDF were removed", _W),
        "redaction_incomplete": ProblemKind("A redacted string is still present", _X),
        "redaction_not_located": ProblemKind("A redaction could not be placed", _X),
        "redaction_unsupported": ProblemKind("This format cannot be redacted", _R),
        "redaction_unverified": ProblemKind("A redaction could not be verified", _X),
        "registry_other_key": ProblemKind("A register entry uses another key", _R),
        "rule_error": ProblemKind("A rule could not be evaluated", _R),
        "stray_bytes_removed": ProblemKind("Stray bytes were removed from a file", _W),
        "text_analysis_unavailable": ProblemKind("Free text could not be analysed", _R),
        "treatment_failed": ProblemKind("A treatment failed", _R),
        "treatment_keeps_little": ProblemKind("A treatment keeps little of the data", _R),
        "version_not_compared": ProblemKind("A new version was not compared", _R),
        "xlsx_rewritten": ProblemKind("A workbook was rewritten", _W),
        "xlsx_unchecked_part": ProblemKind("A part of a workbook was not checked", _R),
    }
)


_KIND_IS = re.compile(r"\.kind\s*==\s*'([^']+)'")
_KIND_IN = re.compile(r"\.kind\s+in\s+\[([^\]]*)\]")


def kinds_named(condition: str) -> set[str]:
    """The finding or problem kinds a rule condition compares with (``f.kind == 'x'``,
    ``f.kind in ['x', 'y']``)."""
    named = set(_KIND_IS.findall(condition))
    for group in _KIND_IN.findall(condition):
        named |= set(re.findall(r"'([^']+)'", group))
    return named
