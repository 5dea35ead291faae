"""One settings object for the whole server.

Environment variables (prefix ``KEEPSAKE_``, nested with ``__``) win over an
optional TOML file, which wins over the defaults. The defaults need no
network: every stage uses its embedded engine.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar, Literal, get_args

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from server.storage.blobs import parse_media_url

# The providers each stage can use ("local": its embedded engine). server.services.registry has
# a class for every remote name here, and a test holds the two together.
AsrProvider = Literal["local", "openai"]
LlmProvider = Literal["local", "openai", "story"]  # "story": the same as "local", story mode
# "cosyvoice" and "gpt-sovits": self-hosted servers that speak in a voice from a short reference clip.
TtsProvider = Literal["local", "openai", "elevenlabs", "cosyvoice", "gpt-sovits"]
FaceProvider = Literal["local", "http"]


class StageSettings(BaseModel):
    """How one generation stage (ASR, LLM, TTS, FACE) reaches its provider.

    Each stage narrows ``provider`` to its own names, so a name no provider has
    fails when the settings load, naming the variable to fix, and not at the
    first turn.
    """

    stage: ClassVar[str] = ""  # "ASR", ...: names the variable in errors

    provider: str = "local"
    base_url: str | None = None
    model: str | None = None
    api_key: SecretStr | None = None
    timeout_s: float = Field(default=30.0, gt=0, le=600)
    retries: int = Field(default=1, ge=0, le=5)
    voice: str | None = None  # TTS only: the voice to speak with

    @field_validator("provider", mode="before")
    @classmethod
    def _known_provider(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        name = value.strip().lower()  # "OpenAI" has always been taken
        known = get_args(cls.model_fields["provider"].annotation)
        if known and name not in known:
            raise ValueError(f"unknown provider {value!r} for KEEPSAKE_{cls.stage}__PROVIDER; use one of: {', '.join(known)}")
        return name


class AsrSettings(StageSettings):
    stage: ClassVar[str] = "ASR"
    provider: AsrProvider = "local"


class LlmSettings(StageSettings):
    stage: ClassVar[str] = "LLM"
    provider: LlmProvider = "local"


class TtsSettings(StageSettings):
    stage: ClassVar[str] = "TTS"
    provider: TtsProvider = "local"
    # CosyVoice and GPT-SoVITS clone from a reference clip that Keepsake keeps (server.services.reference_voice):
    # here, or <data_dir>/reference-voices when empty.
    reference_dir: Path | None = None
    # GPT-SoVITS reads the clip from its own disk (api_v2 takes a path, no upload): the same folder as
    # that server sees it (a shared volume, say); empty when both run on one machine.
    reference_dir_on_server: str | None = None
    # What the remote voice (``voice``) is, as the family will be told and as it is matched against a
    # persona: ``man``, ``woman``, ``child`` or ``unknown``; its languages ("en,zh"); its accent in words.
    # The embedded voice describes itself; a remote one the server is not told about is "not described".
    voice_sex: Literal["man", "woman", "child", "unknown"] = "unknown"
    voice_languages: str | None = None
    voice_accent: str | None = None


class FaceSettings(StageSettings):
    stage: ClassVar[str] = "FACE"
    provider: FaceProvider = "local"

    @model_validator(mode="after")
    def _http_needs_its_endpoint(self) -> FaceSettings:
        # A talking-head service has no usual address: its endpoint must be given.
        if self.provider == "http" and not self.base_url:
            raise ValueError("KEEPSAKE_FACE__BASE_URL (the talking-head endpoint) is needed for provider 'http'")
        return self


class LimitSettings(BaseModel):
    """How much unauthenticated work one caller may ask for, checked before any password is hashed."""

    # New households: a family makes one; more than a few an hour from one address is a script.
    signups_per_address_per_hour: int = Field(default=5, ge=1, le=10_000)
    # And from every address together, so a botnet cannot fill the disk and the CPU.
    signups_per_hour: int = Field(default=60, ge=1, le=100_000)
    # Wrong passwords for one account from one address: free at first, then a wait that doubles.
    login_free_tries: int = Field(default=5, ge=1, le=100)
    login_first_delay_s: float = Field(default=30.0, gt=0, le=86_400)
    login_max_delay_s: float = Field(default=3600.0, gt=0, le=86_400)
    # Wrong passwords in an hour from one address, whatever the accounts (one guesser, many e-mails).
    login_failures_per_address_per_hour: int = Field(default=30, ge=1, le=100_000)
    # Wrong passwords in an hour for one account, whatever the addresses (many guessers, one e-mail).
    # Addresses this account logged in from lately are exempt: the owner at home is never shut out.
    login_failures_per_account_per_hour: int = Field(default=20, ge=1, le=100_000)
    login_known_address_days: int = Field(default=30, ge=1, le=3650)


class LiveSettings(BaseModel):
    """The live conversation socket, and when it decides the relative has finished (server.live)."""

    # A pause after words Smart Turn judges finished: people leave about 200 ms between turns
    # (Stivers et al., PNAS 2009); 250 ms keeps a breath inside a sentence from ending it.
    complete_pause_ms: float = Field(default=250.0, ge=50, le=5000)
    # A pause after words judged unfinished (or a sentence left on "and", "the", "然后"): an older
    # person looking for a word takes 2-3 s; past this, the turn ends whatever the judgement.
    unfinished_pause_ms: float = Field(default=3000.0, ge=200, le=20000)
    # How much longer a finished-sounding pause waits for recognition to say whether the words
    # hang: the embedded recogniser takes a few hundred ms on a short utterance, more on a busy
    # machine. Tuned on the dev set (python -m server.bench.live_tune): at 250 ms a sentence left on
    # "and" was cut off whenever the words came later than 400 ms into the pause (Smart Turn hears
    # "...and" as finished); 600 ms cut none with the words as late as 750 ms, and cost nothing
    # when they come sooner (the turn ends as soon as they say the sentence is whole).
    words_wait_ms: float = Field(default=600.0, ge=0, le=5000)
    # ...but while the recognition of the last word is running, the pause waits for it, up to this:
    # on a busy machine the words came later than the 600 ms and the turn ended on a "...and"
    # (cut-offs in `keepsake bench --live` at load 20). On a quiet one they come in a few hundred ms
    # and this costs nothing; a recogniser that failed or is not coming leaves words_wait_ms.
    words_wait_max_ms: float = Field(default=1500.0, ge=0, le=10000)
    # A voice that sounds unfinished but words that make a whole sentence ("Tell me about your
    # wedding day." said flatly): longer than a breath between clauses, far shorter than the long wait.
    sentence_pause_ms: float = Field(default=1200.0, ge=200, le=20000)
    # Smart Turn's probability above which the speaker has finished (its own cut: 0.5).
    finished_threshold: float = Field(default=0.5, gt=0, lt=1)
    # Silero's probability above which a 32 ms window is speech (Silero's default).
    vad_threshold: float = Field(default=0.5, gt=0, lt=1)
    # Nothing said (no speech, or no frame at all) this long: the socket closes (CLOSE_IDLE).
    idle_s: float = Field(default=120.0, gt=0, le=3600)
    # While the persona speaks, the relative's speech interrupts it after this much (more than a
    # new turn's 96 ms: a cough or an "mm" while listening must not stop the persona).
    barge_in_ms: float = Field(default=192.0, ge=32, le=2000)
    # The echo guard (server.live.echo): the persona's own voice coming back through the microphone
    # is not the relative. It matches the played audio this well (normalised cross-correlation)...
    echo_correlation: float = Field(default=0.5, gt=0, lt=1)
    # ...or is no louder than the loudest echo: played audio comes back 6 to 20 dB quieter on a
    # tablet, and a relative who speaks over it is louder than that (plus this margin).
    echo_loudest_db: float = Field(default=-6.0, ge=-40, le=6)
    echo_margin_db: float = Field(default=3.0, ge=0, le=20)
    # Loudspeaker to microphone, through the tablet's audio buffers: 0-300 ms.
    echo_max_delay_ms: float = Field(default=300.0, ge=0, le=2000)


class S3Settings(BaseModel):
    """How the server reaches an S3-compatible store (``KEEPSAKE_S3__*``), used when KEEPSAKE_MEDIA_URL is s3://."""

    endpoint_url: str | None = None  # SeaweedFS, MinIO, Ceph...; None: AWS itself
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None
    region: str | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KEEPSAKE_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    data_dir: Path = Path("keepsake-data")
    # Where media bytes live: unset, the media folder under data_dir; s3://bucket/prefix, an
    # S3-compatible store reached with the s3 settings (several machines share it).
    media_url: str | None = None
    s3: S3Settings = S3Settings()
    # Unset: SQLite in data_dir (the embedded default). postgresql://user:password@host:port/dbname:
    # PostgreSQL, which several server processes and machines can share.
    database_url: SecretStr | None = None  # secret: it holds the database's password
    host: str = "127.0.0.1"
    port: int = Field(default=8750, ge=1, le=65535)
    # What the server calls itself in URLs it hands out; derived from the request when empty.
    public_url: str | None = None

    asr: AsrSettings = AsrSettings()
    llm: LlmSettings = LlmSettings()
    tts: TtsSettings = TtsSettings()
    face: FaceSettings = FaceSettings()

    max_upload_mb: float = Field(default=20.0, gt=0)
    # The largest file a persona-studio import takes (a whole book, a long voice memo).
    max_source_mb: float = Field(default=200.0, gt=0)
    max_audio_s: float = Field(default=120.0, gt=0)
    # Reading an uploaded file runs in a child process with these limits (server.importers.sandbox),
    # so a hostile file fails alone, with a plain message, instead of freezing every household.
    # The job's reading of one file. A plain 300-page PDF reads in 2.4 s here, so the largest taken
    # (3,000 pages) in under half a minute; books with embedded fonts are several times slower.
    import_time_s: float = Field(default=300.0, gt=0, le=600)
    # The check an upload waits for (type, damage, a chat's senders): a few pages, or a whole chat to
    # find who wrote it (5.5 s here for a 28 MB chat export, the slowest file there is to check).
    import_check_time_s: float = Field(default=60.0, gt=0, le=600)
    # What reading one file may allocate, beyond the child's loaded libraries. The largest files taken
    # fit well: the child peaks at 164 MB on a 28 MB text file, at 710 MB on a 29-minute 48 kHz WAV.
    import_memory_mb: int = Field(default=1024, ge=64, le=65536)
    # Import jobs are a queue in the database (server.job_runner): a process holds the job it runs
    # for job_lease_s, renewed every third of it; a job whose holder stopped renewing (it died) is
    # taken up again by any process, which looks for such jobs every job_poll_s (jobs queued here
    # are taken at once). After job_attempts tries the job fails plainly.
    job_lease_s: float = Field(default=60.0, gt=0, le=3600)
    job_poll_s: float = Field(default=5.0, gt=0, le=600)
    job_attempts: int = Field(default=3, ge=1, le=100)
    pairing_code_ttl_s: int = Field(default=600, gt=0)
    media_url_ttl_s: int = Field(default=3600, gt=0)
    # Alert webhooks on loopback or the private network. On by default: the usual Keepsake server
    # is a family's own, at home, and its webhook a Home Assistant or a phone bridge on the same
    # LAN. A hosted server for many households turns it off, so no caregiver can make the server
    # knock on internal services. Link-local (cloud metadata), multicast and unspecified never.
    allow_private_webhooks: bool = True
    # An alert's webhook delivery is held by the process sending it for alert_lease_s; if that
    # process dies, another sends it once the lease has run out. Longer than any one try (the
    # address check and a POST of at most server.alerts.WEBHOOK_TIMEOUT_S), or two processes could
    # send one alert at once.
    alert_lease_s: float = Field(default=120.0, ge=15, le=3600)
    # Warm the embedded models at start so the first turn is not slow.
    preload_engines: bool = True
    # Synthesize in the background, while no one is talking, what a persona will surely say
    # (greetings, story mode's phrases, the start of each memory), so answers need no synthesis.
    speak_ahead: bool = True
    # Turns this process works on at once (0: decided from the providers), and how long
    # one more may wait for a place before the tablet is told "busy".
    max_concurrent_turns: int = Field(default=0, ge=0, le=10_000)
    turn_wait_s: float = Field(default=10.0, ge=0, le=300)
    # How a turn's body must arrive (server.api.turn_body): its first bytes within start_s (else
    # 408, and it never held a place), no pause longer than idle_s, and on average at least
    # min_rate bytes a second with idle_s of slack. The tablet streams 32 KB a second.
    turn_body_start_s: float = Field(default=5.0, gt=0, le=300)
    turn_body_idle_s: float = Field(default=20.0, gt=0, le=600)
    turn_body_min_rate: int = Field(default=2048, ge=0, le=10_000_000)
    # "naive" waits for the whole transcript, the whole answer and all its speech before
    # sending anything: only the benchmark's baseline uses it.
    pipeline: Literal["streamed", "naive"] = "streamed"
    # A turn still unfinished after this long was cut off by a crash: recognise its words again.
    turn_stale_s: float = Field(default=180.0, gt=0)
    limits: LimitSettings = LimitSettings()
    live: LiveSettings = LiveSettings()

    @field_validator("media_url")
    @classmethod
    def _media_url_readable(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        parse_media_url(value)  # a malformed URL stops the start with one line saying what is wrong
        return value.strip()

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or not re.match(r"postgres(ql)?://[^/\s]*/[^/\s]+$", value.strip()):
            raise ValueError("KEEPSAKE_DATABASE_URL must be postgresql://user:password@host:port/dbname (or unset for SQLite)")
        return value.strip()

    @field_validator("asr", "llm", "tts", "face", mode="before")
    @classmethod
    def _as_this_stage(cls, value: Any) -> Any:
        # A plain StageSettings handed in (tests, callers) is read as this stage's settings, so its
        # provider is checked against this stage's names like any other.
        if isinstance(value, StageSettings):
            return value.model_dump(exclude_unset=True)
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_file = _config_file.get("path")
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "keepsake.db"


# pydantic-settings picks sources at class level; the CLI sets the file here first.
_config_file: dict[str, Any] = {}


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Settings from the environment, then ``config_file`` (TOML), then defaults."""
    if config_file is not None:
        path = Path(config_file)
        if not path.is_file():
            raise FileNotFoundError(f"config file not found: {path}")
        _config_file["path"] = path
    else:
        _config_file.pop("path", None)
    try:
        return Settings(**overrides)
    finally:
        _config_file.pop("path", None)
