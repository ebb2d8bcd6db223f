"""The error tree. Findings are data; these are for things that stop or taint a run."""

from __future__ import annotations


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
    """Raised on request by library callers when the decision is not a release."""
