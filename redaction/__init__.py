"""triage.redaction."""
