"""`redact eval`: data sets, metrics, the generator, the CLI, and the issue's quality targets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from policies.model import load_policy
from redact.evaluation.datasets import GROUPS, Label, LabeledRecord, load_dataset
from redact.evaluation.generate import generate
from redact.evaluation.metrics import score
from redact.evaluation.systems import Removal
from redact.records import Message, Record

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "eval"
SMALL = DATA / "conversations_small.jsonl"
PRESIDIO = DATA / "presidio_evaluator_200.json"


# ----------------------------------------------------------------------------- data sets
def test_load_presidio_evaluator_json():
    data = load_dataset(PRESIDIO)
    assert len(data) == 200
    first = data[0]
    assert first.record.language == "English" and len(first.record.messages) == 1
    groups = {lab.group for d in data for lab in d.labels}
    assert {"NAME", "ADDRESS", "CARD", "PHONE"} <= groups
    assert None in groups  # GPE, ORGANIZATION, DATE_TIME... are labelled non-targets
    for d in data:
        text = d.record.messages[0].content
        for lab in d.labels:
            assert 0 <= lab.start < lab.end <= len(text)


def test_load_labeled_conversations():
    data = load_dataset(SMALL)
    assert len(data) == 40
    assert len({d.record.language for d in data}) >= 6
    for d in data:
        for lab in d.labels:
            assert lab.group in GROUPS
            assert d.record.messages[lab.message_index].content[lab.start : lab.end].strip()


def test_bad_dataset_is_a_usage_error(tmp_path):
    from redact.errors import UsageError

    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"conversation_id": "x", "conversation": [{"role": "user", "content": "hi"}], '
        '"labels": [{"message_index": 0, "start": 0, "end": 9, "entity_type": "PERSON"}]}\n'
    )
    with pytest.raises(UsageError, match="outside"):
        load_dataset(bad)
    with pytest.raises(UsageError, match="not found"):
        load_dataset(tmp_path / "missing.json")


# ----------------------------------------------------------------------------- generator
def test_generator_is_deterministic_and_covers_the_brief():
    a = generate(60, seed=5)
    assert a == generate(60, seed=5)
    assert a != generate(60, seed=6)
    texts = "\n".join(m["content"] for r in a for m in r["conversation"])
    names = [
        r["conversation"][lab["message_index"]]["content"][lab["start"] : lab["end"]]
        for r in a
        for lab in r["labels"]
        if lab["entity_type"] == "PERSON"
    ]
    assert any(n.islower() for n in names) and any(n.isupper() for n in names)
    assert "```" in texts and "UserManager" in texts and "NAME_1" in texts and "1.2.3.4" in texts
    assert len({r["language"] for r in a}) >= 6
    assert {r["conversation"][0]["role"] for r in a} == {"user"}
    assert {m["role"] for r in a for m in r["conversation"]} == {"user", "assistant"}
    types = {lab["entity_type"] for r in a for lab in r["labels"]}
    assert {
        "PERSON",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "STREET_ADDRESS",
        "IP_ADDRESS",
        "CREDIT_CARD",
        "IBAN_CODE",
    } <= types


# ----------------------------------------------------------------------------- metrics
def _toy() -> LabeledRecord:
    texts = ["Hi Anna Lee, call 555-0100 now", "Anna said hi"]
    record = Record("t", [Message("user", texts[0]), Message("assistant", texts[1])], "English")
    labels = [
        Label(0, 3, 11, "PERSON", "NAME", "p1"),
        Label(0, 18, 26, "PHONE_NUMBER", "PHONE"),
        Label(1, 0, 4, "PERSON", "NAME", "p1"),
    ]
    return LabeledRecord(record, labels)


def test_metrics_leak_precision_recall_overredaction():
    item = _toy()
    removals = [
        [
            Removal(
                0, 3, 7, "NAME", "NAME_1"
            ),  # "Anna": 4 of 7 letters of "Anna Lee" -> not leaked
            Removal(0, 18, 21, "PHONE", "PHONE_1"),  # "555": 3 of 7 digits -> leaked
            Removal(0, 27, 30, "NAME", "NAME_2"),  # "now": over-redaction
            Removal(1, 0, 4, "NAME", "NAME_1"),
        ]
    ]
    result = score([item], removals)
    name, phone = result["groups"]["NAME"], result["groups"]["PHONE"]
    assert name["mentions"] == 2 and name["leaked"] == 0
    assert phone["mentions"] == 1 and phone["leaked"] == 1
    assert name["recall"] == round(8 / 11, 4)
    assert name["precision"] == round(8 / 11, 4) and name["over_redaction"] == round(3 / 11, 4)
    assert result["overall"]["over_redaction"] == round(3 / 14, 4)
    assert result["consistency"] == {"entities": 1, "consistent": 1, "rate": 1.0}


def test_metrics_consistency_breaks_on_split_or_shared_placeholders():
    item = _toy()
    split = [[Removal(0, 3, 11, "NAME", "NAME_1"), Removal(1, 0, 4, "NAME", "NAME_2")]]
    assert score([item], split)["consistency"]["rate"] == 0.0
    item.labels.append(Label(0, 27, 30, "PERSON", "NAME", "p2"))
    shared = [
        [
            Removal(0, 3, 11, "NAME", "<PERSON>"),
            Removal(1, 0, 4, "NAME", "<PERSON>"),
            Removal(0, 27, 30, "NAME", "<PERSON>"),
        ]
    ]
    assert score([item], shared)["consistency"]["rate"] == 0.0


# ----------------------------------------------------------------------------- real path
@pytest.fixture(scope="module")
def ours():
    from redact.evaluation.systems import OurSystem

    return OurSystem(load_policy())


def test_targets_on_generated_conversations(ours):
    """The issue's targets, on a larger generated set (seed 2; docs report held-out seed 99)."""
    rows = generate(150, seed=2)
    path_rows = [json.dumps(r) for r in rows]
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        f.write("\n".join(path_rows) + "\n")
    data = load_dataset(f.name)
    os.unlink(f.name)
    result = score(data, ours.run(data).removals)
    g = result["groups"]
    assert g["NAME"]["leak_rate"] <= 0.05
    assert g["NAME"]["over_redaction"] <= 0.10
    for group in ("EMAIL", "IP", "CARD", "IBAN"):
        assert (g[group]["leak_rate"] or 0) <= 0.005, group
    assert g["PHONE"]["leak_rate"] <= 0.02
    assert g["ADDRESS"]["leak_rate"] <= 0.15
    assert result["consistency"]["rate"] == 1.0


def test_better_than_the_issue_says_presidio_is_on_its_own_data(ours):
    """Plain Presidio leaks roughly a fifth of names and most street addresses here."""
    data = load_dataset(PRESIDIO)
    g = score(data, ours.run(data).removals)["groups"]
    assert g["NAME"]["leak_rate"] <= 0.13
    assert g["ADDRESS"]["leak_rate"] <= 0.30
    assert g["CARD"]["leak_rate"] == 0.0


def test_cli_eval_with_baseline(tmp_path):
    subset = tmp_path / "five.jsonl"
    subset.write_text(
        "".join(SMALL.read_text(encoding="utf-8").splitlines(keepends=True)[:5]), encoding="utf-8"
    )
    out = tmp_path / "eval.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "redact",
            "eval",
            "--dataset",
            str(subset),
            "--baseline",
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert (
        "leak rate" in proc.stdout
        and "presidio" in proc.stdout
        and "placeholder consistency" in proc.stdout
    )
    report = json.loads(out.read_text())
    assert set(report["systems"]) == {"redact", "presidio"}
    assert report["records"] == 5
    for system in report["systems"].values():
        assert set(system["groups"]) == set(GROUPS)


def test_cli_eval_missing_dataset_exits_2(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "redact", "eval", "--dataset", str(tmp_path / "nope.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "not found" in proc.stderr
