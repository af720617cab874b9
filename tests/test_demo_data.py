"""The synthetic LMSYS-shaped generator: schema, determinism, plants, languages, outputs, CLI."""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter

import pyarrow.parquet as pq
import pytest

from redact.demo_data import (
    MODERATION_CATEGORIES,
    generate_conversations,
    generate_labeled,
    iban_ok,
    token_estimate,
    write_demo_data,
)
from redact.io.validate import to_record
from redact.records import ENTITY_TYPES
from tests.conftest import redact_cli


@pytest.fixture(scope="module")
def labeled():
    return list(generate_labeled(600, 99))


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def test_schema(labeled):
    ids = set()
    for record, _ in labeled:
        assert set(record) >= {
            "conversation_id", "model", "conversation", "turn", "language", "openai_moderation", "user_id", "tstamp",
        }  # fmt: skip
        assert re.fullmatch(r"[0-9a-f]{32}", record["conversation_id"])
        ids.add(record["conversation_id"])
        conv = record["conversation"]
        assert conv and len(conv) % 2 == 0
        assert [m["role"] for m in conv] == ["user", "assistant"] * (len(conv) // 2)
        assert all(isinstance(m["content"], str) and m["content"] for m in conv)
        assert record["turn"] == len(conv) // 2
        assert len(record["openai_moderation"]) == len(conv)
        for mod in record["openai_moderation"]:
            assert set(mod["categories"]) == set(MODERATION_CATEGORIES)
            assert set(mod["category_scores"]) == set(MODERATION_CATEGORIES)
            assert all(isinstance(v, bool) for v in mod["categories"].values())
            assert all(0 <= v <= 1 for v in mod["category_scores"].values())
            assert mod["flagged"] == any(mod["categories"].values())
        to_record(record, "test")  # the pipeline's validator accepts every record
    assert len(ids) == len(labeled)


def test_distribution_like_lmsys(labeled):
    records = [r for r, _ in labeled]
    models = Counter(r["model"] for r in records)
    assert models.most_common(1)[0][0] == "vicuna-13b"
    assert 8 <= len(models) <= 15
    turns = [r["turn"] for r in records]
    assert 1.6 <= statistics.mean(turns) <= 2.5
    assert sum(t <= 2 for t in turns) / len(turns) > 0.7
    user = [
        token_estimate(m["content"])
        for r in records
        for m in r["conversation"]
        if m["role"] == "user"
    ]
    bot = [
        token_estimate(m["content"])
        for r in records
        for m in r["conversation"]
        if m["role"] == "assistant"
    ]
    assert 45 <= statistics.mean(user) <= 110
    assert 150 <= statistics.mean(bot) <= 300
    with_pii = sum(bool(p) for _, p in labeled) / len(labeled)
    assert 0.5 <= with_pii <= 0.7
    code = sum("```" in m["content"] for r in records for m in r["conversation"])
    assert code > 50
    assert any("NAME_1" in m["content"] for r in records for m in r["conversation"])


def test_languages(labeled):
    langs = Counter(r["language"] for r, _ in labeled)
    assert langs.most_common(1)[0][0] == "English"
    assert 0.6 <= langs["English"] / len(labeled) <= 0.85
    assert set(langs) == {
        "English",
        "French",
        "German",
        "Spanish",
        "Portuguese",
        "Italian",
        "Russian",
        "Chinese",
    }
    text = {lang: " ".join(m["content"] for r, _ in labeled if r["language"] == lang for m in r["conversation"])
            for lang in langs}  # fmt: skip
    assert re.search(r"[\u0400-\u04ff]{4}", text["Russian"])
    assert re.search(r"[\u4e00-\u9fff]{4}", text["Chinese"])
    assert not re.search(r"[\u4e00-\u9fff]", text["English"])
    assert re.search(r"[éèàç]", text["French"])
    assert re.search(r"[äöüß]", text["German"])


def test_plants_present_and_valid(labeled):
    types = Counter()
    roles = Counter()
    for record, plants in labeled:
        for p in plants:
            assert p["entity_type"] in ENTITY_TYPES
            msg = record["conversation"][p["message_index"]]
            assert p["value"] in msg["content"], p
            types[p["entity_type"]] += 1
            roles[msg["role"]] += 1
            if p["entity_type"] == "CREDIT_CARD":
                digits = re.sub(r"[ -]", "", p["value"])
                assert digits.isdigit() and 13 <= len(digits) <= 19 and _luhn(digits)
            elif p["entity_type"] == "IBAN_CODE":
                assert iban_ok(p["value"])
            elif p["entity_type"] == "IP_ADDRESS":
                assert re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", p["value"])
            elif p["entity_type"] == "EMAIL_ADDRESS":
                assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z.]+", p["value"])
            elif p["entity_type"] == "NATIONAL_ID":
                assert re.fullmatch(r"\d{3}-\d{2}-\d{4}", p["value"])
    for t in ("PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS", "IP_ADDRESS", "CREDIT_CARD", "IBAN_CODE",
              "NATIONAL_ID"):  # fmt: skip
        assert types[t] > 0, t
    assert roles["user"] > 0 and roles["assistant"] > 0
    # later first-name-only mentions of a person named in full earlier
    first_only = 0
    for _, plants in labeled:
        names = [p["value"] for p in plants if p["entity_type"] == "PERSON"]
        first_only += any(a != b and b.startswith(a + " ") for a in names for b in names)
    assert first_only > 5


def test_code_blocks_carry_pii(labeled):
    found = False
    for record, plants in labeled:
        for p in plants:
            content = record["conversation"][p["message_index"]]["content"]
            if (
                p["entity_type"] == "EMAIL_ADDRESS"
                and "```" in content
                and re.search(r"(class|const|INSERT) ", content)
            ):
                found = True
    assert found


def test_deterministic_and_seed_sensitive():
    a = list(generate_labeled(40, 5))
    b = list(generate_labeled(40, 5))
    c = list(generate_labeled(40, 6))
    assert a == b
    assert [r["conversation_id"] for r, _ in a] != [r["conversation_id"] for r, _ in c]
    assert list(generate_conversations(40, 5)) == [r for r, _ in a]


def test_no_repeated_paragraphs_across_conversations(labeled):
    """Long paragraphs are not shared between conversations (a text cache gains nothing)."""
    paras = Counter()
    for record, _ in labeled:
        paras.update(
            {p for m in record["conversation"] for p in m["content"].split("\n\n") if len(p) > 200}
        )
    assert paras and paras.most_common(1)[0][1] == 1


def test_write_jsonl_and_parquet(tmp_path):
    jl = tmp_path / "d.jsonl"
    pqf = tmp_path / "sub" / "d.parquet"
    assert write_demo_data(jl, 25, seed=3) == 25
    assert write_demo_data(pqf, 25, seed=3) == 25
    rows = [json.loads(line) for line in jl.read_text(encoding="utf-8").splitlines()]
    assert rows == list(generate_conversations(25, 3))
    table = pq.read_table(pqf)
    assert table.num_rows == 25
    assert table.column_names[:6] == ["conversation_id", "model", "conversation", "turn", "language",
                                      "openai_moderation"]  # fmt: skip
    assert table.to_pylist() == rows
    # same seed, same bytes
    again = tmp_path / "e.jsonl"
    write_demo_data(again, 25, seed=3)
    assert again.read_bytes() == jl.read_bytes()


def test_cli_demo_data(tmp_path):
    out = tmp_path / "cli.jsonl"
    proc = redact_cli(
        "demo-data", "--n", "12", "--out", str(out), "--seed", "4", check=True, timeout=120
    )
    assert "12" in proc.stdout
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows == list(generate_conversations(12, 4))
    out_pq = tmp_path / "cli.parquet"
    redact_cli("demo-data", "--n", "7", "--out", str(out_pq), check=True, timeout=120)
    assert pq.read_table(out_pq).num_rows == 7
