"""Fuzz the whole API from its OpenAPI document: no 5xx, and every answer matches the document.

Bounded so it runs in about a minute; KEEPSAKE_FUZZ_EXAMPLES raises the count for a longer run.
"""

from __future__ import annotations

import os

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from server.app import create_app
from server.config import Settings, StageSettings
from tests.server.api.conftest import FakeUpstream, new_household, new_persona

EXAMPLES = int(os.environ.get("KEEPSAKE_FUZZ_EXAMPLES", "25"))


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    remote = StageSettings(provider="openai", base_url="http://fake-upstream.test/v1", model="fake", timeout_s=5, retries=0)
    settings_ = Settings(data_dir=tmp_path_factory.mktemp("fuzz"), preload_engines=False, asr=remote, tts=remote, max_upload_mb=1)
    app = create_app(settings_, http_transport=httpx.MockTransport(FakeUpstream()))
    with TestClient(app) as client:
        hh = new_household(client, "fuzz@example.com")
        persona = new_persona(client, hh)
        app.state.fuzz_headers = hh["headers"]
        app.state.fuzz_persona = persona["id"]
        yield app


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_api_never_fails_and_keeps_its_contract(fuzz_app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    auth = fuzz_app.state.fuzz_headers["Authorization"]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    calls = 0

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
        def fuzz(case):
            nonlocal calls
            headers = {**(case.headers or {}), "Authorization": auth}
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)
            calls += 1

        fuzz()
    print(f"\nfuzzed {len(operations)} operations with {calls} requests: no 5xx, every answer as documented")
