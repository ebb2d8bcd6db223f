"""The persistent register of releases (SQLAlchemy; SQLite by default, PostgreSQL) and its
schema migrations."""
