"""FOI documents: read, detect, propose, redact and decide, one document at a time.

``model`` (blocks), ``spans`` (redacting and finding spans), ``ocr`` (scanned pages),
``officials`` (exemptions, allow/deny lists), ``detect``, ``proposals``, ``review`` (the log and
the reviewer's HTML), ``decide``, ``tables`` (a document's tables through the tabular check,
which is passed in) and ``check`` (one document end to end); ``formats`` reads and writes each
format behind a lazy table. Nothing here imports the engine, the runner or the interfaces.
"""

from triage.documents.check import check_document
from triage.documents.formats import apply, is_document, load_document
from triage.documents.model import ApplyResult, Block, Document, LogEntry
from triage.documents.proposals import load_proposals, propose, write_proposals
from triage.documents.tables import TableChecker

__all__ = [
    "ApplyResult",
    "Block",
    "Document",
    "LogEntry",
    "TableChecker",
    "apply",
    "check_document",
    "is_document",
    "load_document",
    "load_proposals",
    "propose",
    "write_proposals",
]
