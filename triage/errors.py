"""The error tree. Findings are data; these are for things that stop or taint a run.

Every exception triage raises on purpose is a :class:`TriageError`::

    TriageError
    ├── ConfigError (ValueError)         bad options, keys, limits
    │   ├── RulebookError                a rulebook failed to load; names the file and rule
    │   ├── store.UnknownReleaseError    (LookupError) no such release in the register
    │   └── documents.ocr.OcrUnavailable (RuntimeError) Tesseract or its language data missing
    ├── DataInputError (ValueError)      input unreadable, unsupported, empty or over a limit
    ├── StoreError                       database unreachable or of the wrong schema
    ├── PluginExecutionError             a detector, rule condition or transform crashed
    ├── outputs.OutputError              the output folder could not be written whole
    └── ReleaseBlocked                   check(..., raise_if_blocked=True) released nothing

The CLI prints one line ``triage: error: ...`` for each (exit 2 for bad input or configuration,
1 for a fault); the service answers problem+json (4xx for bad input, 5xx for faults).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from triage.models import Report


class TriageError(Exception):
    """Base of every error triage raises on purpose."""


class ConfigError(TriageError, ValueError):
    """Bad configuration: options, keys, limits."""


class RulebookError(ConfigError):
    """A rulebook failed to load or validate; the message names the file and rule id."""


class DataInputError(TriageError, ValueError):
    """Input data is unreadable, unsupported, empty or over a limit."""


class StoreError(TriageError):
    """A database is unreachable or has the wrong schema."""


class PluginExecutionError(TriageError):
    """A detector, rule condition or transform crashed."""


class ReleaseBlocked(TriageError):
    """Raised by ``triage.check(..., raise_if_blocked=True)`` when the decision releases nothing;
    ``report`` is the whole report (the message gives the decision and its reason)."""

    def __init__(self, report: Report) -> None:
        self.report = report
        super().__init__(f"{report.decision.value}: {report.decision_reason}")
