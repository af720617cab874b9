"""Conversation-wide propagation: a value found once is found in every message."""

from __future__ import annotations

from redact.detect.propagate import propagate
from redact.records import EMAIL_ADDRESS, PERSON, PHONE_NUMBER, Span

THRESHOLDS = {PERSON: 0.5, EMAIL_ADDRESS: 0.5, PHONE_NUMBER: 0.4}


def spans_text(texts, spans):
    return [
        (s.message_index, texts[s.message_index][s.start : s.end], s.entity_type) for s in spans
    ]


def test_full_name_parts_and_case_variants():
    texts = [
        "I'm Anna Kowalski.",
        "Hello ANNA! Tell anna and Mrs kowalski.",
        "anna   kowalski signed",
    ]
    found = [Span(0, 4, 17, PERSON, "SpacyNER", 0.85)]
    got = spans_text(texts, propagate(texts, found, THRESHOLDS))
    assert (1, "ANNA", PERSON) in got
    assert (1, "anna", PERSON) in got
    assert (1, "kowalski", PERSON) in got
    assert (2, "anna   kowalski", PERSON) in got
    assert (0, "Anna Kowalski", PERSON) not in got  # the source span itself is not repeated


def test_ambiguous_parts_need_the_same_capitalisation():
    texts = ["Rose Byrne is here.", "The rose is red. Ask Rose; byrne too."]
    found = [Span(0, 0, 10, PERSON, "SpacyNER", 0.85)]
    got = spans_text(texts, propagate(texts, found, THRESHOLDS))
    assert (1, "Rose", PERSON) in got
    assert (1, "rose", PERSON) not in got
    assert (1, "byrne", PERSON) in got


def test_stop_word_parts_never_propagate_alone():
    texts = ["Will Smith is here.", "I will call Will tomorrow."]
    got = spans_text(
        texts, propagate(texts, [Span(0, 0, 10, PERSON, "SpacyNER", 0.85)], THRESHOLDS)
    )
    assert [g for g in got if g[1].casefold() == "will"] == []


def test_contact_values_and_offsets():
    texts = [
        "Call +44 20 7946 0958 or mail Ann@Example.com",
        "again: ann@example.com, +44 20 7946 0958",
    ]
    found = [
        Span(0, 5, 21, PHONE_NUMBER, "PhoneRecognizer", 0.85),
        Span(0, 30, 45, EMAIL_ADDRESS, "EmailRecognizer", 0.95),
    ]
    got = propagate(texts, found, THRESHOLDS)
    assert sorted((s.message_index, s.start, s.end, s.entity_type) for s in got) == [
        (1, 7, 22, EMAIL_ADDRESS),
        (1, 24, 40, PHONE_NUMBER),
    ]


def test_low_scores_and_word_boundaries():
    texts = ["Anna wrote", "annabelle and anna_list and Anna"]
    weak = [Span(0, 0, 4, PERSON, "GazetteerNames", 0.3)]
    assert propagate(texts, weak, THRESHOLDS) == []
    strong = [Span(0, 0, 4, PERSON, "SpacyNER", 0.85)]
    got = spans_text(texts, propagate(texts, strong, THRESHOLDS))
    assert got == [(1, "Anna", PERSON)]
