"""Submission service, revision 0004: key expiry and last use, and the audit log's anchor.

``api_keys`` gains ``expires_at`` and ``last_used_at``; ``audit_head`` holds one row, the
newest audit entry's sequence number and hash with an HMAC under a key kept outside the
database (:mod:`triage.api.anchor`), so a cut tail or a re-computed chain is detected.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations

revision = "0004"
down_revision: str | None = "0003"


def upgrade(op: Operations) -> None:
    """Add the key columns and the audit head table."""
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("last_used_at", sa.DateTime(), nullable=True))
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("hmac", sa.String(64), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
    )


def downgrade(op: Operations) -> None:
    """Drop the audit head table and the key columns."""
    op.drop_table("audit_head")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("last_used_at")
        batch.drop_column("expires_at")
