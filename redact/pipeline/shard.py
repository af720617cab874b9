"""Process one shard end to end: read -> validate -> detect -> replace -> write -> mark done.

Every input row ends in exactly one place: the shard's data file (released) or its quarantine
file (withheld, with the reason). Outputs are written atomically and the completion marker
last, so a shard either counts as done with all its files or is redone from scratch; redoing
it gives the same bytes.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from policies.model import Policy
from redact.detect.engine import Detector
from redact.errors import RecordError
from redact.io.reader import RawRow, ShardPlan, read_shard
from redact.io.validate import to_record
from redact.io.writer import (
    FINDINGS_SCHEMA,
    INDEX_SCHEMA,
    QUARANTINE_SCHEMA,
    data_table,
    write_json_atomic,
    write_parquet,
)
from redact.keys import value_hmac
from redact.records import Detection, Record
from redact.replace.placeholders import redact_conversation

MARKER_DIR = "shards"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def reason_category(reason: str) -> str:
    """The kind of a quarantine reason, without positions or counts, for summaries."""
    return re.sub(r"\d+", "N", reason.split(" (")[0])[:100]


def marker_path(run_dir: Path, plan: ShardPlan) -> Path:
    return run_dir / MARKER_DIR / f"{plan.name}.json"


class ShardProcessor:
    """Holds the detector (loaded once) and turns shard plans into written shards."""

    def __init__(self, policy: Policy, key: bytes, run_dir: str | Path, detector: Detector | None = None):
        self.policy = policy
        self.key = key
        self.run_dir = Path(run_dir)
        self.detector = detector or Detector(policy)
        self.drop = frozenset(policy.drop_fields)

    def _batches(self, rows: Iterator[RawRow], size: int) -> Iterator[list[RawRow]]:
        batch: list[RawRow] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def process(self, plan: ShardPlan) -> dict[str, Any]:
        started = time.perf_counter()
        released: list[dict[str, Any]] = []
        findings: list[dict[str, Any]] = []
        quarantined: list[dict[str, Any]] = []
        index: list[dict[str, Any]] = []
        by_type: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        seen_ids: set[str] = set()
        rows_in = chars = 0

        def quarantine(row: RawRow, reason: str, cid: str | None = None) -> None:
            quarantined.append(
                {"source": row.source, "conversation_id": cid, "reason": f"{row.source}: {reason}", "raw": row.raw}
            )
            reasons[reason_category(reason)] += 1

        for batch in self._batches(read_shard(plan), self.policy.detection.batch_records):
            rows_in += len(batch)
            valid: list[tuple[RawRow, Record]] = []
            for row in batch:
                if row.error:
                    quarantine(row, row.error)
                    continue
                try:
                    record = to_record(row.value, row.source, self.drop, self.policy.detection.max_message_chars)
                except RecordError as err:
                    cid = row.value.get("conversation_id") if isinstance(row.value, dict) else None
                    quarantine(row, err.reason, cid if isinstance(cid, str) else None)
                    continue
                if record.conversation_id in seen_ids:
                    quarantine(row, "duplicate conversation_id within shard", record.conversation_id)
                    continue
                seen_ids.add(record.conversation_id)
                valid.append((row, record))

            detections = self.detector.detect([r for _, r in valid])
            for (row, record), detection in zip(valid, detections, strict=True):
                if isinstance(detection, RecordError):
                    quarantine(row, detection.reason, record.conversation_id)
                    continue
                out, rows = self._apply(record, detection)
                index.append(
                    {
                        "conversation_id": record.conversation_id,
                        "shard": plan.name,
                        "row": len(released),
                        "language": record.language,
                        "model": record.extra.get("model") if isinstance(record.extra.get("model"), str) else None,
                        "redacted": out["redacted"],
                        "findings": len(rows),
                        "ner_coverage": detection.ner_coverage,
                        "messages": len(record.messages),
                        "chars": record.char_count,
                    }
                )
                released.append(out)
                findings.extend(rows)
                by_type.update(r["entity_type"] for r in rows)
                chars += record.char_count

        files = self._write(plan, released, findings, quarantined, index)
        marker = {
            "shard": plan.name,
            "plan": plan.to_dict(),
            "counts": {
                "in": rows_in,
                "released": len(released),
                "quarantined": len(quarantined),
                "findings": len(findings),
                "redacted_conversations": sum(1 for r in released if r["redacted"]),
                "without_ner": sum(1 for i in index if not i["ner_coverage"]),
                "chars": chars,
            },
            "replacements_by_type": dict(sorted(by_type.items())),
            "quarantine_reasons": dict(sorted(reasons.items())),
            "files": files,
            "seconds": round(time.perf_counter() - started, 3),
        }
        write_json_atomic(marker, marker_path(self.run_dir, plan))
        return marker

    def _apply(self, record: Record, detection: Detection) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        texts = [m.content for m in record.messages]
        result = redact_conversation(texts, detection.spans, self.policy)
        conversation = [{"content": t, "role": m.role} for t, m in zip(result.texts, record.messages, strict=True)]
        out = {"conversation_id": record.conversation_id, "conversation": conversation, **record.extra}
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

    def _write(self, plan, released, findings, quarantined, index) -> dict[str, dict[str, Any]]:
        outputs = {
            "data": (data_table(released) if released else None),
            "findings": pa.Table.from_pylist(findings, schema=FINDINGS_SCHEMA) if findings else None,
            "quarantine": pa.Table.from_pylist(quarantined, schema=QUARANTINE_SCHEMA) if quarantined else None,
            "index": pa.Table.from_pylist(index, schema=INDEX_SCHEMA) if index else None,
        }
        files: dict[str, dict[str, Any]] = {}
        for folder, table in outputs.items():
            rel = f"{folder}/{plan.name}.parquet"
            path = self.run_dir / rel
            if table is None:
                path.unlink(missing_ok=True)
                continue
            write_parquet(table, path)
            files[rel] = {"sha256": file_sha256(path), "rows": table.num_rows, "bytes": path.stat().st_size}
        return files
