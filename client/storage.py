"""What the tablet remembers between runs, in its private folder.

Settings live in ``settings.json``; the device token lives alone in
``device_token`` with owner-only permissions, so it is never shown in the UI,
logged, or copied along with settings. The caregiver PIN is stored only as an
Argon2id hash (argon2-cffi); a platform without it falls back to salted PBKDF2.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

DEFAULT_PIN = "1234"
PIN_ITERATIONS = 200_000
CAPTION_MIN, CAPTION_MAX, CAPTION_DEFAULT = 32, 72, 40


@dataclass
class Settings:
    server_url: str = ""
    device_id: str = ""
    household_id: str = ""
    persona_id: str = ""
    caption_size: int = CAPTION_DEFAULT  # sp
    volume: float = 0.8  # 0..1
    talk_mode: str = "tap"  # "tap" or "hold"
    language: str = "en"
    pin_hash: str = ""  # an Argon2id hash; empty means the default PIN
    session_id: str = ""
    recent_sessions: list[str] = field(default_factory=list)
    # the face and name seen last, so a tablet that starts while the server is away still shows them
    persona_name: str = ""
    portrait_path: str = ""
    mouth_point: list[float] = field(default_factory=list)
    face: dict | None = None  # the persona's face landmarks, so the face moves right before the server answers


try:
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    _argon2: PasswordHasher | None = PasswordHasher()
except ImportError:  # e.g. an Android build without the argon2-cffi recipe
    _argon2 = None


def _pbkdf2(pin: str, salt: str, iterations: int) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def hash_pin(pin: str) -> str:
    if _argon2 is not None:
        return _argon2.hash(pin)
    return _pbkdf2(pin, secrets.token_hex(16), PIN_ITERATIONS)


def check_pin(pin: str, stored: str) -> bool:
    if not stored:  # never changed: the documented default PIN
        return hmac.compare_digest(pin, DEFAULT_PIN)
    if stored.startswith("$argon2"):
        if _argon2 is None:
            return False
        try:
            return _argon2.verify(stored, pin)
        except (VerificationError, InvalidHashError):
            return False
    try:
        _, iterations, salt, _ = stored.split("$")
        return hmac.compare_digest(_pbkdf2(pin, salt, int(iterations)), stored)
    except ValueError:
        return False


def valid_new_pin(pin: str) -> bool:
    return pin.isdigit() and 4 <= len(pin) <= 8


class Store:
    """Settings and the device token in one folder; safe to use from any thread."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.settings = self._load()

    @property
    def _settings_path(self) -> Path:
        return self.folder / "settings.json"

    @property
    def _token_path(self) -> Path:
        return self.folder / "device_token"

    def _load(self) -> Settings:
        try:
            data = json.loads(self._settings_path.read_text())
        except (OSError, ValueError):
            return Settings()
        known = {f.name for f in fields(Settings)}
        return Settings(**{k: v for k, v in data.items() if k in known})

    def save(self) -> None:
        with self._lock:
            tmp = self._settings_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(asdict(self.settings), indent=1))
            os.replace(tmp, self._settings_path)

    def update(self, **values: object) -> None:
        for key, value in values.items():
            setattr(self.settings, key, value)
        self.save()

    # --- the device token: written 0600, never returned to the UI layer as text to show
    def token(self) -> str | None:
        try:
            return self._token_path.read_text().strip() or None
        except OSError:
            return None

    def set_token(self, token: str | None) -> None:
        with self._lock:
            if token is None:
                self._token_path.unlink(missing_ok=True)
                return
            fd = os.open(self._token_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(token)

    # --- the caregiver PIN
    def check_pin(self, pin: str) -> bool:
        return check_pin(pin, self.settings.pin_hash)

    def set_pin(self, pin: str) -> None:
        self.update(pin_hash=hash_pin(pin))

    def forget_pairing(self) -> None:
        self.set_token(None)
        self.update(
            device_id="", household_id="", persona_id="", session_id="", persona_name="", portrait_path="", mouth_point=[], face=None
        )
