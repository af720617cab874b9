"""The tamper-evident audit log: `RUN/audit/events.jsonl`, one hash-chained event a line.

`hash = sha256(prev + canonical JSON of {seq, time, type, actor, payload})`, with `prev` the
previous event's hash (64 zeros for the first). Appends take an exclusive lock on a sidecar
lock file and re-read the tail under the lock, so the driver and the dashboard can append from
different processes without forking the chain. Payloads must never hold raw PII.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
EVENT_FIELDS = ("seq", "time", "type", "actor", "payload")


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev: str, event: dict[str, Any]) -> str:
    body = {k: event[k] for k in EVENT_FIELDS}
    return hashlib.sha256((prev + canonical(body)).encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AuditLog:
    def __init__(self, run_dir: str | Path):
        self.path = Path(run_dir) / "audit" / "events.jsonl"
        self.lock_path = self.path.with_name(".events.lock")

    @contextmanager
    def _locked(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _tail(self) -> dict[str, Any] | None:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return None
        with open(self.path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            block = min(size, 1 << 16)
            while True:
                f.seek(size - block)
                lines = f.read(block).rstrip(b"\n").split(b"\n")
                if len(lines) > 1 or block == size:
                    return json.loads(lines[-1])
                block = min(size, block * 4)

    def append(self, type: str, actor: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Append one event atomically and return it (with seq, prev and hash)."""
        with self._locked():
            last = self._tail()
            event: dict[str, Any] = {
                "seq": 0 if last is None else last["seq"] + 1,
                "time": _now(),
                "type": type,
                "actor": actor,
                "payload": payload or {},
            }
            event["prev"] = GENESIS if last is None else last["hash"]
            event["hash"] = event_hash(event["prev"], event)
            line = (canonical(event) + "\n").encode("utf-8")
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
            return event

    def events(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)

    def head(self) -> str:
        last = self._tail()
        return GENESIS if last is None else last["hash"]
