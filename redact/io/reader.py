"""Input discovery, shard planning and shard reading, on local disks or object stores.

The driver plans shards (a file and a range of lines or rows) without parsing records; each
worker reads only its own shard, so memory stays bounded by the shard size and reruns can skip
finished shards. Shard ids follow input order, so the same inputs always give the same plan.
Inputs are local paths or URIs (`file://`, `s3://`, ...; see `redact.io.storage`); local paths
are recorded resolved, URIs as given.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow.fs as pafs

from redact.errors import UsageError
from redact.io.storage import BLOCK, Storage, basename, join

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
PARQUET_SUFFIXES = (".parquet", ".pq")
PARQUET_BATCH_ROWS = 256


@dataclass(frozen=True, slots=True)
class InputFile:
    path: str
    format: str  # "jsonl" | "parquet"
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ShardPlan:
    """Records [start, stop) of one input file; for JSONL also the byte offset of `start`."""

    shard_id: int
    path: str
    format: str
    start: int
    stop: int
    byte_offset: int = 0

    @property
    def name(self) -> str:
        return f"part-{self.shard_id:05d}"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class RawRow:
    """One input row before validation: the parsed value, or the reason it could not be parsed."""

    source: str
    value: object
    raw: bytes
    error: str | None = None


def _format_of(name: str) -> str | None:
    name = name.lower()
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return None


def _sha256(stream) -> str:
    h = hashlib.sha256()
    with stream:
        while block := stream.read(BLOCK):
            h.update(block)
    return h.hexdigest()


def _file_uri(store: Storage, rel: str = "") -> str:
    """How an input file is recorded: a resolved local path, or the URI."""
    if store.local:
        return str(Path(store.path(rel)).resolve())
    return join(store.uri.rstrip("/"), rel) if rel else store.uri


def discover_inputs(paths: list[str]) -> list[InputFile]:
    """Expand files and folders (recursively, sorted) into input files; refuse what cannot be read."""
    found: list[InputFile] = []
    for raw in paths:
        try:
            found.extend(_discover(raw))
        except OSError as err:
            raise UsageError(
                f"input path {raw} cannot be read ({type(err).__name__}: {err})"
            ) from None
    seen = set()
    unique = []
    for f in found:
        if f.path not in seen:
            seen.add(f.path)
            unique.append(f)
    return unique


def _discover(raw: str) -> list[InputFile]:
    store = Storage(raw)
    info = store.info()
    if info.type == pafs.FileType.NotFound:
        raise UsageError(f"input path not found: {raw} (check the --input argument)")
    if info.type == pafs.FileType.Directory:
        rels = sorted(
            (r for r in store.list_files(recursive=True) if _format_of(basename(r))),
            key=lambda r: r.split("/"),
        )
        if not rels:
            raise UsageError(f"input folder {raw} holds no .jsonl/.json/.parquet files")
        entries = [(r, _format_of(basename(r))) for r in rels]
    else:
        fmt = _format_of(basename(store.root))
        if fmt is None:
            raise UsageError(
                f"input file {raw}: unknown format; use .jsonl/.ndjson/.json (JSON lines) or .parquet"
            )
        entries = [("", fmt)]
    return [
        InputFile(_file_uri(store, rel), fmt, store.size(rel) if rel else int(info.size),
                  _sha256(store.open_input_stream(rel)))
        for rel, fmt in entries
    ]  # fmt: skip


def plan_shards(inputs: list[InputFile], shard_records: int) -> list[ShardPlan]:
    plans: list[ShardPlan] = []
    for f in inputs:
        if f.format == "jsonl":
            ranges = _jsonl_ranges(f.path, shard_records)
        else:
            ranges = _parquet_ranges(f.path, shard_records)
        for start, stop, offset in ranges:
            plans.append(ShardPlan(len(plans), f.path, f.format, start, stop, offset))
    return plans


def _jsonl_ranges(path: str, shard_records: int) -> list[tuple[int, int, int]]:
    """Line ranges with the byte offset of their first line (blank lines count as lines).

    Reads the file once in blocks, counting newlines; a last line without a newline counts.
    """
    ranges: list[tuple[int, int, int]] = []
    start = line = offset = start_offset = 0
    last_byte = b"\n"
    with Storage(path).open_input_stream() as f:
        while block := f.read(BLOCK):
            remaining = block.count(b"\n")
            pos = 0
            need = shard_records - (line - start)  # newlines that complete the current shard
            while remaining >= need:
                for _ in range(need):
                    pos = block.index(b"\n", pos) + 1
                remaining -= need
                line += need
                ranges.append((start, line, start_offset))
                start, start_offset = line, offset + pos
                need = shard_records
            line += remaining
            offset += len(block)
            last_byte = block[-1:]
    if last_byte != b"\n":
        line += 1  # a final line without its newline
    if line > start:
        ranges.append((start, line, start_offset))
    return ranges


def _parquet_file(path: str):
    import pyarrow.parquet as pq

    return pq.ParquetFile(Storage(path).open_input_file())


def _parquet_ranges(path: str, shard_records: int) -> list[tuple[int, int, int]]:
    try:
        rows = _parquet_file(path).metadata.num_rows
    except Exception as err:  # noqa: BLE001
        raise UsageError(
            f"input file {path} is not a readable Parquet file ({type(err).__name__}: {err})"
        ) from None
    return [(s, min(s + shard_records, rows), 0) for s in range(0, rows, shard_records)]


def read_shard(plan: ShardPlan) -> Iterator[RawRow]:
    """Yield every row of the shard, parsed where possible, with its location."""
    if plan.format == "jsonl":
        yield from _read_jsonl(plan)
    else:
        yield from _read_parquet(plan)


def _lines(f, count: int) -> Iterator[bytes]:
    """Up to `count` lines (each with its newline) from a binary reader, read in blocks."""
    done = 0
    pending: list[bytes] = []  # the start of a line longer than what was read so far
    while done < count:
        block = f.read(BLOCK)
        if not block:
            break
        pos = 0
        while done < count:
            nl = block.find(b"\n", pos)
            if nl < 0:
                if pos < len(block):
                    pending.append(block[pos:])
                break
            piece = block[pos : nl + 1]
            if pending:
                pending.append(piece)
                piece = b"".join(pending)
                pending = []
            yield piece
            done += 1
            pos = nl + 1
    if done < count and pending:
        yield b"".join(pending)


def _read_jsonl(plan: ShardPlan) -> Iterator[RawRow]:
    name = basename(plan.path)
    with Storage(plan.path).open_input_file() as f:
        f.seek(plan.byte_offset)
        lineno = plan.start
        for raw in _lines(f, plan.stop - plan.start):
            lineno += 1
            yield _parse_line(f"{name}:line {lineno}", raw)
        # Lines the plan counted but the file no longer has (it changed since planning).
        for missing in range(lineno + 1, plan.stop + 1):
            yield RawRow(
                f"{name}:line {missing}", None, b"", "line missing (input changed while running)"
            )


def _parse_line(source: str, raw: bytes) -> RawRow:
    stripped = raw.strip()
    if not stripped:
        return RawRow(source, None, raw, "blank line")
    try:
        text = stripped.decode("utf-8")
    except UnicodeDecodeError as err:
        return RawRow(source, None, raw, f"invalid UTF-8 at byte {err.start}")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        return RawRow(source, None, raw, f"malformed JSON ({err.msg} at char {err.pos})")
    return RawRow(source, value, raw)


def _read_parquet(plan: ShardPlan) -> Iterator[RawRow]:
    """Rows [start, stop), reading only the row groups that hold them."""
    name = basename(plan.path)
    pf = _parquet_file(plan.path)
    meta = pf.metadata
    groups, first_row, row = [], None, 0
    for g in range(meta.num_row_groups):
        n = meta.row_group(g).num_rows
        if row + n > plan.start and row < plan.stop:
            groups.append(g)
            if first_row is None:
                first_row = row
        row += n
    if not groups:
        return
    row = first_row
    for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS, row_groups=groups):
        if row + batch.num_rows <= plan.start:
            row += batch.num_rows
            continue
        for value in batch.to_pylist():
            if plan.start <= row < plan.stop:
                raw = json.dumps(value, default=str, ensure_ascii=False).encode("utf-8")
                yield RawRow(f"{name}:row {row}", value, raw)
            row += 1
        if row >= plan.stop:
            return


__all__ = [
    "InputFile",
    "RawRow",
    "ShardPlan",
    "discover_inputs",
    "plan_shards",
    "read_shard",
]
