"""Storage a cluster can share: local paths, file:// and s3:// (moto's server on loopback).

These drive the storage layer, the reader and the shard writer directly (a stand-in detector,
no Ray). A real `ray job` whose input and run directory are on S3 is in test_cluster_jobs.py.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import redact.io.reader as reader
import redact.io.storage as storage
from policies.model import load_policy
from redact.errors import UsageError
from redact.io.storage import Storage
from redact.io.writer import ROW_GROUP_BYTES, DataStream, ParquetStream, data_table, write_parquet
from redact.pipeline.job import _marker_valid, _remove_strays
from redact.pipeline.shard import ShardProcessor
from redact.records import Detection, Span
from tests.cluster_helpers import (
    moto_s3,
    write_input,
)
from tests.conftest import ROOT

BUCKET = "redact-test"


@pytest.fixture(scope="module")
def s3(request):
    """moto's S3 server; the AWS variables are set for this module's tests only."""
    with moto_s3(BUCKET) as (endpoint, env, client):
        mp = pytest.MonkeyPatch()
        for k, v in env.items():
            mp.setenv(k, v)
        storage._cache.clear()
        try:
            yield env, client
        finally:
            mp.undo()
            storage._cache.clear()


class EmailDetector:
    """Stands in for the NLP detector: finds e-mail addresses, reports NER for English."""

    def detect(self, records):
        out = []
        for r in records:
            spans = [
                Span(i, m.start(), m.end(), "EMAIL_ADDRESS", "stand-in", 0.9)
                for i, msg in enumerate(r.messages)
                for m in re.finditer(r"[\w.+-]+@[\w-]+\.[\w.]+", msg.content)
            ]
            out.append(Detection(spans=spans, ner_coverage=r.language == "English"))
        return out


def _tree_sums(store: Storage) -> dict[str, str]:
    return {rel: store.sha256(rel) for rel in store.list_files(recursive=True)}


# -- the storage layer ---------------------------------------------------------------------------


def test_uris_are_parsed_and_bad_ones_refused(tmp_path):
    assert storage.scheme_of("/a/b") == "" and storage.scheme_of("file:///a") == "file"
    assert storage.scheme_of("s3://b/k") == "s3" and storage.is_local("rel/path")
    assert Storage(f"file://{tmp_path}").root == str(tmp_path)
    assert Storage("relative/dir").root == str(Path.cwd() / "relative" / "dir")
    with pytest.raises(UsageError, match="needs a bucket"):
        Storage("s3://")
    with pytest.raises(UsageError, match="not supported"):
        Storage("nosuchscheme://x/y")


@pytest.mark.parametrize("where", ["local", "s3"])
def test_writes_are_whole_or_absent_and_listing_reads_back(where, tmp_path, s3):
    store = Storage(
        str(tmp_path / "root") if where == "local" else f"s3://{BUCKET}/basics-{tmp_path.name}"
    )
    assert store.is_empty() and store.read_json("run.json") is None
    sha, size = store.write_bytes("data/a.bin", b"x" * 1000)
    assert (sha, size) == (hashlib.sha256(b"x" * 1000).hexdigest(), 1000)
    assert (
        store.write_json("run.json", {"b": 1, "a": [1]})
        == hashlib.sha256(store.read_bytes("run.json")).hexdigest()
    )
    assert store.read_bytes("run.json") == b'{\n  "a": [\n    1\n  ],\n  "b": 1\n}\n'
    with pytest.raises(RuntimeError), store.open_atomic("data/b.bin") as sink:
        sink.write(b"half")
        raise RuntimeError("crash while writing")
    assert store.list_files("data") == ["a.bin"]  # no trace of the failed write
    assert store.list_files(recursive=True) == ["data/a.bin", "run.json"] and not store.is_empty()
    assert store.sha256("data/a.bin") == sha and store.size("data/a.bin") == 1000
    store.delete("data/a.bin")
    store.delete("data/never-there.bin")
    assert not store.exists("data/a.bin") and store.list_files("missing") == []


def _ranges_by_lines(data: bytes, shard_records: int) -> list[tuple[int, int, int]]:
    """The obvious implementation: walk the lines."""
    ranges, start, line, offset, start_offset = [], 0, 0, 0, 0
    for raw in io.BytesIO(data):
        line += 1
        offset += len(raw)
        if line - start == shard_records:
            ranges.append((start, line, start_offset))
            start, start_offset = line, offset
    if line > start:
        ranges.append((start, line, start_offset))
    return ranges


def test_jsonl_planning_and_reading_across_block_boundaries(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "BLOCK", 7)  # every line crosses blocks
    rng = random.Random(4)
    for trial in range(60):
        lines = [
            b"\n"
            if rng.random() < 0.1
            else json.dumps({"conversation_id": f"c{i}", "x": "y" * rng.randint(0, 30)}).encode()
            + b"\n"
            for i in range(rng.randint(0, 25))
        ]
        data = b"".join(lines)
        if data and trial % 3 == 0:
            data = data[:-1]  # last line without its newline
        path = tmp_path / f"t{trial}.jsonl"
        path.write_bytes(data)
        for shard_records in (1, 3, 50):
            assert reader._jsonl_ranges(str(path), shard_records) == _ranges_by_lines(
                data, shard_records
            )
        inputs = reader.discover_inputs([str(path)])
        rows = [r.raw for p in reader.plan_shards(inputs, 4) for r in reader.read_shard(p)]
        assert rows == io.BytesIO(data).readlines()


def test_inputs_on_s3_plan_and_read_like_local_files(tmp_path, s3):
    _, client = s3
    local = tmp_path / "in"
    local.mkdir()
    write_input(local / "a.jsonl", n=9)
    table = pa.Table.from_pylist([{"conversation_id": f"p{i}", "turn": i} for i in range(50)])
    pq.write_table(table, local / "b.parquet", row_group_size=7)
    for f in local.iterdir():
        client.upload_file(str(f), BUCKET, f"inputs/{f.name}")

    on_disk = reader.discover_inputs([str(local)])
    on_s3 = reader.discover_inputs([f"s3://{BUCKET}/inputs/"])
    assert [i.path for i in on_s3] == [
        f"s3://{BUCKET}/inputs/a.jsonl",
        f"s3://{BUCKET}/inputs/b.parquet",
    ]
    assert [(i.format, i.size, i.sha256) for i in on_s3] == [
        (i.format, i.size, i.sha256) for i in on_disk
    ]
    plans_disk, plans_s3 = reader.plan_shards(on_disk, 4), reader.plan_shards(on_s3, 4)
    assert [(p.start, p.stop, p.byte_offset) for p in plans_s3] == [
        (p.start, p.stop, p.byte_offset) for p in plans_disk
    ]
    for a, b in zip(plans_disk, plans_s3, strict=True):
        assert [(r.source, r.value, r.raw, r.error) for r in reader.read_shard(a)] == [
            (r.source, r.value, r.raw, r.error) for r in reader.read_shard(b)
        ]
    with pytest.raises(UsageError, match="input path not found"):
        reader.discover_inputs([f"s3://{BUCKET}/nothing-here.jsonl"])


# -- the shard writer ---------------------------------------------------------------------------


def test_shard_files_on_s3_are_byte_identical_to_local_ones_and_markers_are_checked(tmp_path, s3):
    policy = load_policy(str(ROOT / "policies" / "demo.yaml"))
    src = write_input(tmp_path / "conversations.jsonl", n=25)
    plans = reader.plan_shards(reader.discover_inputs([str(src)]), 10)
    key = b"test-key-0123456789abcdef"
    local = Storage(str(tmp_path / "run"))
    remote = Storage(f"s3://{BUCKET}/shards-{tmp_path.name}/run")
    for store in (local, remote):
        processor = ShardProcessor(policy, key, store.uri, detector=EmailDetector())
        for plan in plans:
            processor.process(plan)
    local_sums, remote_sums = _tree_sums(local), _tree_sums(remote)
    outputs = {k for k in local_sums if not k.startswith("shards/")}
    assert outputs and {k: local_sums[k] for k in outputs} == {k: remote_sums[k] for k in outputs}
    assert {k for k in remote_sums if k.startswith("shards/")} == {
        f"shards/{p.name}.json" for p in plans
    }

    for plan in plans:
        assert _marker_valid(remote, plan) == remote.read_json(f"shards/{plan.name}.json")
    remote.delete(f"data/{plans[1].name}.parquet")  # a lost file: that shard is not done
    remote.write_bytes(f"findings/{plans[2].name}.parquet", b"changed")  # a changed one: neither
    assert [_marker_valid(remote, p) is not None for p in plans] == [True, False, False]

    remote.write_bytes("data/.part-00009.parquet.tmp", b"left by a killed worker")
    _remove_strays(remote, {k for k in remote_sums if k.startswith(("data/", "findings/"))})
    assert "data/.part-00009.parquet.tmp" not in remote.list_files(recursive=True)


def _rows(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        row = {"conversation_id": f"c{i}", "model": "m", "conversation": [{"content": "hi " * rng.randint(1, 50), "role": "user"}],
               "turn": 1, "language": "English"}  # fmt: skip
        if rng.random() < 0.3:
            row["score"] = rng.choice([1, 2.5, None])
        if rng.random() < 0.2:
            row["mixed"] = rng.choice([1, "a", [1], {"k": 1}])
        if i > n // 2:
            row["late"] = {"a": i}
        row["redacted"] = rng.random() < 0.5
        rows.append(row)
    return rows


def test_streaming_data_writer_is_deterministic_and_matches_a_whole_table(tmp_path):
    rows = _rows(300, 1)
    store = Storage(str(tmp_path))
    write_parquet(data_table(rows), tmp_path / "whole.parquet")

    def stream(rel: str, batch: int, **limits) -> dict:
        ds = DataStream(store, rel, **limits)
        for i in range(0, len(rows), batch):
            ds.add(rows[i : i + batch])
        return ds.close()

    # One row group: the same bytes as writing the whole table at once, however rows arrive.
    infos = [stream(f"one-{b}.parquet", b) for b in (1, 7, 64, 300)]
    whole = (tmp_path / "whole.parquet").read_bytes()
    assert {i["sha256"] for i in infos} == {hashlib.sha256(whole).hexdigest()}
    # Several row groups (by rows or by bytes): same schema and values, bytes independent of batching.
    small = [stream(f"small-{b}.parquet", b, max_rows=40) for b in (5, 64)]
    assert small[0]["sha256"] == small[1]["sha256"] and small[0]["rows"] == 300
    got = pq.read_table(tmp_path / "small-5.parquet")
    assert pq.ParquetFile(tmp_path / "small-5.parquet").metadata.num_row_groups == 8
    assert got.equals(pq.read_table(tmp_path / "whole.parquet"))
    by_bytes = stream("bytes.parquet", 64, max_bytes=2000)
    assert pq.ParquetFile(tmp_path / "bytes.parquet").metadata.num_row_groups > 8
    assert by_bytes["rows"] == 300 and ROW_GROUP_BYTES > 2000
    # No rows: no file.
    empty = DataStream(store, "none.parquet")
    assert empty.close() is None and not (tmp_path / "none.parquet").exists()


def test_fixed_schema_stream_cuts_row_groups_by_rows_and_bytes(tmp_path):
    schema = pa.schema([("source", pa.string()), ("raw", pa.binary())])
    rows = [{"source": f"s{i}", "raw": b"x" * (i * 10)} for i in range(100)]
    store = Storage(str(tmp_path))
    outs = []
    for batch in (1, 13):
        s = ParquetStream(
            store, f"q{batch}.parquet", schema, max_rows=30, size_of=lambda r: len(r["raw"])
        )
        for i in range(0, len(rows), batch):
            s.add(rows[i : i + batch])
        outs.append(s.close())
    assert outs[0] == outs[1] and outs[0]["rows"] == 100
    assert pq.read_table(tmp_path / "q1.parquet").to_pylist() == rows
    aborted = ParquetStream(store, "aborted.parquet", schema, max_rows=10)
    aborted.add(rows[:25])
    aborted.abort()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q1.parquet", "q13.parquet"]
