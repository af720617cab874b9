"""The tamper-evident audit log: `RUN/audit/events.jsonl`, one hash-chained event a line.

`hash = sha256(prev + canonical JSON of {seq, time, type, actor, payload})`, with `prev` the
previous event's hash (64 zeros for the first). Appends take an exclusive lock on a sidecar
lock file and re-read the tail under the lock, so the driver and the dashboard can append from
different processes (and threads) without forking the chain. Payloads must never hold raw PII.

Appends refuse to extend a log whose last line is incomplete or unreadable (a crash mid-write
or an edit): chaining onto it would hide the damage. `audit/verify.py` checks a whole log.
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

from redact.errors import IntegrityError

GENESIS = "0" * 64
EVENT_FIELDS = ("seq", "time", "type", "actor", "payload")
LINE_FIELDS = (*EVENT_FIELDS, "prev", "hash")


def canonical(obj: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text, strict JSON (no NaN/Infinity)."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


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
            f.seek(size - 1)
            if f.read(1) != b"\n":
                raise IntegrityError(
                    f"{self.path}: the last line is incomplete; run `redact audit verify`"
                )
            block = min(size, 1 << 16)
            while True:
                f.seek(size - block)
                lines = f.read(block).rstrip(b"\n").split(b"\n")
                if len(lines) > 1 or block == size:
                    break
                block = min(size, block * 4)
        try:
            last = json.loads(lines[-1])
            if (
                not isinstance(last, dict)
                or not isinstance(last.get("seq"), int)
                or not isinstance(last.get("hash"), str)
            ):
                raise ValueError("not an event")
        except ValueError:
            raise IntegrityError(
                f"{self.path}: the last event is unreadable; run `redact audit verify`"
            ) from None
        return last

    def append(
        self, type: str, actor: str, payload: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Append one event atomically and return it (with seq, prev and hash)."""
        if not isinstance(type, str) or not type:
            raise ValueError("audit event type must be a non-empty string")
        if not isinstance(actor, str):
            raise ValueError("audit event actor must be a string")
        if payload is not None and not isinstance(payload, dict):
            raise ValueError("audit event payload must be a mapping")
        payload = json.loads(
            canonical(payload or {})
        )  # JSON-only values; what is hashed is what is read back
        with self._locked():
            last = self._tail()
            event: dict[str, Any] = {
                "seq": 0 if last is None else last["seq"] + 1,
                "time": _now(),
                "type": type,
                "actor": actor,
                "payload": payload,
            }
            event["prev"] = GENESIS if last is None else last["hash"]
            event["hash"] = event_hash(event["prev"], event)
            line = (canonical(event) + "\n").encode("utf-8")
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                view = memoryview(line)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
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

    def last(self, type: str) -> dict[str, Any] | None:
        """The latest event of one type, or None."""
        found = None
        for event in self.events():
            if event.get("type") == type:
                found = event
        return found

    def head(self) -> str:
        last = self._tail()
        return GENESIS if last is None else last["hash"]
