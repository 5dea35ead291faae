import subprocess
import sys
from pathlib import Path

import pytest

from server.config import load_settings


def test_defaults_need_no_network(monkeypatch):
    for var in ("KEEPSAKE_ASR__PROVIDER", "KEEPSAKE_LLM__PROVIDER", "KEEPSAKE_TTS__PROVIDER", "KEEPSAKE_FACE__PROVIDER"):
        monkeypatch.delenv(var, raising=False)
    settings = load_settings()
    assert {settings.asr.provider, settings.llm.provider, settings.tts.provider, settings.face.provider} == {"local"}


def test_environment_overrides_toml(tmp_path, monkeypatch):
    config = tmp_path / "keepsake.toml"
    config.write_text(
        'port = 9001\ndata_dir = "/srv/keepsake"\n[llm]\nprovider = "openai"\nbase_url = "http://127.0.0.1:11434/v1"\nmodel = "qwen"\ntimeout_s = 12\n[tts]\nvoice = "nova"\n'
    )
    monkeypatch.setenv("KEEPSAKE_LLM__MODEL", "llama")
    monkeypatch.setenv("KEEPSAKE_TTS__API_KEY", "secret-key")
    settings = load_settings(config)
    assert settings.port == 9001 and settings.data_dir == Path("/srv/keepsake")
    assert settings.llm.provider == "openai" and settings.llm.base_url.endswith("/v1") and settings.llm.timeout_s == 12
    assert settings.llm.model == "llama"  # the environment wins
    assert settings.tts.voice == "nova" and settings.tts.api_key.get_secret_value() == "secret-key"
    assert "secret-key" not in repr(settings)


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_settings(tmp_path / "nope.toml")


def test_the_database_is_sqlite_unless_a_postgresql_url_is_given(monkeypatch):
    monkeypatch.delenv("KEEPSAKE_DATABASE_URL", raising=False)
    assert load_settings().database_url is None
    monkeypatch.setenv("KEEPSAKE_DATABASE_URL", "postgresql://keepsake:hunter2@db.internal:5432/keepsake")
    settings = load_settings()
    assert settings.database_url.get_secret_value() == "postgresql://keepsake:hunter2@db.internal:5432/keepsake"
    assert "hunter2" not in repr(settings)
    for wrong in ("mysql://u:p@h/db", "postgresql://host-without-database", "keepsake.db"):
        monkeypatch.setenv("KEEPSAKE_DATABASE_URL", wrong)
        with pytest.raises(ValueError, match="KEEPSAKE_DATABASE_URL must be postgresql://"):
            load_settings()


def test_serve_help_explains_every_option():
    out = subprocess.run([sys.executable, "-m", "server.cli", "serve", "--help"], capture_output=True, text=True, check=True).stdout
    for option in ("--host", "--port", "--config", "--demo", "--data-dir"):
        assert option in out
