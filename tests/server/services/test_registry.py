"""server/services/registry.py's table and server/config.py's provider names: one list, checked at load."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import httpx
import pytest

from server.cli import main
from server.config import (
    AsrProvider,
    FaceProvider,
    LlmProvider,
    Settings,
    StageSettings,
    TtsProvider,
    load_settings,
)
from server.services.base import Conversation
from server.services.registry import FALLBACKS, PROVIDERS, build_cloner, build_services

EMBEDDED = {"local", "story"}
NAMES = {"asr": AsrProvider, "llm": LlmProvider, "tts": TtsProvider, "face": FaceProvider}


class StoryStandIn(Conversation):
    name = "story"

    async def reply(self, ctx):
        yield "A story."


@pytest.mark.parametrize("stage", sorted(NAMES))
def test_every_remote_name_the_settings_take_has_a_class_and_a_fallback(stage):
    in_settings = set(get_args(NAMES[stage])) - EMBEDDED
    in_table = {name for (s, name) in PROVIDERS if s == stage}
    assert in_settings == in_table
    for name in in_table:
        cls = PROVIDERS[(stage, name)]
        assert (cls.stage, cls.name) == (stage, name)
    assert stage in FALLBACKS


def test_every_cloner_follows_a_voice_the_settings_take():
    cloners = {name for (s, name) in PROVIDERS if s == "clone"}
    assert cloners and cloners <= set(get_args(TtsProvider))
    for name in cloners:
        assert PROVIDERS[("clone", name)].stage == "clone"


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("KEEPSAKE_ASR__PROVIDER", "azure", "unknown provider 'azure' for KEEPSAKE_ASR__PROVIDER; use one of: local, openai"),
        ("KEEPSAKE_TTS__PROVIDER", "eleven", "KEEPSAKE_TTS__PROVIDER; use one of: local, openai, elevenlabs"),
        ("KEEPSAKE_FACE__PROVIDER", "openai", "KEEPSAKE_FACE__PROVIDER; use one of: local, http"),
        ("KEEPSAKE_LLM__PROVIDER", "", "KEEPSAKE_LLM__PROVIDER"),
    ],
)
def test_a_provider_no_stage_has_fails_when_the_settings_load(monkeypatch, variable, value, words):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=words):
        load_settings()


def test_a_bad_name_in_the_config_file_fails_too_and_names_the_setting(tmp_path):
    config = tmp_path / "keepsake.toml"
    config.write_text('[tts]\nprovider = "elevenlab"\n')
    with pytest.raises(ValueError, match="KEEPSAKE_TTS__PROVIDER"):
        load_settings(config)


def test_the_command_line_says_which_setting_is_wrong_and_starts_nothing(monkeypatch, capsys):
    monkeypatch.setenv("KEEPSAKE_ASR__PROVIDER", "azure")
    assert main(["serve"]) == 2
    error = capsys.readouterr().err
    assert "configuration problem" in error and "KEEPSAKE_ASR__PROVIDER" in error and "Traceback" not in error


def test_names_are_taken_in_any_case_as_before(monkeypatch):
    monkeypatch.setenv("KEEPSAKE_TTS__PROVIDER", "ElevenLabs")
    assert load_settings().tts.provider == "elevenlabs"


def test_a_plain_stage_settings_handed_in_is_checked_as_that_stage():
    assert Settings(face=StageSettings(provider="HTTP", base_url="http://f/animate")).face.provider == "http"
    with pytest.raises(ValueError, match="KEEPSAKE_FACE__PROVIDER"):
        Settings(face=StageSettings(provider="elevenlabs"))


async def test_the_table_builds_each_remote_provider_behind_its_fallback():
    settings = Settings(
        asr=StageSettings(provider="openai", base_url="http://asr.test/v1", retries=0),
        llm=StageSettings(provider="openai", base_url="http://llm.test/v1", model="m"),
        tts=StageSettings(provider="elevenlabs", base_url="https://el.test", api_key="k", voice="v1"),
        face=StageSettings(provider="http", base_url="http://face.test/animate", timeout_s=9),
    )
    async with httpx.AsyncClient() as http:
        services = build_services(settings, http, story=StoryStandIn())
    for stage in ("asr", "llm", "tts", "face"):
        wrapper = getattr(services, stage)
        assert type(wrapper) is FALLBACKS[stage]
        assert type(wrapper.primary) is PROVIDERS[(stage, getattr(settings, stage).provider)]
        assert wrapper.primary.endpoint.http is http
    assert services.llm.fallback is services.story
    assert services.face.primary.endpoint.timeout_s == 9 and services.face.primary.endpoint.base_url == "http://face.test/animate"
    assert type(services.cloner) is PROVIDERS[("clone", "elevenlabs")]
    assert build_cloner(Settings(), http) is None


def test_services_import_one_another_without_a_cycle():
    # Lazy imports inside functions count: they loop just the same when both run.
    root = Path(__file__).resolve().parents[3]
    modules = {f"server.services.{p.stem}": p for p in (root / "server/services").glob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = {node.module} | {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                targets = {a.name for a in node.names}
            else:
                continue
            graph[name] |= (targets & modules.keys()) - {name}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(nxt == goal or reaches(nxt, goal, seen | {nxt}) for nxt in graph[start] - seen)

    assert [name for name in sorted(graph) if reaches(name, name, set())] == []
