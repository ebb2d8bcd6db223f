"""The service's vocabulary and its request and response bodies.

The status enums hold exactly the strings stored in the database and returned in JSON
(``StrEnum``: a member is its string), so naming them changes nothing stored or shown.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, field_validator


class JobStatus(StrEnum):
    """A job's state in the queue (``jobs.status``)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class SubmissionStatus(StrEnum):
    """A submission's state (``submissions.status``), following its job's."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ReviewState(StrEnum):
    """Where a referred submission is in review (``submissions.review_state``)."""

    PENDING = "pending"
    REVIEWED = "reviewed"


class ReviewAction(StrEnum):
    """A reviewer's decision on a referral (``reviews.action``)."""

    APPROVE_RELEASE = "approve_release"
    APPROVE_WITH_CHANGES = "approve_with_changes"
    WITHHOLD = "withhold"


#: The final decision each review action makes.
REVIEW_DECISION: dict[ReviewAction, str] = {
    ReviewAction.APPROVE_RELEASE: "release",
    ReviewAction.APPROVE_WITH_CHANGES: "release_with_changes",
    ReviewAction.WITHHOLD: "withhold",
}


class SubmissionAccepted(BaseModel):
    """The answer to a submission: stored and queued."""

    id: str
    status: SubmissionStatus
    links: dict[str, str]


class FileInfo(BaseModel):
    """One uploaded file (its safe name)."""

    name: str
    size: int
    sha256: str


class SubmissionInfo(BaseModel):
    """A submission's state."""

    id: str
    destination: str
    status: SubmissionStatus
    progress: str | None = None
    attempts: int = 0
    decision: str | None = None
    final_decision: str | None = None
    review_state: str | None = None
    recipient: str | None = None
    purpose: str | None = None
    error: str | None = None
    files: list[FileInfo] = Field(default_factory=list)
    released: list[str] = Field(default_factory=list)
    created_at: str
    updated_at: str
    mine: bool = False


class ReviewIn(BaseModel):
    """A reviewer's decision on a referred submission."""

    action: ReviewAction
    justification: str = Field(min_length=1, max_length=5000)

    @field_validator("justification")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a justification is required")
        return value.strip()


class RulebookInfo(BaseModel):
    """A rulebook's identity."""

    name: str
    version: str
    destination: str
    description: str
    sha256: str
    rules: int


class RulebookValidation(BaseModel):
    """Result of validating a rulebook."""

    valid: bool
    rulebook: RulebookInfo | None = None
    error: str | None = None
