"""Placeholder numbering and consistency: a pure function of texts, spans and policy."""

from __future__ import annotations

import pytest

from policies.model import load_policy
from redact.records import Span
from redact.replace.normalize import normalize_value
from redact.replace.placeholders import redact_conversation


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def span_of(texts, value, entity, occurrence=0, message=None, score=0.9):
    """The span of the n-th occurrence of `value` (in `message`, or the first message holding it)."""
    for i, text in enumerate(texts):
        if message is not None and i != message:
            continue
        start = -1
        for _ in range(occurrence + 1):
            start = text.find(value, start + 1)
            if start < 0:
                break
        if start >= 0:
            return Span(i, start, start + len(value), entity, "test", score)
    raise AssertionError(f"{value!r} not in texts")


def test_numbered_per_type_in_order_of_first_appearance(policy):
    texts = ["Mail bob@x.org or amy@y.org, says Bob Stone.", "Also Ann Lee at amy@y.org."]
    spans = [
        span_of(texts, "bob@x.org", "EMAIL_ADDRESS"),
        span_of(texts, "amy@y.org", "EMAIL_ADDRESS"),
        span_of(texts, "Bob Stone", "PERSON"),
        span_of(texts, "Ann Lee", "PERSON"),
        span_of(texts, "amy@y.org", "EMAIL_ADDRESS", message=1),
    ]
    out = redact_conversation(texts, spans, policy)
    assert out.texts == ["Mail EMAIL_1 or EMAIL_2, says NAME_1.", "Also NAME_2 at EMAIL_2."]
    assert out.redacted


def test_same_value_same_placeholder_across_turns_and_case(policy):
    texts = ["I am John Smith.", "Hello JOHN SMITH!", "Bye john   smith"]
    spans = [
        span_of(texts, "John Smith", "PERSON"),
        span_of(texts, "JOHN SMITH", "PERSON"),
        span_of(texts, "john   smith", "PERSON"),
    ]
    out = redact_conversation(texts, spans, policy)
    assert out.texts == ["I am NAME_1.", "Hello NAME_1!", "Bye NAME_1"]


def test_full_name_claims_first_and_last_name(policy):
    texts = ["Smith called.", "This is John Smith.", "Thanks John; and Mary too."]
    spans = [
        span_of(texts, "Smith", "PERSON"),
        span_of(texts, "John Smith", "PERSON"),
        span_of(texts, "John", "PERSON", message=2),
        span_of(texts, "Mary", "PERSON"),
    ]
    out = redact_conversation(texts, spans, policy)
    assert out.texts == ["NAME_1 called.", "This is NAME_1.", "Thanks NAME_1; and NAME_2 too."]


def test_existing_placeholders_are_kept_and_their_numbers_skipped(policy):
    texts = ["NAME_1 wrote to EMAIL_2 and Jane Doe.", "Jane replied from jane@doe.com"]
    spans = [
        span_of(texts, "NAME_1", "PERSON"),  # a detector mistaking a placeholder for a name
        span_of(texts, "Jane Doe", "PERSON"),
        span_of(texts, "Jane", "PERSON", message=1),
        span_of(texts, "jane@doe.com", "EMAIL_ADDRESS"),
    ]
    out = redact_conversation(texts, spans, policy)
    assert out.texts == ["NAME_1 wrote to EMAIL_2 and NAME_2.", "NAME_2 replied from EMAIL_1"]
    assert {r.placeholder for r in out.replacements} == {"NAME_2", "EMAIL_1"}


def test_overlaps_resolved_in_favour_of_precise_types(policy):
    texts = ["write to john.smith@example.com now"]
    spans = [
        span_of(texts, "john.smith", "PERSON"),
        span_of(texts, "john.smith@example.com", "EMAIL_ADDRESS"),
    ]
    out = redact_conversation(texts, spans, policy)
    assert out.texts == ["write to EMAIL_1 now"]
    assert len(out.replacements) == 1


@pytest.mark.parametrize(
    ("text", "person", "other", "other_type", "expected"),
    [
        # the weaker span keeps its words outside the stronger one
        ("Mrs. Stephanie Stevenson Apt. 189 Main Street", "Stephanie Stevenson Apt",
         "Apt. 189 Main Street", "STREET_ADDRESS", "Mrs. NAME_1 ADDRESS_1"),
        # a name glued to a placeholder already in the input: the name still goes
        ("Thanks NAME_1 Allen!", "NAME_1 Allen", None, None, "Thanks NAME_1 NAME_2!"),
        # a remainder that is part of a word is dropped, never half a word replaced
        ("mail jsmith@example.com", "jsmith@exam", "jsmith@example.com", "EMAIL_ADDRESS",
         "mail EMAIL_1"),
    ],
)  # fmt: skip
def test_partial_overlap_keeps_the_rest_of_the_weaker_span(
    policy, text, person, other, other_type, expected
):
    texts = [text]
    spans = [span_of(texts, person, "PERSON")]
    if other:
        spans.append(span_of(texts, other, other_type))
    assert redact_conversation(texts, spans, policy).texts == [expected]


@pytest.mark.parametrize(
    ("entity", "score", "replaced"),
    [
        ("PERSON", 0.9, True),
        ("PERSON", 0.1, False),
        ("LOCATION", 0.99, False),
        ("URL", 0.99, False),
    ],
)
def test_policy_decides_types_and_thresholds(policy, entity, score, replaced):
    texts = ["visit Paris today"]
    out = redact_conversation(texts, [span_of(texts, "Paris", entity, score=score)], policy)
    assert (out.texts[0] != texts[0]) is replaced
    assert out.redacted is replaced


def test_pure_function_same_inputs_same_outputs(policy):
    texts = ["Call +1 415 555 0134 or 415-555-0134, Ann."]
    spans = [
        span_of(texts, "+1 415 555 0134", "PHONE_NUMBER"),
        span_of(texts, "415-555-0134", "PHONE_NUMBER"),
        span_of(texts, "Ann", "PERSON"),
    ]
    first = redact_conversation(texts, list(reversed(spans)), policy)
    second = redact_conversation(texts, spans, policy)
    assert first.texts == second.texts
    assert texts == ["Call +1 415 555 0134 or 415-555-0134, Ann."]  # input untouched


def test_offsets_refer_to_the_original_text(policy):
    texts = ["Hi Ann, mail ann@a.io"]
    spans = [span_of(texts, "Ann", "PERSON"), span_of(texts, "ann@a.io", "EMAIL_ADDRESS")]
    out = redact_conversation(texts, spans, policy)
    for r in out.replacements:
        assert texts[0][r.span.start : r.span.end] in ("Ann", "ann@a.io")


@pytest.mark.parametrize(
    ("entity", "a", "b"),
    [
        ("PERSON", "Dr. Jane Roe", "jane roe"),
        ("PERSON", "Jane Roe's", "Jane Roe"),
        ("EMAIL_ADDRESS", "Bob@X.org", "bob@x.org"),
        ("PHONE_NUMBER", "(415) 555-0134", "415.555.0134"),
        ("CREDIT_CARD", "4111 1111 1111 1111", "4111-1111-1111-1111"),
        ("IBAN_CODE", "de89 3704 0044 0532 0130 00", "DE89370400440532013000"),
    ],
)
def test_normalisation_treats_variants_as_one_value(entity, a, b):
    assert normalize_value(entity, a) == normalize_value(entity, b)
