"""`redact audit find`: where a value was redacted, found by its keyed hash, never printing values."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from audit.find import find_value, report_text
from redact.cli import main
from redact.errors import UsageError
from tests.audit_fixtures import KEY, make_run
from tests.conftest import redact_cli


@pytest.fixture(scope="module")
def template_run(tmp_path_factory) -> Path:
    return make_run(
        tmp_path_factory.mktemp("template") / "run", leak_text="write to jane.roe@example.org"
    )


@pytest.fixture
def run(template_run, tmp_path) -> Path:
    return Path(shutil.copytree(template_run, tmp_path / "run"))


@pytest.mark.parametrize("value", ["Jane Roe", "  jane   ROE ", "Dr. Jane Roe", "Jane Roe's"])
def test_name_variants_find_every_conversation(template_run, value):
    result = find_value(template_run, value, key=KEY)
    released = [f"c{i:05d}" for i in range(0, 58, 3)]  # every third, the last two are quarantined
    assert result.conversations == released
    direct = [m for m in result.matches if m["match"] == "value"]
    assert {
        (m["message_index"], m["role"], m["entity_type"], m["placeholder"]) for m in direct
    } == {(0, "user", "PERSON", "NAME_1")}
    # "Jane" alone later in the conversation shares the placeholder: the same person
    same = [m for m in result.matches if m["match"] == "same placeholder"]
    assert len(same) == len(released) and all(m["message_index"] == 2 for m in same)


def test_email_is_found_case_insensitively(template_run):
    result = find_value(template_run, "JANE.ROE@Example.org", key=KEY)
    assert {m["entity_type"] for m in result.matches} == {"EMAIL_ADDRESS"}
    assert {m["placeholder"] for m in result.matches} == {"EMAIL_1"}
    assert len(result.conversations) == 20


def test_unknown_value_finds_nothing(template_run):
    result = find_value(template_run, "Erika Musterfrau", key=KEY)
    assert (
        result.matches == [] and result.literal_released == [] and result.literal_quarantined == []
    )
    assert report_text(result).startswith("not found among the redactions")


def test_report_names_places_not_values(template_run):
    text = report_text(find_value(template_run, "Jane Roe", key=KEY))
    assert "c00000" in text and "NAME_1" in text and "same placeholder" in text
    for secret in ("Jane", "jane", "Roe", "Max", "Mustermann", "example.org"):
        assert secret not in text
    assert not any(len(word) == 64 for word in text.split())  # no hashes either


def test_literal_leaks_and_quarantine_are_reported(template_run):
    result = find_value(template_run, "jane.roe@example.org", key=KEY)
    assert [(h["conversation_id"], h["message_index"]) for h in result.literal_released] == [
        ("c00000", 0)
    ]
    assert result.literal_released[0]["file"] == "data/part-00000.parquet"
    text = report_text(result)
    assert "WARNING: the released text still contains the value in 1 message(s)" in text
    quarantined = find_value(template_run, "JANE ROE", key=KEY).literal_quarantined
    assert [q["conversation_id"] for q in quarantined] == ["c00058", "c00059"]
    short = find_value(template_run, "Roe", key=KEY)
    assert not short.literal_scanned and "hash only" in report_text(short)


def test_wrong_key_is_refused_with_a_clear_message(template_run, monkeypatch, capsys):
    with pytest.raises(
        UsageError, match="wrong HMAC key: this run was made with the key whose fingerprint is"
    ):
        find_value(template_run, "Jane Roe", key=b"another-key-0123456789")
    monkeypatch.setenv("REDACT_HMAC_KEY", "another-key-0123456789")
    assert main(["audit", "find", "--run", str(template_run), "--value", "Jane Roe"]) == 2
    assert "wrong HMAC key" in capsys.readouterr().err


def test_missing_key_or_run_is_a_usage_error(tmp_path, monkeypatch, template_run):
    monkeypatch.delenv("REDACT_HMAC_KEY", raising=False)
    monkeypatch.setenv("REDACT_KEY_FILE", str(tmp_path / "no.key"))
    with pytest.raises(UsageError, match="no HMAC key"):
        find_value(template_run, "Jane Roe")
    assert not (tmp_path / "no.key").exists()  # a look-up never creates a key
    with pytest.raises(UsageError, match="no run directory"):
        find_value(tmp_path / "missing", "x", key=KEY)
    with pytest.raises(UsageError, match="empty"):
        find_value(template_run, "  ", key=KEY)


def test_cli_reads_the_value_from_stdin(template_run, monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("Jane Roe\n"))
    assert main(["audit", "find", "--run", str(template_run), "--value", "-"]) == 0
    out = capsys.readouterr().out
    assert "redacted 20 time(s) in 20 conversation(s)" in out


def test_real_run_finds_a_redacted_value(session_run, session_input):
    findings = pq.read_table(sorted((session_run / "findings").glob("*.parquet"))[0]).to_pylist()
    target = next(
        f for f in findings if f["entity_type"] in ("EMAIL_ADDRESS", "PERSON", "PHONE_NUMBER")
    )
    records = {
        r["conversation_id"]: r for r in map(json.loads, session_input.read_text().splitlines())
    }
    value = records[target["conversation_id"]]["conversation"][target["message_index"]]["content"][
        target["start"] : target["end"]
    ]
    proc = redact_cli("audit", "find", "--run", str(session_run), "--value", value, check=True)
    assert target["conversation_id"] in proc.stdout and target["placeholder"] in proc.stdout
    assert value not in proc.stdout
    wrong = redact_cli(
        "audit",
        "find",
        "--run",
        str(session_run),
        "--value",
        value,
        env={"REDACT_HMAC_KEY": "not-the-run-key-0123456789"},
    )
    assert wrong.returncode == 2 and "wrong HMAC key" in wrong.stderr
