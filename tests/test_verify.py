"""`redact audit verify`: every kind of tampering with the log or the files is detected and named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from audit.log import AuditLog, canonical, event_hash
from audit.sampling import draw_sample
from audit.verify import verify_run
from redact.cli import main
from redact.errors import UsageError
from redact.io.writer import FINDINGS_SCHEMA, write_parquet
from redact.pipeline.shard import file_sha256
from tests.audit_fixtures import make_run
from tests.conftest import redact_cli


@pytest.fixture(scope="module")
def template_run(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("template") / "run")


@pytest.fixture
def run(template_run, tmp_path) -> Path:
    return Path(shutil.copytree(template_run, tmp_path / "run"))


def _lines(run: Path) -> list[str]:
    return (run / "audit" / "events.jsonl").read_text().splitlines()


def _write_lines(run: Path, lines: list[str]) -> None:
    (run / "audit" / "events.jsonl").write_text("".join(line + "\n" for line in lines))


def _rechain(events: list[dict]) -> list[str]:
    """What a careful forger does: renumber and rehash every event."""
    prev, out = "0" * 64, []
    for seq, e in enumerate(events):
        e = {**e, "seq": seq, "prev": prev}
        e["hash"] = prev = event_hash(prev, e)
        out.append(canonical(e))
    return out


def _seq_of(run: Path, type_: str, file: str | None = None) -> int:
    for line in _lines(run):
        e = json.loads(line)
        if e["type"] == type_ and (file is None or e["payload"].get("file") == file):
            return e["seq"]
    raise AssertionError(type_)


def _first(run: Path) -> str:
    result = verify_run(run)
    assert not result.ok
    return str(result.problem)


def test_intact_run_verifies(run, capsys):
    result = verify_run(run)
    assert result.ok, result.problems
    assert result.events == len(_lines(run)) and result.files == 10
    assert result.head == AuditLog(run).head()
    assert main(["audit", "verify", "--run", str(run)]) == 0
    assert "intact" in capsys.readouterr().out


# -- the log ------------------------------------------------------------------------------
def test_edited_event_is_a_bad_hash(run):
    seq = _seq_of(run, "shard.written", "data/part-00001.parquet")
    lines = _lines(run)
    e = json.loads(lines[seq])
    e["payload"]["rows"] += 1
    lines[seq] = canonical(e)
    _write_lines(run, lines)
    assert (
        _first(run)
        == f"bad hash at seq {seq}: the event's content does not match its hash (event edited)"
    )


def test_edited_and_rehashed_event_breaks_the_next_link(run):
    lines = _lines(run)
    e = json.loads(lines[2])
    e["actor"] = "mallory"
    e["hash"] = event_hash(e["prev"], e)
    lines[2] = canonical(e)
    _write_lines(run, lines)
    assert _first(run).startswith("broken link at seq 3")


def test_deleted_event_is_a_seq_gap(run):
    lines = _lines(run)
    del lines[4]
    _write_lines(run, lines)
    assert _first(run).startswith("seq gap at line 5: expected seq 4, found 5")


def test_deleted_last_event_leaves_the_manifest_unconfirmed(run):
    _write_lines(run, _lines(run)[:-1])  # run.finished gone: the chain alone cannot tell
    assert _first(run) == "manifest.json exists but the audit log has no run.finished event"


def test_reordered_events_are_detected(run):
    lines = _lines(run)
    lines[3], lines[4] = lines[4], lines[3]
    _write_lines(run, lines)
    assert _first(run).startswith("seq gap at line 4: expected seq 3, found 4")


def test_reordered_and_renumbered_events_are_a_bad_hash(run):
    lines = _lines(run)
    a, b = json.loads(lines[3]), json.loads(lines[4])
    a["seq"], b["seq"] = 4, 3
    lines[3], lines[4] = canonical(b), canonical(a)
    _write_lines(run, lines)
    assert _first(run).startswith("broken link at seq 3")


def test_inserted_event_is_detected(run):
    lines = _lines(run)
    forged = json.loads(lines[2])
    forged["payload"] = {"file": "data/part-00009.parquet", "sha256": "0" * 64, "rows": 1}
    forged["hash"] = event_hash(forged["prev"], forged)  # a valid hash for its own content
    lines.insert(3, canonical(forged))
    _write_lines(run, lines)
    assert _first(run).startswith("seq out of order at line 4: expected seq 3, found 2")


def test_inserted_event_with_a_continued_seq_breaks_the_link(run):
    lines = _lines(run)
    last = json.loads(lines[-1])
    lines.insert(len(lines) - 1, canonical({**last, "type": "review.signoff"}))
    _write_lines(run, lines)
    problem = _first(run)
    assert problem.startswith(f"bad hash at seq {last['seq']}")


def test_fully_rechained_forgery_is_caught_by_the_manifest(run):
    """Rewriting the whole chain makes it self-consistent; the cross-checks still catch the lie."""
    events = [json.loads(line) for line in _lines(run)]
    extra = run / "data" / "part-00009.parquet"
    extra.write_bytes(b"forged rows")
    forged = {
        **events[1],
        "payload": {"file": "data/part-00009.parquet", "sha256": file_sha256(extra), "rows": 1},
    }
    _write_lines(run, _rechain([*events[:-1], forged, events[-1]]))
    result = verify_run(run)
    assert [p.kind for p in result.problems] == ["mismatch"]
    assert str(result.problem) == (
        "manifest vs log: shard.written logs data/part-00009.parquet but manifest.json does not list it"
    )


def test_malformed_lines_are_detected(run):
    lines = _lines(run)
    _write_lines(run, [*lines[:2], "{not json", *lines[2:]])
    assert _first(run) == "event at line 3 is not valid JSON"
    e = json.loads(lines[1])
    e["note"] = "added field outside the hash"
    _write_lines(run, [lines[0], canonical(e), *lines[2:]])
    assert _first(run) == "malformed event at line 2: unexpected field 'note'"
    (run / "audit" / "events.jsonl").write_text("\n".join(lines))  # last newline missing
    assert _first(run).startswith(f"the audit log's last line ({len(lines)}) is incomplete")


# -- the files ----------------------------------------------------------------------------
def _rewrite_findings(path: Path) -> None:
    rows = [
        {
            "conversation_id": "c00000",
            "message_index": 0,
            "role": "user",
            "entity_type": "PERSON",
            "placeholder": "NAME_1",
            "start": 0,
            "end": 3,
            "recognizer": "x",
            "score": 1.0,
            "value_hmac": "0" * 64,
            "ner_coverage": True,
        }
    ]
    write_parquet(pa.Table.from_pylist(rows, schema=FINDINGS_SCHEMA), path)


@pytest.mark.parametrize(
    "rel",
    [
        "data/part-00000.parquet",
        "findings/part-00001.parquet",
        "index/part-00002.parquet",
        "quarantine/part-00002.parquet",
    ],
)
def test_changed_file_is_named(run, rel):
    path = run / rel
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit
    path.write_bytes(bytes(data))
    assert _first(run).startswith(f"changed file {rel} (sha256 mismatch: expected ")


def test_rewritten_findings_with_updated_manifest_still_fail(run):
    rel = "findings/part-00000.parquet"
    _rewrite_findings(run / rel)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["files"][rel]["sha256"] = file_sha256(run / rel)  # cover tracks in the manifest too
    (run / "manifest.json").write_text(json.dumps(manifest))
    result = verify_run(run)
    assert str(result.problem).startswith(f"changed file {rel}")
    assert f"manifest vs log: they disagree on the sha256 of {rel}" in map(str, result.problems)


@pytest.mark.parametrize("rel", ["data/part-00001.parquet", "findings/part-00000.parquet"])
def test_removed_file_is_named(run, rel):
    (run / rel).unlink()
    assert _first(run) == f"missing file {rel}"


@pytest.mark.parametrize(
    "rel",
    [
        "data/part-00007.parquet",
        "findings/extra.parquet",
        "quarantine/x.json",
        "index/sub/part-00000.parquet",
    ],
)
def test_added_file_is_named(run, rel):
    path = run / rel
    path.parent.mkdir(exist_ok=True)
    path.write_bytes((run / "data" / "part-00000.parquet").read_bytes())
    first = rel.split("/sub/")[0] + "/sub" if "/sub/" in rel else rel
    assert (
        _first(run) == f"unexpected file {first} (named by neither the audit log nor the manifest)"
    )


def test_manifest_edits_are_detected(run):
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["counts"]["quarantined"] = 0
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert _first(run) == "changed file manifest.json (counts differ from the run.finished event)"
    manifest = json.loads((run / "manifest.json").read_text())
    (run / "manifest.json").write_text("{")
    assert _first(run) == "changed file manifest.json: not a JSON object"
    manifest["counts"]["quarantined"] = 2
    del manifest["files"]["findings/part-00001.parquet"]
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert _first(run) == (
        "manifest vs log: shard.written logs findings/part-00001.parquet but manifest.json does not list it"
    )
    (run / "manifest.json").unlink()
    assert _first(run) == "missing file manifest.json"


def test_manifest_sha_in_run_finished_is_checked(run):
    """When the driver records manifest_sha256 in run.finished, any byte of the manifest counts."""
    events = [json.loads(line) for line in _lines(run)]
    events[-1]["payload"]["manifest_sha256"] = file_sha256(run / "manifest.json")
    _write_lines(run, _rechain(events))
    assert verify_run(run).ok
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["operator"] = "someone-else"
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert _first(run) == "changed file manifest.json (sha256 differs from the run.finished event)"


def test_run_json_must_agree(run):
    info = json.loads((run / "run.json").read_text())
    info["request"]["policy_hash"] = "f" * 64
    (run / "run.json").write_text(json.dumps(info))
    assert _first(run) == "manifest.json / run.started event / run.json disagree on the policy hash"


def test_sample_tampering_is_detected(run):
    draw_sample(run, actor="op-alice")
    assert verify_run(run).ok
    path = run / "review" / "sample.json"
    original = path.read_bytes()
    sample = json.loads(original)
    sample["items"] = sample["items"][1:]  # drop an awkward item
    path.write_text(json.dumps(sample))
    assert _first(run).startswith("changed file review/sample.json (its items do not match")
    sample = json.loads(original)
    sample["seed"] += 1  # items untouched, but the file is not what was logged
    path.write_text(json.dumps(sample))
    assert (
        _first(run)
        == "changed file review/sample.json (sha256 differs from the sample.drawn event)"
    )
    path.unlink()
    assert _first(run) == "missing file review/sample.json (logged by sample.drawn)"


def test_unlogged_sample_is_detected(run):
    (run / "review").mkdir()
    (run / "review" / "sample.json").write_text('{"items": []}')
    assert _first(run) == "unexpected file review/sample.json (no sample.drawn event logs it)"


# -- exit codes ---------------------------------------------------------------------------
def test_cli_exit_1_names_the_first_problem(run, capsys):
    (run / "data" / "part-00000.parquet").unlink()
    assert main(["audit", "verify", "--run", str(run)]) == 1
    err = capsys.readouterr().err
    assert "FAILED — missing file data/part-00000.parquet" in err


def test_cli_exit_2_for_an_unreadable_run(tmp_path, run, capsys):
    assert main(["audit", "verify", "--run", str(tmp_path / "nowhere")]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["audit", "verify", "--run", str(tmp_path / "empty")]) == 2
    assert "not a redact run" in capsys.readouterr().err
    (run / "manifest.json").unlink()
    _write_lines(run, _lines(run)[:-1])  # an unfinished run: no manifest, no run.finished
    with pytest.raises(UsageError, match="not a finished run"):
        verify_run(run)


# -- a real run ---------------------------------------------------------------------------
def test_real_run_verifies_and_tampering_fails(session_run, run_copy):
    ok = redact_cli("audit", "verify", "--run", str(session_run))
    assert ok.returncode == 0, ok.stderr
    assert "intact" in ok.stdout
    rel = sorted(
        p.relative_to(run_copy).as_posix() for p in (run_copy / "findings").glob("*.parquet")
    )[0]
    (run_copy / rel).write_bytes((run_copy / rel).read_bytes() + b"\0")
    bad = redact_cli("audit", "verify", "--run", str(run_copy))
    assert bad.returncode == 1
    assert f"changed file {rel}" in bad.stderr


def test_file_logged_after_the_run_finished_is_detected(run):
    rel = "data/part-00000.parquet"
    _rewrite_findings(run / rel)  # replace the data, then try to legitimise it with a new event
    AuditLog(run).append(
        "shard.written", "mallory", {"file": rel, "sha256": file_sha256(run / rel), "rows": 1}
    )
    problems = list(map(str, verify_run(run).problems))
    assert (
        problems[0]
        == f"shard.written for {rel} logged after run.finished (seq {len(_lines(run)) - 1})"
    )


def test_shard_redone_before_the_run_finished_counts_its_last_entry(run):
    events = [json.loads(line) for line in _lines(run)]
    stale = {**events[1], "payload": {**events[1]["payload"], "sha256": "0" * 64}}
    assert verify_run(run).ok
    _write_lines(run, _rechain([events[0], stale, *events[1:]]))
    assert verify_run(run).ok
