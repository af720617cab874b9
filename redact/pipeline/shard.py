"""Process one shard end to end: read -> validate -> detect -> replace -> write -> mark done.

Every input row ends in exactly one place: the shard's data file (released) or its quarantine
file (withheld, with the reason). Rows stream through in detection batches: findings,
quarantine and index rows are written a row group at a time and released records are spilled
to a local temporary file until the data file's schema is known, so a worker holds about one
batch, not the whole shard. Each file appears whole or not at all, and the completion marker
is written last, so a shard either counts as done with all its files or is redone from
scratch; redoing it gives the same bytes. The run directory may be local or on an object
store (`redact.io.storage`).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from policies.model import Policy
from redact.detect.engine import Detector
from redact.errors import RecordError
from redact.io.reader import RawRow, ShardPlan, read_shard
from redact.io.storage import Storage
from redact.io.validate import to_record
from redact.io.writer import (
    FINDINGS_ROW_GROUP_ROWS,
    FINDINGS_SCHEMA,
    INDEX_SCHEMA,
    QUARANTINE_SCHEMA,
    DataStream,
    ParquetStream,
)
from redact.keys import value_hmac
from redact.records import Detection, Record
from redact.replace.placeholders import redact_conversation

MARKER_DIR = "shards"
# A detection batch also closes once its raw input reaches this size, so a run of very large
# records is never held all at once (batch_records bounds the count).
BATCH_BYTES = 16 << 20


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def reason_category(reason: str) -> str:
    """The kind of a quarantine reason, without positions or counts, for summaries."""
    return re.sub(r"\d+", "N", reason.split(" (")[0])[:100]


def marker_rel(plan: ShardPlan) -> str:
    """The completion marker's path inside the run directory."""
    return f"{MARKER_DIR}/{plan.name}.json"


def marker_path(run_dir: Path, plan: ShardPlan) -> Path:
    return Path(run_dir) / marker_rel(plan)


class ShardProcessor:
    """Holds the detector (loaded once) and turns shard plans into written shards.

    `run_dir` is a local path, a URI (`s3://bucket/run`) or a `Storage`.
    """

    def __init__(
        self,
        policy: Policy,
        key: bytes,
        run_dir: str | Path | Storage,
        detector: Detector | None = None,
    ):
        self.policy = policy
        self.key = key
        self.store = run_dir if isinstance(run_dir, Storage) else Storage(run_dir)
        self.run_dir: Path | str = self.store.local_path() if self.store.local else self.store.uri
        self.detector = detector or Detector(policy)
        self.drop = frozenset(policy.drop_fields)
        self.worker: dict[str, Any] | None = None  # {pid, node} of the Ray worker, for markers

    def _batches(
        self, rows: Iterator[RawRow], size: int, max_bytes: int = BATCH_BYTES
    ) -> Iterator[list[RawRow]]:
        batch: list[RawRow] = []
        held = 0
        for row in rows:
            batch.append(row)
            held += len(row.raw)
            if len(batch) >= size or held >= max_bytes:
                yield batch
                batch, held = [], 0
        if batch:
            yield batch

    def process(self, plan: ShardPlan) -> dict[str, Any]:
        started = time.perf_counter()
        # a detector that loads models lazily reports them (stand-in detectors need not)
        loads: dict[str, float] = getattr(self.detector, "model_load_s", {})
        models_before = set(loads)
        data = DataStream(self.store, f"data/{plan.name}.parquet")
        streams: dict[str, DataStream | ParquetStream] = {
            "data": data,
            "findings": ParquetStream(self.store, f"findings/{plan.name}.parquet", FINDINGS_SCHEMA,
                                      max_rows=FINDINGS_ROW_GROUP_ROWS),
            "quarantine": ParquetStream(self.store, f"quarantine/{plan.name}.parquet", QUARANTINE_SCHEMA,
                                        size_of=lambda r: len(r["raw"])),
            "index": ParquetStream(self.store, f"index/{plan.name}.parquet", INDEX_SCHEMA,
                                   max_rows=FINDINGS_ROW_GROUP_ROWS),
        }  # fmt: skip
        try:
            counts, by_type, reasons = self._stream(plan, streams)
            files: dict[str, dict[str, Any]] = {}
            for folder, stream in streams.items():
                info = stream.close()
                if info is not None:
                    files[f"{folder}/{plan.name}.parquet"] = info
        except BaseException:
            for stream in streams.values():
                stream.abort()
            raise
        marker = {
            "shard": plan.name,
            "plan": plan.to_dict(),
            "counts": counts,
            "replacements_by_type": dict(sorted(by_type.items())),
            "quarantine_reasons": dict(sorted(reasons.items())),
            "files": files,
            "seconds": round(time.perf_counter() - started, 3),
        }
        loaded = {m: s for m, s in loads.items() if m not in models_before}
        if loaded:  # spaCy packages this shard loaded (on first use), seconds (within "seconds")
            marker["models_loaded_s"] = loaded
            caches = getattr(self.detector, "pattern_cache", {})
            marker["models_pattern_cache"] = {m: caches[m] for m in loaded if m in caches}
        if self.worker is not None:
            marker["worker"] = dict(self.worker)
        self.store.write_json(marker_rel(plan), marker)  # last: the shard is done
        return marker

    def _stream(
        self, plan: ShardPlan, out: dict[str, Any]
    ) -> tuple[dict[str, int], Counter, Counter]:
        by_type: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        seen_ids: set[str] = set()
        n = Counter({k: 0 for k in ("in", "released", "quarantined", "findings", "redacted_conversations",
                                    "without_ner", "chars")})  # fmt: skip

        def quarantine(row: RawRow, reason: str, cid: str | None = None) -> None:
            out["quarantine"].add(
                [
                    {
                        "source": row.source,
                        "conversation_id": cid,
                        "reason": f"{row.source}: {reason}",
                        "raw": row.raw,
                    }
                ]
            )
            reasons[reason_category(reason)] += 1
            n["quarantined"] += 1

        for batch in self._batches(read_shard(plan), self.policy.detection.batch_records):
            n["in"] += len(batch)
            valid: list[tuple[RawRow, Record]] = []
            for row in batch:
                if row.error:
                    quarantine(row, row.error)
                    continue
                try:
                    record = to_record(
                        row.value, row.source, self.drop, self.policy.detection.max_message_chars
                    )
                except RecordError as err:
                    cid = row.value.get("conversation_id") if isinstance(row.value, dict) else None
                    quarantine(row, err.reason, cid if isinstance(cid, str) else None)
                    continue
                if record.conversation_id in seen_ids:
                    quarantine(
                        row, "duplicate conversation_id within shard", record.conversation_id
                    )
                    continue
                seen_ids.add(record.conversation_id)
                valid.append((row, record))

            detections = self.detector.detect([r for _, r in valid])
            released: list[dict[str, Any]] = []
            findings: list[dict[str, Any]] = []
            index: list[dict[str, Any]] = []
            for (row, record), detection in zip(valid, detections, strict=True):
                if isinstance(detection, RecordError):
                    quarantine(row, detection.reason, record.conversation_id)
                    continue
                result, rows = self._apply(record, detection)
                index.append(
                    {
                        "conversation_id": record.conversation_id,
                        "shard": plan.name,
                        "row": n["released"],
                        "language": record.language,
                        "model": record.extra.get("model")
                        if isinstance(record.extra.get("model"), str)
                        else None,
                        "redacted": result["redacted"],
                        "findings": len(rows),
                        "ner_coverage": detection.ner_coverage,
                        "messages": len(record.messages),
                        "chars": record.char_count,
                    }
                )
                released.append(result)
                findings.extend(rows)
                by_type.update(r["entity_type"] for r in rows)
                n["released"] += 1
                n["findings"] += len(rows)
                n["redacted_conversations"] += bool(result["redacted"])
                n["without_ner"] += not detection.ner_coverage
                n["chars"] += record.char_count
            out["data"].add(released)
            out["findings"].add(findings)
            out["index"].add(index)
            del valid, detections, released, findings, index
        return dict(n), by_type, reasons

    def _apply(
        self, record: Record, detection: Detection
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        texts = [m.content for m in record.messages]
        result = redact_conversation(texts, detection.spans, self.policy)
        conversation = [
            {"content": t, "role": m.role}
            for t, m in zip(result.texts, record.messages, strict=True)
        ]
        out = {
            "conversation_id": record.conversation_id,
            "conversation": conversation,
            **record.extra,
        }
        out["redacted"] = result.redacted
        rows = [
            {
                "conversation_id": record.conversation_id,
                "message_index": r.span.message_index,
                "role": record.messages[r.span.message_index].role,
                "entity_type": r.span.entity_type,
                "placeholder": r.placeholder,
                "start": r.span.start,
                "end": r.span.end,
                "recognizer": r.span.recognizer,
                "score": r.span.score,
                "value_hmac": value_hmac(self.key, r.value_key),
                "ner_coverage": detection.ner_coverage,
            }
            for r in result.replacements
        ]
        return out, rows
