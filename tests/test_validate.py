"""Input validation: every bad-record kind gets a clear reason that names the field, not the text."""

from __future__ import annotations

import json

import pytest

from redact.errors import RecordError
from redact.io.validate import to_record

GOOD = {
    "conversation_id": "c1",
    "model": "vicuna-13b",
    "conversation": [{"content": "hello", "role": "user"}, {"content": "hi", "role": "assistant"}],
    "turn": 1,
    "language": "English",
}


def test_good_record_keeps_every_field_in_order():
    row = {**GOOD, "user_id": "u9", "custom": [1, 2]}
    record = to_record(row, "f.jsonl:line 1")
    assert record.conversation_id == "c1"
    assert [m.role for m in record.messages] == ["user", "assistant"]
    assert list(record.extra) == ["model", "turn", "language", "user_id", "custom"]


def test_drop_list_removes_fields():
    row = {**GOOD, "user_id": "u9", "tstamp": 1.0, "ip": "1.2.3.4"}
    record = to_record(row, "s", drop_fields=frozenset({"user_id", "tstamp", "ip"}))
    assert "user_id" not in record.extra and "tstamp" not in record.extra and "ip" not in record.extra


def test_conversation_as_json_string_is_accepted():
    row = {**GOOD, "conversation": json.dumps(GOOD["conversation"])}
    assert [m.content for m in to_record(row, "s").messages] == ["hello", "hi"]


def test_missing_turn_is_counted_from_user_messages():
    row = {k: v for k, v in GOOD.items() if k != "turn"}
    assert to_record(row, "s").extra["turn"] == 1


SECRET = "Jane Secret-Person jane@secret.example"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ([1, 2], "must be a JSON object"),
        ({**GOOD, "conversation_id": None}, "missing field 'conversation_id'"),
        ({k: v for k, v in GOOD.items() if k != "conversation_id"}, "missing field 'conversation_id'"),
        ({**GOOD, "conversation_id": 12}, "'conversation_id' must be a non-empty string"),
        ({**GOOD, "conversation": None}, "missing field 'conversation'"),
        ({**GOOD, "conversation": []}, "'conversation' is empty"),
        ({**GOOD, "conversation": {"content": SECRET}}, "must be a list"),
        ({**GOOD, "conversation": "[{" + SECRET}, "not valid JSON"),
        ({**GOOD, "conversation": [SECRET]}, "conversation[0] must be an object"),
        ({**GOOD, "conversation": [{"content": 5, "role": "user"}]}, "conversation[0].content must be a string, got int"),
        ({**GOOD, "conversation": [{"content": SECRET}]}, "conversation[0].role must be a string"),
        ({**GOOD, "turn": "2"}, "'turn' must be an integer, got str"),
        ({**GOOD, "turn": True}, "'turn' must be an integer"),
        ({**GOOD, "model": 3}, "'model' must be a string"),
        ({**GOOD, "language": ["en"]}, "'language' must be a string"),
        ({**GOOD, "openai_moderation": 5}, "'openai_moderation' must be a list"),
    ],
)
def test_bad_records_are_refused_with_a_reason(row, expected):
    with pytest.raises(RecordError) as err:
        to_record(row, "s")
    assert expected in err.value.reason
    assert "Secret" not in err.value.reason and "secret.example" not in err.value.reason


def test_oversized_message_is_refused_with_the_policy_key():
    row = {**GOOD, "conversation": [{"content": "x" * 101, "role": "user"}]}
    with pytest.raises(RecordError) as err:
        to_record(row, "s", max_message_chars=100)
    assert "detection.max_message_chars=100" in err.value.reason
