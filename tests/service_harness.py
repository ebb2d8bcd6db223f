"""The submission service under FastAPI's TestClient, with its worker run inline, for tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from triage.api.app import create_app
from triage.api.security import create_key
from triage.api.settings import ApiSettings
from triage.api.worker import Worker

#: the people behind the test keys and their roles
PEOPLE = {"alice": "submitter", "bob": "submitter", "rita": "reviewer", "adam": "admin"}


@dataclass
class Service:
    """The app's client, its worker (``drain()`` runs queued jobs inline) and a key per person."""

    client: TestClient
    worker: Worker
    keys: dict[str, str]
    settings: ApiSettings

    def h(self, who: str) -> dict[str, str]:
        """Headers authenticating as ``who``."""
        return {"X-API-Key": self.keys[who]}

    @property
    def engine(self) -> sa.Engine:
        return self.worker.engine


def make_service(db_url: str, data_dir: Path, **overrides: Any) -> Service:
    """A fresh service on ``db_url`` (pattern-only, a fixed pseudonymisation key) with the keys
    of :data:`PEOPLE`; ``overrides`` are further :class:`ApiSettings` fields."""
    options: dict[str, Any] = {"nlp_model": None, "pseudonym_key": b"k" * 32, **overrides}
    settings = ApiSettings(db_url=db_url, data_dir=data_dir, **options)
    app = create_app(settings)
    engine = app.state.service.engine
    keys = {who: create_key(engine, role, who) for who, role in PEOPLE.items()}
    return Service(TestClient(app), Worker(settings, engine), keys, settings)
