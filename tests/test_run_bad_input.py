"""Fail closed: bad records are quarantined with a reason; usage errors exit 2 and say where."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT, redact_cli

GOOD = {
    "conversation_id": "good-1",
    "model": "vicuna-13b",
    "conversation": [
        {"content": "Hi, I am Maria Gonzalez, write to maria.gonzalez@example.com", "role": "user"},
        {"content": "Hello Maria Gonzalez, sure.", "role": "assistant"},
    ],
    "turn": 1,
    "language": "English",
}


def _line(obj) -> bytes:
    return (json.dumps(obj) + "\n").encode()


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    big = {**GOOD, "conversation_id": "big-1", "conversation": [{"content": "word " * 4_200_000, "role": "user"}]}
    lines = [
        _line(GOOD),                                                         # line 1: released
        b'{"conversation_id": "broken", "conversation": [\n',                # line 2: malformed JSON
        _line({"model": "x", "conversation": GOOD["conversation"]}),        # line 3: no id
        _line({**GOOD, "conversation_id": "nonstr", "conversation": [{"content": 7, "role": "user"}]}),
        _line({**GOOD, "conversation_id": "empty", "conversation": []}),    # line 5
        b'{"conversation_id": "utf8", "conversation": [{"content": "\xff\xfe", "role": "user"}]}\n',
        _line(big),                                                          # line 7: 21 MB message
        b"\n",                                                               # line 8: blank
        _line({**GOOD, "conversation_id": "good-2", "conversation": json.dumps(GOOD["conversation"])}),
    ]
    jsonl = d / "mixed.jsonl"
    jsonl.write_bytes(b"".join(lines))
    table = pa.Table.from_pylist([
        {"conversation_id": "pq-1", "conversation": json.dumps(GOOD["conversation"]), "turn": 1, "language": "English"},
        {"conversation_id": "pq-2", "conversation": None, "turn": 1, "language": "English"},
    ])
    pq.write_table(table, d / "rows.parquet")
    run_dir = d / "run"
    proc = redact_cli("run", "--input", str(jsonl), str(d / "rows.parquet"), "--output", str(run_dir),
                      "--workers", "1", "--operator", "op")
    return run_dir, proc


def test_run_survives_and_counts_add_up(bad_run):
    run_dir, proc = bad_run
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((run_dir / "manifest.json").read_text())
    c = manifest["counts"]
    assert c["in"] == 11
    assert c["in"] == c["released"] + c["quarantined"]
    assert c["released"] == 3
    assert "records in 11" in proc.stdout and "quarantined 8" in proc.stdout


def test_each_bad_record_is_quarantined_with_its_location_and_reason(bad_run):
    run_dir, _ = bad_run
    rows = pa.concat_tables([pq.read_table(p) for p in sorted((run_dir / "quarantine").glob("*.parquet"))]).to_pylist()
    reasons = {r["source"]: r["reason"] for r in rows}
    expected = {
        "mixed.jsonl:line 2": "malformed JSON",
        "mixed.jsonl:line 3": "missing field 'conversation_id'",
        "mixed.jsonl:line 4": "conversation[0].content must be a string, got int",
        "mixed.jsonl:line 5": "'conversation' is empty",
        "mixed.jsonl:line 6": "invalid UTF-8",
        "mixed.jsonl:line 7": "detection.max_message_chars",
        "mixed.jsonl:line 8": "blank line",
        "rows.parquet:row 1": "missing field 'conversation'",
    }
    assert set(reasons) == set(expected)
    for source, fragment in expected.items():
        assert fragment in reasons[source], (source, reasons[source])
        assert reasons[source].startswith(source)
    # nothing is lost: the raw bytes are kept for the operator, never released
    raw = {r["source"]: r["raw"] for r in rows}
    assert raw["mixed.jsonl:line 6"].startswith(b'{"conversation_id": "utf8"')


def test_released_records_are_redacted_and_quarantined_ones_are_not_released(bad_run):
    run_dir, _ = bad_run
    data = pa.concat_tables([pq.read_table(p) for p in sorted((run_dir / "data").glob("*.parquet"))])
    assert sorted(data.column("conversation_id").to_pylist()) == ["good-1", "good-2", "pq-1"]
    text = json.dumps(data.column("conversation").to_pylist())
    assert "maria.gonzalez@example.com" not in text and "Gonzalez" not in text
    assert all(data.column("redacted").to_pylist())


def test_missing_input_path_is_a_usage_error(tmp_path):
    proc = redact_cli("run", "--input", str(tmp_path / "nope.jsonl"), "--output", str(tmp_path / "r"))
    assert proc.returncode == 2
    assert "input path not found" in proc.stderr and "nope.jsonl" in proc.stderr
    assert not (tmp_path / "r").exists()


def test_invalid_policy_is_a_usage_error_naming_the_key(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(_line(GOOD))
    policy = tmp_path / "p.yaml"
    policy.write_text((ROOT / "policies" / "default.yaml").read_text().replace("drop_fields:", "drop_feilds:"))
    proc = redact_cli("run", "--input", str(src), "--output", str(tmp_path / "r"), "--policy", str(policy))
    assert proc.returncode == 2
    assert "drop_feilds" in proc.stderr and "unknown key" in proc.stderr


def test_unknown_input_format_is_a_usage_error(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("a,b\n")
    proc = redact_cli("run", "--input", str(src), "--output", str(tmp_path / "r"))
    assert proc.returncode == 2 and "unknown format" in proc.stderr
