"""Conversation-wide propagation: a value found once is found in every message of the record.

A name detected in turn 1 ("I'm Anna Kowalski") is then found wherever it recurs: the full name
with any spacing and case, and each part on its own ("anna", "KOWALSKI"). Parts that are also
everyday words ("Will" of "Will Smith", "Rose") only match with the same capitalisation, so
"I will" stays. Contact values (emails, phones, IPs, cards, IBANs, IDs, addresses) recur
verbatim (emails case-insensitively), e.g. a phone number whose first mention had a cue.
Replacement then stays a pure function of the spans.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

import regex

from redact.detect.cjk import han_given_name, has_no_space_letters
from redact.detect.lexicon import AMBIGUOUS_GIVEN, not_names
from redact.detect.names import WORD
from redact.records import EMAIL_ADDRESS, PERSON, Span
from redact.replace.normalize import TITLES

RECOGNIZER = "Propagation"


def _boundary(alternatives: list[str]) -> str:
    return rf"(?<![\w@.\-])(?:{'|'.join(alternatives)})(?![\w@\-]|\.\w)"


# In a conversation with letters of scripts written without spaces, such a letter next to a
# value is another word: "我叫王小明" holds "王小明", "김민수입니다" holds "김민수". The `regex`
# module tests these scripts as properties; the same class in `re` takes ~17 ms to compile,
# and patterns here are compiled per conversation.
_NO_SPACE_SCRIPTS = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}"


def _boundary_no_space(alternatives: list[str]) -> str:
    return (
        rf"(?:(?<![\w@.\-])|(?<=[{_NO_SPACE_SCRIPTS}]))(?:{'|'.join(alternatives)})"
        rf"(?:(?![\w@\-]|\.\w)|(?=[{_NO_SPACE_SCRIPTS}]))"
    )


def propagate(
    texts: Sequence[str], spans: Sequence[Span], thresholds: Mapping[str, float]
) -> list[Span]:
    """Spans for every other occurrence of the confident values in `spans` (new spans only)."""
    folded: dict[str, tuple[str, float]] = {}  # case-insensitive pattern -> (type, score)
    exact: dict[str, tuple[str, float]] = {}  # case-sensitive pattern -> (type, score)
    common = not_names()
    for span in spans:
        if span.score < thresholds.get(span.entity_type, 1.1):
            continue
        value = texts[span.message_index][span.start : span.end]
        if not value.strip():
            continue
        if span.entity_type == PERSON:
            given = han_given_name(value)
            if given:
                _put(exact, re.escape(given), PERSON, span.score)
            words = [w for w in WORD.findall(value) if w.casefold().strip(".") not in TITLES]
            if not words:
                continue
            if len(words) > 1:
                full = r"[ \t]+".join(re.escape(w) for w in words)
                _put(folded, full, PERSON, span.score)
            for w in words:
                f = w.casefold()
                if len(w) < 2 or (len(w) == 2 and w.isupper()):
                    continue
                if f in AMBIGUOUS_GIVEN or f in common:
                    if w[:1].isupper() and f not in common:
                        _put(exact, re.escape(w), PERSON, span.score)
                    continue
                _put(folded, re.escape(w), PERSON, span.score)
        else:
            table = folded if span.entity_type == EMAIL_ADDRESS else exact
            _put(table, re.escape(value), span.entity_type, span.score)
    if not folded and not exact:
        return []

    existing: dict[int, list[Span]] = {}
    for s in spans:
        existing.setdefault(s.message_index, []).append(s)

    out: list[Span] = []
    no_space = any(has_no_space_letters(t) for t in texts)
    for table, flags in ((folded, re.IGNORECASE), (exact, 0)):
        if not table:
            continue
        pattern = _compiled(tuple(sorted(table, key=len, reverse=True)), flags, no_space)
        lookup = {_key(k, flags): v for k, v in table.items()}
        for index, text in enumerate(texts):
            for m in pattern.finditer(text):
                s, e = m.start(), m.end()
                entity, score = lookup.get(_norm(m.group(), flags), (PERSON, 0.5))
                if any(x.start <= s and e <= x.end for x in existing.get(index, ())):
                    continue
                out.append(Span(index, s, e, entity, RECOGNIZER, score))
    return out


_SPACES = re.compile(r"[ \t]+")


def _norm(value: str, flags: int) -> str:
    value = _SPACES.sub(" ", value)
    return value.casefold() if flags & re.IGNORECASE else value


def _key(pattern_text: str, flags: int) -> str:
    """The matched text an alternative stands for (inverse of the escaping done above)."""
    value = pattern_text.replace(r"[ \t]+", " ")
    value = re.sub(r"\\(.)", r"\1", value)
    return _norm(value, flags)


@lru_cache(maxsize=4096)
def _compiled(keys: tuple[str, ...], flags: int, no_space: bool = False):
    if no_space:
        return regex.compile(
            _boundary_no_space(list(keys)), regex.IGNORECASE if flags & re.IGNORECASE else 0
        )
    return re.compile(_boundary(list(keys)), flags)


def _put(table: dict[str, tuple[str, float]], key: str, entity: str, score: float) -> None:
    old = table.get(key)
    if old is None or (old[0] == entity and old[1] < score):
        table[key] = (entity, score)
