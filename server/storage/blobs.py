"""Where media bytes live: a folder on this machine, or an S3-compatible object store.

``server.storage.media`` keeps a file's row (who owns it, its type, its key) in the
database and its bytes here, under a key such as ``hh_x/med_y.wav``. The folder is
the embedded default; several server processes on several machines share one
bucket instead (``KEEPSAKE_MEDIA_URL=s3://bucket/prefix``).

A store that cannot be reached raises ``StoreUnavailable``: at start the server
says which store and exits, during operation the API answers 503 with Retry-After.
A key that is simply not there is ``None`` or ``False``, never an error.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

CHUNK = 256 * 1024


class StoreUnavailable(ConnectionError):
    """The media store cannot be reached or refused us; the message names the store.

    An OSError, like a file that cannot be read: code that falls back when a file is unreadable
    (speech kept in the cache, a portrait) falls back the same way when the store is down."""


class BlobStore(Protocol):
    description: str  # for messages: the folder, or s3://bucket/prefix at its endpoint

    def check(self) -> None:
        """Raise ``StoreUnavailable`` unless the store answers and we may use it."""

    def put(self, key: str, data: bytes) -> None: ...

    def put_file(self, key: str, path: Path) -> int:
        """Take in a file already on disk (moved, or uploaded then removed); returns its size."""

    def read(self, key: str) -> bytes | None: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def local_path(self, key: str) -> Path | None:
        """The file itself when the bytes are on this machine's disk (the folder), else None."""

    def local_file(self, key: str) -> Any:
        """A context manager giving a readable file with the bytes (a temporary copy from S3), or None."""

    def open(self, key: str, byte_range: str | None = None) -> Opened | None:
        """The bytes as a stream, or one ``bytes=a-b`` range of them; None when the key is not there."""

    def keys(self, prefix: str) -> list[str]: ...


@dataclass
class Opened:
    chunks: Iterator[bytes]
    size: int  # of what ``chunks`` gives
    content_range: str | None = None  # set when a range was asked and given


# --- the folder ----------------------------------------------------------------


class FolderStore:
    def __init__(self, root: Path):
        self.root = root
        self.description = f"media folder {root}"
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / key

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=self.root, prefix=".probe-")  # noqa: SIM115 - closed at once
            probe.close()
        except OSError as err:
            raise StoreUnavailable(f"the {self.description} cannot be written: {err.strerror or err}") from None

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a crash never leaves a half file under the real name.
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def put_file(self, key: str, path: Path) -> int:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)  # the uploads folder is in the data folder: a rename, no copy
        return target.stat().st_size

    def read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

    @contextmanager
    def local_file(self, key: str) -> Iterator[Path | None]:
        yield self.local_path(key)

    def open(self, key: str, byte_range: str | None = None) -> Opened | None:
        # The whole file: the API serves the folder's files as files (local_path), ranges and all.
        path = self.local_path(key)
        if path is None:
            return None

        def chunks() -> Iterator[bytes]:
            with open(path, "rb") as fh:
                while chunk := fh.read(CHUNK):
                    yield chunk

        return Opened(chunks(), path.stat().st_size)

    def keys(self, prefix: str) -> list[str]:
        folder = self._path(prefix)
        if not folder.is_dir():
            return []
        return sorted(str(p.relative_to(self.root)) for p in folder.rglob("*") if p.is_file())


# --- S3 --------------------------------------------------------------------------


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or ending in "/"


def parse_media_url(url: str) -> S3Location:
    """``s3://bucket/prefix`` read, or a one-line ValueError saying what is wrong with it."""
    parts = urlsplit(url.strip())
    if parts.scheme != "s3":
        raise ValueError(f"KEEPSAKE_MEDIA_URL must look like s3://bucket/prefix (or be unset for the media folder), not {url!r}")
    if parts.query or parts.fragment or "@" in parts.netloc or ":" in parts.netloc:
        raise ValueError(f"KEEPSAKE_MEDIA_URL takes only s3://bucket/prefix; the endpoint and keys go in KEEPSAKE_S3__*: {url!r}")
    bucket = parts.netloc
    if not (3 <= len(bucket) <= 63) or not all(c.isalnum() or c in "-." for c in bucket) or bucket != bucket.lower():
        raise ValueError(f"KEEPSAKE_MEDIA_URL names no valid bucket (3-63 lowercase letters, digits, '-' or '.'): {url!r}")
    prefix = parts.path.strip("/")
    return S3Location(bucket, f"{prefix}/" if prefix else "")


def _code(err: Exception) -> str:
    response = getattr(err, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _is_missing(err: Exception) -> bool:
    return _code(err) in ("404", "NoSuchKey", "NotFound")


class S3Store:
    def __init__(self, url: str, *, endpoint_url: str | None, access_key_id: str | None, secret_access_key: str | None, region: str | None):
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        self._errors = (BotoCoreError, ClientError)
        self.location = parse_media_url(url)
        self.description = f"media store {url} at {endpoint_url or 'AWS'}"
        # Short timeouts and one retry: a store that does not answer becomes a 503 the tablet retries,
        # not a request that hangs. The pool holds as many connections as there are worker threads.
        config = Config(
            connect_timeout=3,
            read_timeout=20,
            retries={"max_attempts": 2, "mode": "standard"},
            max_pool_connections=48,
            signature_version="s3v4",
            s3={"addressing_style": "path"},  # SeaweedFS, MinIO and friends serve buckets as paths
        )
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            region_name=region or "us-east-1",
            config=config,
        )

    def _key(self, key: str) -> str:
        return self.location.prefix + key

    def _failure(self, err: Exception) -> Exception:
        """What to raise for ``err``: the store's errors as StoreUnavailable, anything else as itself."""
        if isinstance(err, self._errors):
            return StoreUnavailable(f"the {self.description} cannot be used: {err}")
        return err

    @contextmanager
    def _calls(self) -> Iterator[None]:
        try:
            yield
        except Exception as err:
            raise self._failure(err) from None

    def check(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.location.bucket)
        except Exception as err:
            if _is_missing(err):
                raise StoreUnavailable(f"the {self.description} has no bucket {self.location.bucket!r}; create it first") from None
            raise self._failure(err) from None

    def put(self, key: str, data: bytes) -> None:
        with self._calls():
            self.client.put_object(Bucket=self.location.bucket, Key=self._key(key), Body=data)

    def put_file(self, key: str, path: Path) -> int:
        size = path.stat().st_size
        with self._calls():
            # Multipart for large files, read from disk a part at a time: a 200 MB book never sits in memory.
            self.client.upload_file(str(path), self.location.bucket, self._key(key))
        path.unlink(missing_ok=True)
        return size

    def read(self, key: str) -> bytes | None:
        try:
            body: bytes = self.client.get_object(Bucket=self.location.bucket, Key=self._key(key))["Body"].read()
        except Exception as err:
            if _is_missing(err):
                return None
            raise self._failure(err) from None
        return body

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.location.bucket, Key=self._key(key))
        except Exception as err:
            if _is_missing(err):
                return False
            raise self._failure(err) from None
        return True

    def delete(self, key: str) -> None:
        with self._calls():
            self.client.delete_object(Bucket=self.location.bucket, Key=self._key(key))

    def local_path(self, key: str) -> Path | None:
        return None

    @contextmanager
    def local_file(self, key: str) -> Iterator[Path | None]:
        folder = Path(tempfile.mkdtemp(prefix="keepsake-media-"))
        try:
            path: Path | None = folder / Path(key).name
            try:
                self.client.download_file(self.location.bucket, self._key(key), str(path))
            except Exception as err:
                if not _is_missing(err):
                    raise self._failure(err) from None
                path = None
            yield path
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def open(self, key: str, byte_range: str | None = None) -> Opened | None:
        extra = {"Range": byte_range} if byte_range else {}
        try:
            answer = self.client.get_object(Bucket=self.location.bucket, Key=self._key(key), **extra)
        except Exception as err:
            if _is_missing(err):
                return None
            if byte_range and _code(err) == "InvalidRange":
                return self.open(key)  # a range past the end: the whole file, as the folder's server does
            raise self._failure(err) from None
        body = answer["Body"]

        def chunks() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(CHUNK)
            finally:
                body.close()

        return Opened(chunks(), int(answer["ContentLength"]), answer.get("ContentRange") if byte_range else None)

    def keys(self, prefix: str) -> list[str]:
        found: list[str] = []
        with self._calls():
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.location.bucket, Prefix=self._key(prefix))
            for page in pages:
                found += [item["Key"][len(self.location.prefix) :] for item in page.get("Contents", [])]
        return sorted(found)


def open_store(media_url: str | None, folder: Path, s3: Any) -> BlobStore:
    """The folder when ``media_url`` is unset, else the S3 store it names (``s3``: the KEEPSAKE_S3__ settings)."""
    if not media_url:
        return FolderStore(folder)
    secret = s3.secret_access_key.get_secret_value() if s3.secret_access_key is not None else None
    return S3Store(media_url, endpoint_url=s3.endpoint_url, access_key_id=s3.access_key_id, secret_access_key=secret, region=s3.region)
