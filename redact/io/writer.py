"""Arrow schemas and deterministic Parquet writing for a run's outputs.

Identical rows give identical bytes: fixed schemas for everything we define, fixed column
order, fixed writer options, row groups cut by row content only, and whole-or-nothing writes
(atomic renames locally, single uploads on object stores) so a reader never sees half a file.
`ParquetStream` and `DataStream` write one shard's files a row group at a time, to any
`redact.io.storage.Storage`; `write_parquet` and `write_json_atomic` write whole local files.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
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
DATA_FIELD_ORDER = (
    "conversation_id",
    "model",
    "conversation",
    "turn",
    "language",
    "openai_moderation",
)

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
    arrays = [
        _column(n, [r.get(n) for r in rows])
        if n != "redacted"
        else pa.array([bool(r["redacted"]) for r in rows], type=pa.bool_())
        for n in names
    ]
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


# -- streaming writers: one shard's outputs without holding the whole shard in memory ---------

ROW_GROUP_ROWS = 1000  # rows per Parquet row group (data, quarantine)
FINDINGS_ROW_GROUP_ROWS = 65536  # findings and index rows are small
ROW_GROUP_BYTES = 32 << 20  # a row group closes early once its rows hold this much


class _JsonFallback:
    """Marker type: the column's values do not share one Arrow type; store them as JSON text."""


JSON_TEXT = _JsonFallback()


def _infer_type(name: str, values: list[Any]) -> pa.DataType | _JsonFallback:
    if name in CORE_TYPES:
        return CORE_TYPES[name]
    if name == "redacted":
        return pa.bool_()
    try:
        return pa.array(values).type
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return JSON_TEXT


def _unify(name: str, types: list[pa.DataType | _JsonFallback]) -> pa.DataType | _JsonFallback:
    if any(t is JSON_TEXT for t in types):
        return JSON_TEXT
    distinct: list[pa.DataType] = []
    for t in types:
        if not pa.types.is_null(t) and t not in distinct:
            distinct.append(t)
    if not distinct:
        return pa.null()
    if len(distinct) == 1:
        return distinct[0]
    try:
        schemas = [pa.schema([pa.field(name, t)]) for t in distinct]
        return pa.unify_schemas(schemas, promote_options="permissive").field(name).type
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return JSON_TEXT


def _typed_column(values: list[Any], dtype: pa.DataType | _JsonFallback) -> pa.Array:
    if dtype is JSON_TEXT:
        return pa.array(
            [None if v is None else json.dumps(v, sort_keys=True, default=str) for v in values],
            type=pa.string(),
        )
    return pa.array(values, type=dtype)


class ParquetStream:
    """Rows of a fixed schema -> one Parquet file, written a row group at a time.

    Row groups close after `max_rows` rows or once their rows reach `max_bytes` (measured by
    `size_of`), checked row by row, so the bytes depend only on the rows, never on how they
    were batched. No rows: no file (any earlier one is deleted).
    """

    def __init__(self, store, rel: str, schema: pa.Schema, max_rows: int = ROW_GROUP_ROWS,
                 max_bytes: int = ROW_GROUP_BYTES, size_of=None):  # fmt: skip
        self.store, self.rel, self.schema = store, rel, schema
        self.max_rows, self.max_bytes, self.size_of = max_rows, max_bytes, size_of
        self.rows = 0
        self._buffer: list[dict[str, Any]] = []
        self._bytes = 0
        self._stack: contextlib.ExitStack | None = None
        self._sink = None
        self._writer: pq.ParquetWriter | None = None

    def add(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self._buffer.append(row)
            if self.size_of is not None:
                self._bytes += self.size_of(row)
            if len(self._buffer) >= self.max_rows or self._bytes >= self.max_bytes:
                self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        table = pa.Table.from_pylist(self._buffer, schema=self.schema)
        self._write(table)
        self._buffer, self._bytes = [], 0

    def _write(self, table: pa.Table) -> None:
        if self._writer is None:
            self._stack = contextlib.ExitStack()
            self._sink = self._stack.enter_context(self.store.open_atomic(self.rel))
            self._writer = pq.ParquetWriter(self._sink, table.schema, **_WRITE_OPTIONS)
        self._writer.write_table(table, row_group_size=table.num_rows)
        self.rows += table.num_rows

    def close(self) -> dict[str, Any] | None:
        """Finish the file; returns {sha256, rows, bytes}, or None when there were no rows."""
        self._flush()
        if self._writer is None:
            self.store.delete(self.rel)
            return None
        self._writer.close()
        self._stack.close()  # renames into place / completes the upload
        self._writer = None
        return {"sha256": self._sink.sha256, "rows": self.rows, "bytes": self._sink.size}

    def abort(self) -> None:
        """Drop what was written (the target is left as it was)."""
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:  # noqa: BLE001 - the file is discarded anyway
                pass
            err = RuntimeError("aborted")
            self._stack.__exit__(type(err), err, None)
            self._writer = None
        self._buffer = []


class DataStream:
    """Released records -> one data Parquet file, holding at most one row group in memory.

    The schema is the one `data_table` would infer over all rows (the LMSYS core types, extra
    fields after them in order of first appearance, `redacted` last), so rows are first spilled
    to an anonymous temporary file with each batch's inferred column types; `close` unifies
    the types and writes row groups of `max_rows` rows (or fewer once they reach `max_bytes`).
    The output depends only on the rows and their order.
    """

    def __init__(
        self, store, rel: str, max_rows: int = ROW_GROUP_ROWS, max_bytes: int = ROW_GROUP_BYTES
    ):
        self.store, self.rel = store, rel
        self.max_rows, self.max_bytes = max_rows, max_bytes
        self.rows = 0
        self._spill = tempfile.TemporaryFile(prefix="redact-spill-")
        self._extras: list[str] = []
        self._seen: set[str] = set()
        self._types: dict[str, list[pa.DataType | _JsonFallback]] = {}
        self._batches = 0

    def add(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        for r in rows:
            for key in r:
                if key not in self._seen:
                    self._seen.add(key)
                    if key not in DATA_FIELD_ORDER and key != "redacted":
                        self._extras.append(key)
        for name in self._seen:
            if name not in CORE_TYPES and name != "redacted":
                self._types.setdefault(name, []).append(
                    _infer_type(name, [r.get(name) for r in rows])
                )
        blobs = [pickle.dumps(r, protocol=5) for r in rows]
        pickle.dump(blobs, self._spill, protocol=5)
        self._batches += 1
        self.rows += len(rows)

    def _names(self) -> list[str]:
        core = [n for n in DATA_FIELD_ORDER if n in self._seen or n in CORE_TYPES]
        return [*core, *self._extras, "redacted"]

    def _groups(self):
        """Spilled rows again, in row groups."""
        self._spill.seek(0)
        group: list[dict[str, Any]] = []
        size = 0
        for _ in range(self._batches):
            for blob in pickle.load(self._spill):
                group.append(pickle.loads(blob))
                size += len(blob)
                if len(group) >= self.max_rows or size >= self.max_bytes:
                    yield group
                    group, size = [], 0
        if group:
            yield group

    def close(self) -> dict[str, Any] | None:
        try:
            if not self.rows:
                self.store.delete(self.rel)
                return None
            names = self._names()
            types = {n: _unify(n, self._types.get(n, [])) if n not in CORE_TYPES and n != "redacted"
                     else _infer_type(n, []) for n in names}  # fmt: skip
            while True:
                try:
                    return self._write(names, types)
                except _RetypeColumn as retype:
                    types[retype.name] = JSON_TEXT  # values that did not fit the unified type
        finally:
            self._spill.close()

    def _write(self, names: list[str], types: dict[str, Any]) -> dict[str, Any]:
        with self.store.open_atomic(self.rel) as sink:
            writer = None
            try:
                for rows in self._groups():
                    arrays = []
                    for n in names:
                        values = (
                            [bool(r["redacted"]) for r in rows]
                            if n == "redacted"
                            else [r.get(n) for r in rows]
                        )
                        try:
                            arrays.append(_typed_column(values, types[n]))
                        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                            raise _RetypeColumn(n) from None
                    table = pa.Table.from_arrays(arrays, names=names)
                    if writer is None:
                        writer = pq.ParquetWriter(sink, table.schema, **_WRITE_OPTIONS)
                    writer.write_table(table, row_group_size=table.num_rows)
            finally:
                if writer is not None:
                    writer.close()
        return {"sha256": sink.sha256, "rows": self.rows, "bytes": sink.size}

    def abort(self) -> None:
        self._spill.close()


class _RetypeColumn(Exception):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name
