"""The gate's independent residual scanner: checksummed patterns, NER names, placeholders
ignored, and hits that carry locations, never values."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from policies.gate.residual import ResidualScanner, chunks, in_fraction
from policies.model import load_policy
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def scanner():
    return ResidualScanner(load_policy(ROOT / "policies" / "public-release.yaml"))


def record(*texts: str, language: str = "English", cid: str = "c1") -> dict:
    return {
        "conversation_id": cid,
        "language": language,
        "conversation": [
            {"role": "user" if i % 2 == 0 else "assistant", "content": t}
            for i, t in enumerate(texts)
        ],
    }


def types(scanner, *texts, **kw) -> list[str]:
    return [h.type for h in scanner.scan([record(*texts, **kw)]).hits]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("write to jane.roe@example.org please", "EMAIL_ADDRESS"),
        ("call me on +1 415-555-0132 tomorrow", "PHONE_NUMBER"),
        ("the server is at 192.168.20.14 now", "IP_ADDRESS"),
        ("card 4111 1111 1111 1111 expires soon", "CREDIT_CARD"),
        ("send it to DE89 3704 0044 0532 0130 00 today", "IBAN_CODE"),
        ("my ssn is 536-22-1234 ok", "NATIONAL_ID"),
        ("我的服务器148.8.198.81拒绝连接", "IP_ADDRESS"),  # no word boundary next to CJK
        ("帮胡杰写一封求职信，电话+86 171 7639 6663，住址", "PHONE_NUMBER"),
    ],
)
def test_contact_details_are_found(scanner, text, expected):
    assert expected in types(scanner, text)


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112 expires soon",  # fails Luhn
        "send it to DE89 3704 0044 0532 0130 01 today",  # fails mod-97
        "my ssn is 000-22-1234 ok",  # invalid area number
        "version 1.2.3 of the library",
        "see section 1.2.3.4 of the spec",
        "dial 1687 for the front desk",  # short codes reach no person
    ],
)
def test_checksums_reject_lookalikes(scanner, text):
    assert types(scanner, text) == []


def test_placeholders_are_never_hits(scanner):
    text = "Hello NAME_1, I forwarded EMAIL_2 to NAME_3 NAME_4 and PHONE_1 at IP_1 (IBAN_1, ID_1)."
    assert scanner.scan([record(text, text)]).hits == []


def test_names_are_found_with_ner_and_placeholder_parts_stripped(scanner):
    hits = scanner.scan(
        [record("My colleague Jonathan Pemberton said hello to NAME_2 yesterday.")]
    ).hits
    assert [(h.type, h.offset, h.length) for h in hits] == [
        ("PERSON", 13, len("Jonathan Pemberton"))
    ]
    # A surname left next to a placeholder is a hit of its own.
    text = "Regards, NAME_1 Pemberton from the office in London."
    found = [h for h in scanner.scan([record(text)]).hits if h.type == "PERSON"]
    assert all(text[h.offset : h.offset + h.length] != "NAME_1" for h in found)


def test_languages_without_a_model_get_patterns_only(scanner):
    result = scanner.scan([record("Jonathan Pemberton: jane.roe@example.org", language="German")])
    assert [h.type for h in result.hits] == ["EMAIL_ADDRESS"]
    assert result.ner_scanned == 0 and result.scanned == 1


def test_hits_hold_locations_never_values(scanner):
    secret = "quentin.zarathustra@example.org"
    result = scanner.scan(
        [record("intro", f"Contact {secret} or Quentin Zarathustra.", cid="conv-9")]
    )
    assert {h.type for h in result.hits} == {"EMAIL_ADDRESS", "PERSON"}
    email = next(h for h in result.hits if h.type == "EMAIL_ADDRESS")
    assert (email.conversation_id, email.message_index, email.offset, email.length) == (
        "conv-9",
        1,
        8,
        len(secret),
    )
    dumped = json.dumps([asdict(h) for h in result.hits]) + json.dumps(result.to_dict())
    assert secret not in dumped and "Zarathustra" not in dumped


def test_offsets_hold_across_chunks():
    pieces = list(chunks("word " * 30_000, size=10_000))
    assert "".join(p for _, p in pieces) == "word " * 30_000
    assert all(text == ("word " * 30_000)[off : off + len(text)] for off, text in pieces)


def test_scan_fraction_is_deterministic():
    ids = [f"c{i}" for i in range(2000)]
    chosen = [c for c in ids if in_fraction(c, 0.25)]
    assert chosen == [c for c in ids if in_fraction(c, 0.25)]
    assert 400 < len(chosen) < 600
    assert all(in_fraction(c, 1.0) for c in ids)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Please send the letter to Mrs NAME_1 today.", []),
        ("Dr. NAME_1 Pemberton will see you now.", ["Pemberton"]),
        ("Draft a payment reminder to NAME_1 Allen: the invoice is due.", ["Allen"]),
        ("const users = new Map();\nusers.set(1, NAME_1);", []),
        ("Format this contact card: NAME_1, EMAIL_1, PHONE_1.", []),
        ("class CustomerStore extends BaseStore {}", []),
        ("I wrote it in Python for NAME_2.", []),
        ("Yesterday I met Jonathan Pemberton at the station.", ["Jonathan Pemberton"]),
    ],
)
def test_name_precision_rules(scanner, text, expected):
    hits = [h for h in scanner.scan([record(text)]).hits if h.type == "PERSON"]
    assert [text[h.offset : h.offset + h.length] for h in hits] == expected
