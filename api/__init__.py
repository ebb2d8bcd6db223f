"""triage.api."""
