"""Alembic revisions of the register's schema, one module per revision, applied in order."""
