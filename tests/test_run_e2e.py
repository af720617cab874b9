"""End to end: the real CLI on a real local Ray over generated conversations."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from redact.demo_data import generate_labeled
from redact.keys import load_key, value_hmac
from redact.replace.normalize import normalize_value
from tests.conftest import OPERATOR, ROOT, redact_cli

CONTACT_TYPES = {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IP_ADDRESS", "IBAN_CODE"}


def _table(run_dir: Path, folder: str) -> pa.Table | None:
    files = sorted((run_dir / folder).glob("*.parquet"))
    return pa.concat_tables([pq.read_table(f) for f in files]) if files else None


def _labeled():
    # Same generator call as tests/conftest.session_input.
    return list(generate_labeled(80, 11))


def _digests(run_dir: Path) -> dict[str, str]:
    return {
        str(p.relative_to(run_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for folder in ("data", "findings")
        for p in sorted((run_dir / folder).glob("*.parquet"))
    }


def test_every_conversation_released_or_quarantined_exactly_once(session_run, session_input):
    ids_in = Counter(json.loads(line)["conversation_id"] for line in session_input.read_text().splitlines())
    released = Counter(_table(session_run, "data").column("conversation_id").to_pylist())
    quarantine = _table(session_run, "quarantine")
    withheld = Counter(quarantine.column("conversation_id").to_pylist()) if quarantine else Counter()
    assert released + withheld == ids_in
    manifest = json.loads((session_run / "manifest.json").read_text())
    c = manifest["counts"]
    assert c["in"] == sum(ids_in.values()) == c["released"] + c["quarantined"]
    assert manifest["operator"] == OPERATOR
    assert set(manifest["files"]) == {
        str(p.relative_to(session_run))
        for d in ("data", "findings", "quarantine", "index")
        for p in (session_run / d).glob("*.parquet")
    }


def test_no_planted_contact_detail_or_name_survives(session_run):
    data = {r["conversation_id"]: r for r in _table(session_run, "data").to_pylist()}
    index = {r["conversation_id"]: r for r in _table(session_run, "index").to_pylist()}
    survivors = []
    for record, plants in _labeled():
        out = data.get(record["conversation_id"])
        if out is None:
            continue
        text = "\n".join(m["content"] for m in out["conversation"])
        for plant in plants:
            kind = plant["entity_type"]
            if kind in CONTACT_TYPES or (kind == "PERSON" and index[record["conversation_id"]]["ner_coverage"]):
                if plant["value"] in text:
                    survivors.append((record["conversation_id"], kind))
    assert not survivors


def test_same_person_same_placeholder_across_turns(session_run):
    key = load_key(create=False)
    findings = _table(session_run, "findings").to_pylist()
    by_hmac = defaultdict(set)
    for f in findings:
        by_hmac[(f["conversation_id"], f["entity_type"], f["value_hmac"])].add(f["placeholder"])
    assert all(len(p) == 1 for p in by_hmac.values())
    checked = 0
    for record, plants in _labeled():
        people = {p["value"] for p in plants if p["entity_type"] == "PERSON" and " " in p["value"]}
        for full in people:
            slots = [
                by_hmac.get((record["conversation_id"], "PERSON", value_hmac(key, normalize_value("PERSON", v))))
                for v in (full, full.split()[0])
            ]
            if all(slots):  # the full name and the first name alone were both redacted
                assert slots[0] == slots[1], record["conversation_id"]
                checked += 1
    assert checked > 0


def test_rerun_is_byte_identical_and_logs_hold_no_raw_values(session_run, session_input, tmp_path):
    ray_tmp = Path(tempfile.mkdtemp(prefix="rl", dir="/tmp"))
    try:
        second = tmp_path / "again"
        proc = redact_cli(
            "run", "--input", str(session_input), "--output", str(second),
            "--policy", str(ROOT / "policies" / "demo.yaml"), "--operator", OPERATOR, "--workers", "2",
            env={"RAY_TMPDIR": str(ray_tmp)}, check=True,
        )
        assert _digests(second) == _digests(session_run)
        assert "records in 80" in proc.stdout and "replacements by type" in proc.stdout

        values = {p["value"] for _, plants in _labeled() for p in plants}
        findings_text = json.dumps(_table(second, "findings").to_pylist())
        texts = {
            "stdout/stderr": proc.stdout + proc.stderr,
            "manifest": (second / "manifest.json").read_text(),
            "run.json": (second / "run.json").read_text(),
            "audit": (second / "audit" / "events.jsonl").read_text(),
            "markers": "".join(p.read_text() for p in (second / "shards").glob("*.json")),
            "findings": findings_text,
            "index": json.dumps(_table(second, "index").to_pylist()),
        }
        for log in ray_tmp.rglob("*"):
            if log.is_file() and log.suffix in (".log", ".out", ".err", ".txt"):
                texts[str(log)] = log.read_text(errors="replace")
        leaks = [(where, v) for where, text in texts.items() for v in values if len(v) > 4 and v in text]
        assert not leaks
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)


@pytest.mark.parametrize("field", ["user_id", "tstamp"])
def test_policy_drop_list_is_applied(session_run, field):
    names = pq.read_schema(sorted((session_run / "data").glob("*.parquet"))[0]).names
    assert field not in names
    assert names[:2] == ["conversation_id", "model"] and names[-1] == "redacted"
