"""The services' domain errors, inside the project's error tree; the app answers each with a
problem+json response (:func:`triage.api.app.create_app`)::

    TriageError
    └── ServiceError     a request the service refuses
        ├── NotFound     no such submission, report or file (404)
        ├── Forbidden    the caller may not do this to this submission (403)
        └── Conflict     not in a state that allows it (409)
"""

from __future__ import annotations

from triage.errors import TriageError


class ServiceError(TriageError):
    """A request the service refuses; the message is shown to the caller."""


class NotFound(ServiceError):
    """No such submission, report or file (for the caller: another submitter's looks missing)."""


class Forbidden(ServiceError):
    """The caller's role allows the action, but not on this submission."""


class Conflict(ServiceError):
    """The submission is not in a state that allows the action."""
