"""Where inputs and run directories live: local paths or URIs that `pyarrow.fs` understands.

- a plain path or `file://PATH`: the local file system (a shared mount works on a cluster);
- `s3://bucket/prefix`: S3 or an S3-compatible store. The endpoint, region and credentials come
  from the usual environment variables (`AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_S3`,
  `AWS_REGION` or `AWS_DEFAULT_REGION`, `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/
  `AWS_SESSION_TOKEN`, or the AWS SDK's other sources: profiles, instance and pod roles);
- any other URI `pyarrow.fs.FileSystem.from_uri` accepts (`gs://`, `hdfs://`, ...).

`Storage` is one folder on one of those file systems, addressed by relative posix paths.
Writes are all-or-nothing for readers: locally a temporary file in the same folder is renamed
into place; on an object store the object appears only when its upload completes. A rename is
not atomic on object stores, so nothing here relies on one: callers write data files first and
the completion marker last, and trust a marker only when the files it lists hash right.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs

from redact.errors import UsageError

BLOCK = 1 << 20
S3_ENDPOINT_VARS = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
S3_REGION_VARS = ("AWS_REGION", "AWS_DEFAULT_REGION")
# Settings a worker on another node needs to reach the same store (no secrets among them).
FORWARDED_ENV = (*S3_ENDPOINT_VARS, *S3_REGION_VARS)

_cache: dict[tuple, pafs.FileSystem] = {}
_cache_lock = threading.Lock()


def scheme_of(uri: str | Path) -> str:
    text = str(uri)
    head, sep, _ = text.partition("://")
    if not sep or "/" in head or len(head) < 2:
        return ""
    return head.lower()


def is_local(uri: str | Path) -> bool:
    return scheme_of(uri) in ("", "file")


def _s3_filesystem() -> pafs.FileSystem:
    endpoint = next((os.environ[v] for v in S3_ENDPOINT_VARS if os.environ.get(v)), None)
    region = next((os.environ[v] for v in S3_REGION_VARS if os.environ.get(v)), None)
    key = (
        "s3",
        endpoint,
        region,
        os.environ.get("AWS_ACCESS_KEY_ID"),
        os.environ.get("AWS_PROFILE"),
    )
    with _cache_lock:
        if key not in _cache:
            kwargs: dict[str, Any] = {}
            if endpoint:
                kwargs["endpoint_override"] = endpoint
                if endpoint.startswith("http://"):
                    kwargs["scheme"] = "http"
            if region:
                kwargs["region"] = region
            # Credentials: left to the AWS SDK's default chain (environment, profile, role).
            _cache[key] = pafs.S3FileSystem(**kwargs)
        return _cache[key]


def resolve(uri: str | Path) -> tuple[pafs.FileSystem, str]:
    """(file system, path inside it) for a local path or URI; usage error if unsupported."""
    text = str(uri)
    scheme = scheme_of(text)
    if scheme in ("", "file"):
        raw = text[len("file://") :] if scheme == "file" else text
        return pafs.LocalFileSystem(), str(Path(raw).expanduser().absolute())
    if scheme in ("s3", "s3a"):
        rest = text.split("://", 1)[1].strip("/")
        if not rest:
            raise UsageError(f"{text}: an s3 URI needs a bucket, e.g. s3://bucket/prefix")
        return _s3_filesystem(), rest
    try:
        fs, path = pafs.FileSystem.from_uri(text)
    except Exception as err:  # noqa: BLE001 - pyarrow raises several kinds here
        raise UsageError(
            f"storage URI {text} is not supported ({type(err).__name__}: {err})"
        ) from None
    return fs, path.rstrip("/")


def join(uri: str, rel: str) -> str:
    """A child of a local path or URI (posix separators for URIs)."""
    if not rel:
        return uri
    if is_local(uri) and scheme_of(uri) == "":
        return str(Path(uri) / rel)
    return uri.rstrip("/") + "/" + rel


def basename(uri: str) -> str:
    return posixpath.basename(str(uri).rstrip("/"))


class HashingSink:
    """A write-only file object that hashes and counts what passes through it.

    `pyarrow.parquet.ParquetWriter` accepts it as its sink (bytes are identical to writing to a
    path), so a file's sha256 and size are known without reading it back from the store.
    """

    def __init__(self, stream):
        self._stream = stream
        self._hash = hashlib.sha256()
        self.size = 0
        self.closed = False

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        self._hash.update(view)
        self._stream.write(view)
        self.size += len(view)
        return len(view)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        pass

    def writable(self) -> bool:
        return True

    def close(self) -> None:  # the owner (Storage.open_atomic) closes the real stream
        pass

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


class Storage:
    """One folder (a run directory, an input folder) on a local disk or an object store."""

    def __init__(self, uri: str | Path):
        self.uri = str(uri)
        self.fs, self.root = resolve(self.uri)
        self.local = isinstance(self.fs, pafs.LocalFileSystem)

    def __repr__(self) -> str:
        return f"Storage({self.uri!r})"

    # -- paths --------------------------------------------------------------------------
    def path(self, rel: str = "") -> str:
        return f"{self.root}/{rel}" if rel else self.root

    def display(self, rel: str = "") -> str:
        """What to show a user for a file: its local path or its URI."""
        return self.path(rel) if self.local else join(self.uri, rel)

    def local_path(self, rel: str = "") -> Path:
        if not self.local:
            raise ValueError(f"{self.uri} is not on the local file system")
        return Path(self.path(rel))

    # -- queries ------------------------------------------------------------------------
    def info(self, rel: str = "") -> pafs.FileInfo:
        return self.fs.get_file_info(self.path(rel))

    def exists(self, rel: str = "") -> bool:
        return self.info(rel).type != pafs.FileType.NotFound

    def is_file(self, rel: str) -> bool:
        return self.info(rel).type == pafs.FileType.File

    def size(self, rel: str) -> int:
        return int(self.info(rel).size)

    def list_files(self, rel: str = "", recursive: bool = False) -> list[str]:
        """Files under a folder, as paths relative to that folder, sorted; [] if it is missing."""
        base = self.path(rel)
        selector = pafs.FileSelector(base, allow_not_found=True, recursive=recursive)
        out = []
        for info in self.fs.get_file_info(selector):
            if info.type == pafs.FileType.File:
                out.append(posixpath.relpath(info.path, base))
        return sorted(out)

    def is_empty(self) -> bool:
        """True when the folder is missing or holds nothing at all."""
        info = self.info()
        if info.type == pafs.FileType.NotFound:
            return True
        if info.type == pafs.FileType.File:
            return False
        selector = pafs.FileSelector(self.path(), allow_not_found=True, recursive=False)
        return not self.fs.get_file_info(selector)

    # -- reading ------------------------------------------------------------------------
    def open_input_file(self, rel: str = ""):
        """Random-access reader (seek + read)."""
        return self.fs.open_input_file(self.path(rel))

    def open_input_stream(self, rel: str = ""):
        return self.fs.open_input_stream(self.path(rel))

    def read_bytes(self, rel: str) -> bytes:
        with self.open_input_stream(rel) as f:
            return f.read()

    def read_json(self, rel: str) -> Any | None:
        """The parsed JSON file, or None when it does not exist."""
        try:
            data = self.read_bytes(rel)
        except FileNotFoundError:
            return None
        except OSError:
            if not self.exists(rel):
                return None
            raise
        return json.loads(data.decode("utf-8"))

    def sha256(self, rel: str = "") -> str:
        h = hashlib.sha256()
        with self.open_input_stream(rel) as f:
            while True:
                block = f.read(BLOCK)
                if not block:
                    break
                h.update(block)
        return h.hexdigest()

    # -- writing ------------------------------------------------------------------------
    def makedirs(self, rel: str = "") -> None:
        """Create a folder locally; object stores have no folders, so nothing to do there."""
        if self.local:
            Path(self.path(rel)).mkdir(parents=True, exist_ok=True)

    @contextmanager
    def open_atomic(self, rel: str) -> Iterator[HashingSink]:
        """Write a file that readers see whole or not at all; yields a hashing sink.

        Local: a temporary file in the same folder, fsynced and renamed over the target.
        Object store: the object is uploaded directly; it appears only when the upload
        completes, and is deleted again if writing failed.
        """
        target = self.path(rel)
        if self.local:
            folder = os.path.dirname(target)
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", dir=folder)
            try:
                with os.fdopen(fd, "wb") as f:
                    sink = HashingSink(f)
                    yield sink
                    f.flush()
                    os.fsync(f.fileno())
                os.chmod(tmp, 0o644)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            return
        stream = self.fs.open_output_stream(target)
        ok = False
        try:
            sink = HashingSink(stream)
            yield sink
            ok = True
        finally:
            stream.close()
            if not ok:
                self.delete(rel)

    def write_bytes(self, rel: str, data: bytes) -> tuple[str, int]:
        """Write a whole file atomically; returns (sha256, size)."""
        with self.open_atomic(rel) as sink:
            sink.write(data)
        return sink.sha256, sink.size

    def write_json(self, rel: str, obj: Any) -> str:
        """The same bytes as `redact.io.writer.write_json_atomic` (indented, sorted keys);
        returns the file's sha256."""
        text = json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        return self.write_bytes(rel, text.encode("utf-8"))[0]

    def delete(self, rel: str) -> None:
        """Remove a file if it exists."""
        try:
            self.fs.delete_file(self.path(rel))
        except FileNotFoundError:
            pass
        except OSError:
            if self.exists(rel):
                raise

    def upload(self, local: Path, rel: str) -> None:
        """Copy a local file to `rel` (whole or not at all)."""
        with open(local, "rb") as src, self.open_atomic(rel) as sink:
            for block in iter(lambda: src.read(BLOCK), b""):
                sink.write(block)

    def download(self, rel: str, local: Path) -> bool:
        """Copy `rel` to a local file; False when it does not exist."""
        try:
            stream = self.open_input_stream(rel)
        except FileNotFoundError:
            return False
        local.parent.mkdir(parents=True, exist_ok=True)
        with stream, open(local, "wb") as dst:
            while True:
                block = stream.read(BLOCK)
                if not block:
                    break
                dst.write(block)
        return True
