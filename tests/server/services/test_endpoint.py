"""server/services/endpoint.py: one frozen endpoint per remote provider, built once from settings."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from server.config import StageSettings
from server.services.cloning_openai import OpenAIVoiceLibrary
from server.services.endpoint import OPENAI_BASE_URL, Endpoint
from server.services.llm_openai import OpenAIConversation
from server.services.tts_elevenlabs import ELEVENLABS_BASE_URL, ElevenLabsTextToSpeech


def test_an_endpoint_from_settings_carries_all_six_and_keeps_the_key_out_of_its_repr():
    http = httpx.AsyncClient()
    stage = StageSettings(provider="openai", base_url="http://llm.test/v1", model="m", api_key="sk-secret", timeout_s=7, retries=3)
    endpoint = Endpoint.from_settings(stage, http, OpenAIConversation.defaults)
    assert (endpoint.http, endpoint.base_url, endpoint.model, endpoint.api_key, endpoint.timeout_s, endpoint.retries) == (
        http,
        "http://llm.test/v1",
        "m",
        "sk-secret",
        7,
        3,
    )
    assert "sk-secret" not in repr(endpoint)
    with pytest.raises(dataclasses.FrozenInstanceError):
        endpoint.retries = 5  # type: ignore[misc]


def test_each_provider_fills_what_the_settings_leave_empty_with_its_own_defaults():
    http = httpx.AsyncClient()
    llm = OpenAIConversation.from_settings(StageSettings(provider="openai"), http)
    assert (llm.endpoint.base_url, llm.endpoint.model) == (OPENAI_BASE_URL, "gpt-4o-mini")
    voice = ElevenLabsTextToSpeech.from_settings(StageSettings(provider="elevenlabs", voice="v9"), http)
    assert (voice.root, voice.endpoint.model, voice.voice) == (ELEVENLABS_BASE_URL, "eleven_multilingual_v2", "v9")
    # Made by hand, a provider gets the same defaults.
    assert OpenAIConversation(Endpoint(http, "http://x/v1")).endpoint.model == "gpt-4o-mini"


def test_registering_a_voice_gets_at_least_a_minute_whatever_the_stage_timeout():
    stage = StageSettings(provider="openai", base_url="http://tts.local/v1", timeout_s=5)
    assert OpenAIVoiceLibrary.from_settings(stage, httpx.AsyncClient()).endpoint.timeout_s == 60
    slow = StageSettings(provider="openai", base_url="http://tts.local/v1", timeout_s=90)
    assert OpenAIVoiceLibrary.from_settings(slow, httpx.AsyncClient()).endpoint.timeout_s == 90


def test_a_provider_with_no_default_url_needs_one_set():
    with pytest.raises(ValueError, match="base URL"):
        OpenAIVoiceLibrary.from_settings(StageSettings(provider="openai"), httpx.AsyncClient())
