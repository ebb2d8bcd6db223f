"""Schemathesis over the service's OpenAPI: generated requests to every operation, with an
admin key and without one, never get a 5xx."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from triage.api.app import create_app
from triage.api.security import create_key
from triage.api.settings import ApiSettings

# The schema is read when pytest collects this module, so the app is built here, in a
# temporary folder removed at exit.
_ROOT = Path(tempfile.mkdtemp(prefix="triage-schema-"))
atexit.register(shutil.rmtree, _ROOT, True)
APP = create_app(
    ApiSettings(
        db_url=f"sqlite:///{_ROOT / 'triage.db'}",
        data_dir=_ROOT / "data",
        nlp_model=None,
        pseudonym_key=b"k" * 32,
        rate_per_second=10_000.0,
        rate_burst=100_000,
    )
)
KEY = create_key(APP.state.service.engine, "admin", "schema-tests")
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"X-API-Key": KEY}, checks=[not_a_server_error])
    case.call_and_validate(checks=[not_a_server_error])  # and without a key
