"""Register of releases, revision 0001: the ``releases`` table.

An Alembic migration run by :mod:`triage.store.register` through Alembic's ``Operations`` API; the
revision is kept in Alembic's standard ``alembic_version`` table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations

revision = "0001"
down_revision: str | None = None


def upgrade(op: Operations) -> None:
    """Create the ``releases`` table and its indexes."""
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("destination", sa.String(32), nullable=True),
        sa.Column("recipient", sa.String(255), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("released_at", sa.DateTime(), nullable=False),
        sa.Column("rulebook_name", sa.String(255), nullable=True),
        sa.Column("rulebook_version", sa.String(64), nullable=True),
        sa.Column("rulebook_sha256", sa.String(64), nullable=True),
        sa.Column("dataset_sha256", sa.String(64), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.JSON(), nullable=False),
        sa.Column("fingerprint_summary", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.Column("removed_by", sa.String(255), nullable=True),
        sa.Column("removal_reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_releases_dataset_sha256", "releases", ["dataset_sha256"])
    op.create_index("ix_releases_removed_at", "releases", ["removed_at"])


def downgrade(op: Operations) -> None:
    """Drop the ``releases`` table."""
    op.drop_index("ix_releases_removed_at", table_name="releases")
    op.drop_index("ix_releases_dataset_sha256", table_name="releases")
    op.drop_table("releases")
