"""Input discovery, shard planning and shard reading.

The driver plans shards (a file and a range of lines or rows) without parsing records; each
worker reads only its own shard, so memory stays bounded by the shard size and reruns can skip
finished shards. Shard ids follow input order, so the same inputs always give the same plan.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from redact.errors import UsageError

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
PARQUET_SUFFIXES = (".parquet", ".pq")


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


def _format_of(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def discover_inputs(paths: list[str]) -> list[InputFile]:
    """Expand files and folders (recursively, sorted) into input files; refuse what cannot be read."""
    found: list[InputFile] = []
    for raw in paths:
        p = Path(raw.removeprefix("file://"))
        if not p.exists():
            raise UsageError(f"input path not found: {raw} (check the --input argument)")
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and _format_of(f))
            if not files:
                raise UsageError(f"input folder {raw} holds no .jsonl/.json/.parquet files")
        else:
            if _format_of(p) is None:
                raise UsageError(
                    f"input file {raw}: unknown format; use .jsonl/.ndjson/.json (JSON lines) or .parquet"
                )
            files = [p]
        for f in files:
            found.append(InputFile(str(f.resolve()), _format_of(f), f.stat().st_size, _sha256(f)))
    seen = set()
    unique = []
    for f in found:
        if f.path not in seen:
            seen.add(f.path)
            unique.append(f)
    return unique


def plan_shards(inputs: list[InputFile], shard_records: int) -> list[ShardPlan]:
    plans: list[ShardPlan] = []
    for f in inputs:
        if f.format == "jsonl":
            ranges = _jsonl_ranges(Path(f.path), shard_records)
        else:
            ranges = _parquet_ranges(Path(f.path), shard_records)
        for start, stop, offset in ranges:
            plans.append(ShardPlan(len(plans), f.path, f.format, start, stop, offset))
    return plans


def _jsonl_ranges(path: Path, shard_records: int) -> list[tuple[int, int, int]]:
    """Line ranges with the byte offset of their first line (blank lines count as lines)."""
    ranges, start, line, offset, start_offset = [], 0, 0, 0, 0
    with path.open("rb") as f:
        for raw in f:
            line += 1
            offset += len(raw)
            if line - start == shard_records:
                ranges.append((start, line, start_offset))
                start, start_offset = line, offset
    if line > start:
        ranges.append((start, line, start_offset))
    return ranges


def _parquet_ranges(path: Path, shard_records: int) -> list[tuple[int, int, int]]:
    import pyarrow.parquet as pq

    try:
        rows = pq.ParquetFile(path).metadata.num_rows
    except Exception as err:  # noqa: BLE001
        raise UsageError(f"input file {path} is not a readable Parquet file ({type(err).__name__}: {err})") from None
    return [(s, min(s + shard_records, rows), 0) for s in range(0, rows, shard_records)]


def read_shard(plan: ShardPlan) -> Iterator[RawRow]:
    """Yield every row of the shard, parsed where possible, with its location."""
    if plan.format == "jsonl":
        yield from _read_jsonl(plan)
    else:
        yield from _read_parquet(plan)


def _read_jsonl(plan: ShardPlan) -> Iterator[RawRow]:
    name = Path(plan.path).name
    with open(plan.path, "rb") as f:
        f.seek(plan.byte_offset)
        for lineno in range(plan.start + 1, plan.stop + 1):
            raw = f.readline()
            source = f"{name}:line {lineno}"
            stripped = raw.strip()
            if not stripped:
                yield RawRow(source, None, raw, "blank line")
                continue
            try:
                text = stripped.decode("utf-8")
            except UnicodeDecodeError as err:
                yield RawRow(source, None, raw, f"invalid UTF-8 at byte {err.start}")
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as err:
                yield RawRow(source, None, raw, f"malformed JSON ({err.msg} at char {err.pos})")
                continue
            yield RawRow(source, value, raw)


def _read_parquet(plan: ShardPlan) -> Iterator[RawRow]:
    import pyarrow.parquet as pq

    name = Path(plan.path).name
    pf = pq.ParquetFile(plan.path)
    row = 0
    for batch in pf.iter_batches(batch_size=256):
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
