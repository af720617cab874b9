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


def test_names_next_to_letters_of_scripts_without_spaces():
    texts = [
        "我叫王小明。",
        "好的，王小明！王国很大。",
        "Anna你好",
        "김민수입니다",
        "Anna你好 김민수님",
    ]
    found = [
        Span(0, 2, 5, PERSON, "ChineseNames", 0.8),
        Span(2, 0, 4, PERSON, "GazetteerNames", 0.7),
        Span(3, 0, 3, PERSON, "KoreanNames", 0.8),
    ]
    got = spans_text(texts, propagate(texts, found, THRESHOLDS))
    assert (
        (1, "王小明", PERSON) in got and (4, "Anna", PERSON) in got and (4, "김민수", PERSON) in got
    )
    assert not any(v.startswith("王") and v != "王小明" for _, v, _ in got)


def test_single_character_names_never_propagate():
    texts = ["王先生来了。", "国王和王国"]
    got = propagate(texts, [Span(0, 0, 1, PERSON, "ChineseNames", 0.75)], THRESHOLDS)
    assert got == []


def test_a_chinese_given_name_alone_is_the_same_person():
    texts = ["我叫王海燕。", "好的，海燕！", "海燕飞过大海"]
    got = spans_text(
        texts, propagate(texts, [Span(0, 2, 5, PERSON, "ChineseNames", 0.8)], THRESHOLDS)
    )
    assert (1, "海燕", PERSON) in got
