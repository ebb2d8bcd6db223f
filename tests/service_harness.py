"""The submission service under FastAPI's TestClient, with its worker run inline, for tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from triage.api.app import create_app
from triage.api.jobs.worker import Worker
from triage.api.security import create_key
from triage.api.settings import ApiSettings

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


def check_or_hang(*args: Any) -> Any:
    """A check process's function for tests: a submission holding a file named ``hang*``
    hangs (a check that never ends), any other is checked by :func:`run_check`."""
    import time

    from triage.api.jobs.run import run_check

    if any(Path(p).name.startswith("hang") for p in args[1]):
        time.sleep(3600)
    return run_check(*args)


def descendants(pid: int) -> set[int]:
    """The processes below ``pid`` now (Linux ``/proc``)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                children = {int(c) for c in (task / "children").read_text().split()}
            except OSError:
                continue
            todo += sorted(children - found)
            found |= children
    return found


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"
