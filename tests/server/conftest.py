"""Server tests run without speaking ahead unless they are about it.

Speaking ahead synthesizes a few hundred sentences in the background for every
persona with consent: with the embedded voice that is minutes of CPU, and with
a fake voice service it adds requests that tests counting them do not expect.
The tests about it (tests/server/api/test_speak_ahead.py) turn it on themselves.
"""

import pytest


@pytest.fixture(autouse=True)
def _no_speaking_ahead(monkeypatch):
    monkeypatch.setenv("KEEPSAKE_SPEAK_AHEAD", "false")
