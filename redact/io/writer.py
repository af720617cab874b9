"""Arrow schemas and deterministic Parquet writing for a run's outputs.

Identical rows give identical bytes: fixed schemas for everything we define, fixed column
order, fixed writer options, and atomic renames so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

MESSAGE_TYPE = pa.struct([("content", pa.string()), ("role", pa.string())])

CORE_TYPES = {
    "conversation_id": pa.string(),
    "model": pa.string(),
    "conversation": pa.list_(MESSAGE_TYPE),
    "turn": pa.int64(),
    "language": pa.string(),
}
DATA_FIELD_ORDER = ("conversation_id", "model", "conversation", "turn", "language", "openai_moderation")

FINDINGS_SCHEMA = pa.schema(
    [
        ("conversation_id", pa.string()),
        ("message_index", pa.int32()),
        ("role", pa.string()),
        ("entity_type", pa.string()),
        ("placeholder", pa.string()),
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("recognizer", pa.string()),
        ("score", pa.float64()),
        ("value_hmac", pa.string()),
        ("ner_coverage", pa.bool_()),
    ]
)

QUARANTINE_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("conversation_id", pa.string()),
        ("reason", pa.string()),
        ("raw", pa.binary()),
    ]
)

INDEX_SCHEMA = pa.schema(
    [
        ("conversation_id", pa.string()),
        ("shard", pa.string()),
        ("row", pa.int64()),
        ("language", pa.string()),
        ("model", pa.string()),
        ("redacted", pa.bool_()),
        ("findings", pa.int64()),
        ("ner_coverage", pa.bool_()),
        ("messages", pa.int64()),
        ("chars", pa.int64()),
    ]
)

_WRITE_OPTIONS = dict(compression="zstd", use_dictionary=True, write_statistics=True)


def _column(name: str, values: list[Any]) -> pa.Array:
    if name in CORE_TYPES:
        return pa.array(values, type=CORE_TYPES[name])
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # Mixed types across rows: keep every value, as JSON text.
        return pa.array(
            [None if v is None else json.dumps(v, sort_keys=True, default=str) for v in values],
            type=pa.string(),
        )


def data_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Released records in the LMSYS schema; extra fields after the core ones, `redacted` last."""
    names: list[str] = [n for n in DATA_FIELD_ORDER if any(n in r for r in rows) or n in CORE_TYPES]
    for r in rows:
        for key in r:
            if key not in names and key != "redacted":
                names.append(key)
    names.append("redacted")
    arrays = [_column(n, [r.get(n) for r in rows]) if n != "redacted" else pa.array([bool(r["redacted"]) for r in rows], type=pa.bool_()) for n in names]
    return pa.Table.from_arrays(arrays, names=names)


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write atomically: a temporary file in the same folder, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp, **_WRITE_OPTIONS)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, path)
