"""Speech is made once per persona, voice and text; a stand-in voice is never kept as the real one."""

import pytest

from tests.server.api.conftest import new_household, new_persona


def speech_calls(upstream) -> int:
    return sum(1 for r in upstream.requests if r.url.path.endswith("/audio/speech"))


def test_the_same_words_are_synthesized_once(client, upstream):
    hh = new_household(client)
    persona = new_persona(client, hh)
    first = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
    made = speech_calls(upstream)
    assert made == len(first["greeting"]["sentences"]) > 0
    second = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
    assert second["greeting"]["text"] == first["greeting"]["text"]
    assert speech_calls(upstream) == made
    assert [s["audio_url"].split("?")[0] for s in second["greeting"]["sentences"]] == [
        s["audio_url"].split("?")[0] for s in first["greeting"]["sentences"]
    ]
    assert client.get(second["greeting"]["sentences"][0]["audio_url"]).status_code == 200


@pytest.mark.slow
def test_a_fallback_voice_is_not_kept(client, upstream):
    hh = new_household(client)
    persona = new_persona(client, hh)
    upstream.fail_tts = True
    client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"])
    failed = speech_calls(upstream)
    upstream.fail_tts = False
    client.app.state.keepsake.services.tts.breaker.record_success()  # the service is back
    client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"])
    assert speech_calls(upstream) > failed  # asked the real voice again instead of replaying the stand-in
