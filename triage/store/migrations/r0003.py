"""Revision 0003: versions (``releases.supersedes_id``, ``submissions.supersedes``).

A release that is a new version of an earlier one (a monthly republication) names the release
it supersedes; both stay in the register (both are published), and a later version's check is
compared with the newest, not linked with any of them. A service submission keeps the
``--supersedes`` specs it was sent with (a JSON list).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations

revision = "0003"
down_revision: str | None = "0002"


def upgrade(op: Operations) -> None:
    """Add the nullable ``releases.supersedes_id`` and ``submissions.supersedes`` columns."""
    with op.batch_alter_table("releases") as batch:
        batch.add_column(sa.Column("supersedes_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("supersedes", sa.Text(), nullable=True))
