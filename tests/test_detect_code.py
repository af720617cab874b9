"""Code awareness: fenced/inline/unfenced code; only strings and comments are open to NER."""

from __future__ import annotations

import pytest

from redact.detect.code import code_ranges, ner_regions, string_and_comment_ranges


def pieces(text, ranges):
    return [text[s:e] for s, e in ranges]


def test_fenced_block():
    text = "Fix this:\n```python\nclass UserManager:\n    name = 'Bob Stone'  # by John Miller\n```\nThanks!"
    prose, literal = ner_regions(text)
    assert pieces(text, prose) == ["Fix this:\n```python\n", "```\nThanks!"]
    assert pieces(text, literal) == ["Bob Stone", " by John Miller"]


def test_inline_code_is_not_prose():
    text = "Rename `UserManager` to `Total` please, Anna."
    prose, literal = ner_regions(text)
    assert "UserManager" not in "".join(pieces(text, prose))
    assert "Anna" in "".join(pieces(text, prose))
    assert literal == []


def test_unfenced_code_lines():
    text = 'Here:\nconst Total = items.length;\nlet author = "Ada Lovelace";\nreturn Total;\nDone.'
    prose, literal = ner_regions(text)
    assert pieces(text, literal) == ["Ada Lovelace"]
    assert "Total" not in "".join(pieces(text, prose))


def test_prose_ending_in_parenthesis_is_prose():
    text = "I met John (my neighbour).\nHe said hi (twice)."
    assert code_ranges(text) == []


@pytest.mark.parametrize(
    "code, expected",
    [
        ('x = "hello world"', ["hello world"]),
        ("s = 'it''s'", ["it", "s"]),
        ('"""Doc by Ada."""\npass', ["Doc by Ada."]),
        ("int a; // owner: Grace\n/* Alan */", [" owner: Grace", " Alan "]),
        ("SELECT 1 -- by Tom", [" by Tom"]),
        ("# comment here\nx = 1", [" comment here"]),
        ("#include <stdio.h>", []),
    ],
)
def test_strings_and_comments(code, expected):
    assert pieces(code, string_and_comment_ranges(code)) == expected


def test_offsets_shift():
    code = 'a = "Bo"'
    assert string_and_comment_ranges(code, offset=10) == [(15, 17)]
