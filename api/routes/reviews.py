"""``/v1/submissions/{sid}/review``: a reviewer decides a referred submission."""

from __future__ import annotations

from fastapi import APIRouter

from triage.api.deps import Reviewer, State
from triage.api.schemas import ReviewIn, SubmissionInfo
from triage.api.services.review import review_submission
from triage.api.services.submissions import load_submission, submission_info

router = APIRouter(prefix="/v1/submissions", tags=["submissions"])


@router.post("/{sid}/review", response_model=SubmissionInfo, summary="Review a referral")
def review(sid: str, body: ReviewIn, state: State, principal: Reviewer) -> SubmissionInfo:
    """Decide a referred submission (reviewers only; never one's own), audited.

    An approval first writes what it releases (``approve_with_changes``: the changes the check
    proposed, 409 when it proposed none; ``approve_release``: the submitted data,
    formula-escaped) and fsyncs it; then the decision, the review, the register entries of the
    released form (:mod:`triage.api.services.releases`) and the audit entry (naming the released
    files and the new release ids) commit in one transaction, which also puts the files in place.
    If writing the files fails, or the check left no readable register entries, nothing is
    decided.
    """
    review_submission(state, principal, sid, body)
    return submission_info(state, principal, load_submission(state, principal, sid))
