"""Names given as the answer to a question for them, in the next message."""

from __future__ import annotations

import pytest

from redact.detect.answers import answered_names
from redact.records import PERSON


@pytest.mark.parametrize(
    "texts, expected",
    [
        (["Nice to meet you! What's your name?", "sjöberg"], [(1, "sjöberg")]),
        (["Hello. What is your first name? 😊", "Anna Maria."], [(1, "Anna Maria")]),
        (["Wie heißt du?", "Jürgen"], [(1, "Jürgen")]),
        (
            ["What's your name?", "Tuomo", "What's your name?", "Ingrid"],
            [(1, "Tuomo"), (3, "Ingrid")],
        ),
    ],
)
def test_answers(texts, expected):
    spans = answered_names(texts)
    assert [(s.message_index, texts[s.message_index][s.start : s.end]) for s in spans] == expected
    assert all(s.entity_type == PERSON for s in spans)


@pytest.mark.parametrize(
    "texts",
    [
        ["What's your name?", "Why do you ask?"],
        ["What's your name?", "I'd rather not say"],
        ["What is the name of the capital of France?", "Paris"],
        ["What's your name?", "UserManager"],
        ["What's your name? Also, what do you do?", "I code"],
        ["Tell me a story.", "Anna"],
        ["What's your name?", "My name is a secret and I will not tell you at all"],
    ],
)
def test_not_answers(texts):
    assert answered_names(texts) == []
