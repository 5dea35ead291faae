"""Passwords, PINs and bearer tokens.

Passwords and PINs are low-entropy, so they get Argon2id. Tokens are 256
random bits, so a SHA-256 of the token is enough to store and look them up.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2-cffi's defaults are Argon2id with RFC 9106 low-memory parameters

# Each Argon2id hash takes 64 MiB and tens of milliseconds on purpose. Unbounded, a burst of
# sign-ups or logins runs one per worker thread (200 requests once took the server to 3 GB);
# two at a time bound that memory, and the rest wait their turn, at most this long.
MAX_CONCURRENT_HASHES = 2
HASH_WAIT_S = 10.0
_hashing = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)


class HashingBusy(Exception):
    """Too many passwords are being checked at once; the caller should try again shortly."""


@contextmanager
def _hash_slot() -> Iterator[None]:
    if not _hashing.acquire(timeout=HASH_WAIT_S):
        raise HashingBusy
    try:
        yield
    finally:
        _hashing.release()


# Letters and digits a person reads and types without confusing (no 0/O, 1/I/L).
PAIRING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PAIRING_CODE_LENGTH = 8


def hash_secret(secret: str) -> str:
    with _hash_slot():
        return _hasher.hash(secret)


def verify_secret(stored_hash: str, secret: str) -> bool:
    with _hash_slot():
        try:
            return _hasher.verify(stored_hash, secret)
        except (VerificationError, InvalidHashError):
            return False


# Verifying against this keeps a login for an unknown e-mail as slow as a real one.
DUMMY_HASH = hash_secret("keepsake-not-a-password")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_pairing_code() -> str:
    return "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(PAIRING_CODE_LENGTH))


def normalize_pairing_code(code: str) -> str:
    """People type codes with spaces, dashes and lower case."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def pairing_code_hash(code: str) -> str:
    return hashlib.sha256(normalize_pairing_code(code).encode()).hexdigest()
