"""The audit log: hash chain, strict canonical JSON, safe appends from several processes."""

from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path

import pytest

from audit.log import GENESIS, AuditLog, canonical, event_hash
from audit.verify import VerifyResult, check_chain, verify_run
from redact.errors import IntegrityError
from tests.audit_fixtures import make_run
from tests.audit_worker import append_many


def _chain_ok(path: Path) -> VerifyResult:
    result = VerifyResult(str(path))
    check_chain(path.read_bytes().splitlines(), result)
    return result


def test_events_chain_from_genesis(tmp_path):
    log = AuditLog(tmp_path)
    assert log.head() == GENESIS
    a = log.append("run.started", "op", {"run_id": "r1"})
    b = log.append("shard.written", "op", {"file": "data/part-00000.parquet", "rows": 3})
    assert (a["seq"], a["prev"]) == (0, GENESIS)
    assert (b["seq"], b["prev"]) == (1, a["hash"])
    assert b["hash"] == event_hash(a["hash"], b)
    assert log.head() == b["hash"]
    assert [e["type"] for e in log.events()] == ["run.started", "shard.written"]
    assert log.last("shard.written")["seq"] == 1 and log.last("nothing") is None
    line = log.path.read_text().splitlines()[1]
    assert line == canonical(b)  # one canonical JSON object a line
    assert set(json.loads(line)) == {"seq", "time", "type", "actor", "payload", "prev", "hash"}


def test_canonical_is_sorted_compact_and_strict():
    assert canonical({"b": 1, "a": [1, "é"]}) == '{"a":[1,"é"],"b":1}'
    with pytest.raises(ValueError):
        canonical({"x": float("nan")})


def test_append_rejects_bad_input_and_normalises_payload(tmp_path):
    log = AuditLog(tmp_path)
    with pytest.raises(ValueError):
        log.append("", "op")
    with pytest.raises(ValueError):
        log.append("x", "op", ["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        log.append("x", "op", {"score": float("inf")})
    event = log.append("x", "op", {"pair": (1, 2)})
    assert event["payload"] == {"pair": [1, 2]}  # what was hashed is what is read back
    assert next(log.events())["hash"] == event_hash(GENESIS, next(log.events()))


def test_append_refuses_to_extend_a_damaged_log(tmp_path):
    log = AuditLog(tmp_path)
    log.append("a", "op")
    with open(log.path, "ab") as f:
        f.write(b'{"seq": 1, "trunc')  # a crash mid-write
    with pytest.raises(IntegrityError, match="incomplete"):
        log.append("b", "op")
    log.path.write_bytes(log.path.read_bytes() + b"\n")
    with pytest.raises(IntegrityError, match="unreadable"):
        log.append("b", "op")


def test_concurrent_appends_from_two_processes_keep_the_chain(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(2)  # both children are imported and ready before either appends
    n = 250
    procs = [
        ctx.Process(target=append_many, args=(str(tmp_path), actor, n, start))
        for actor in ("p1", "p2")
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    events = list(AuditLog(tmp_path).events())
    assert [e["seq"] for e in events] == list(range(2 * n))
    for actor in ("p1", "p2"):
        assert [e["payload"]["item_id"] for e in events if e["actor"] == actor] == list(range(n))
    actors = [e["actor"] for e in events]
    switches = sum(a != b for a, b in zip(actors, actors[1:], strict=False))
    assert switches > 1, "the two writers never interleaved"
    result = _chain_ok(AuditLog(tmp_path).path)
    assert result.ok, result.problem
    assert result.head == AuditLog(tmp_path).head()


def test_concurrent_appends_from_threads(tmp_path):
    log_dir = str(tmp_path)
    start = threading.Event()
    threads = [
        threading.Thread(target=append_many, args=(log_dir, f"t{i}", 50, start)) for i in range(4)
    ]
    for t in threads:
        t.start()
    start.set()
    for t in threads:
        t.join()
    assert _chain_ok(AuditLog(tmp_path).path).ok
    assert len(list(AuditLog(tmp_path).events())) == 200


def test_appends_after_a_run_keep_it_verifiable(tmp_path):
    run = make_run(tmp_path / "run")
    AuditLog(run).append("review.verdict", "rev-bob", {"item_id": 1, "verdict": "ok"})
    assert verify_run(run).ok
