"""Names in a list with other names: "founders: Bártová, Short and Alvarez".

NER and the name lists find some members of an enumeration of people and miss others (a
surname that is also a word, a rare name). When a list of capitalised one- or two-word items
joined by commas and "and"/"or"/"&" (or their French, German, Spanish, Italian, Portuguese
and Dutch forms) holds a firmly found person, its other members are people too. Guarded so
"Python, Java and Ruby" stays code talk: a member that is an everyday word ("Short") counts
only when two other members are firm names, and identifiers, stop words and all-caps
acronyms never count.
"""

from __future__ import annotations

import regex

from redact.detect.findings import Finding
from redact.detect.lexicon import (
    AMBIGUOUS_GIVEN,
    fold,
    is_dictionary_word,
    is_name_word,
    not_names,
)
from redact.detect.names import looks_like_identifier
from redact.records import PERSON

RECOGNIZER = "ListedNames"
_ITEM = r"\p{Lu}[\p{Ll}\p{M}'’\-]+(?:[ \t]\p{Lu}[\p{Ll}\p{M}'’\-]+)?"
_JOIN = r"(?:,[ \t]*(?:(?:and|or|und|oder|et|ou|y|o|e|en|of)[ \t]+)?|[ \t]+(?:and|or|&|und|oder|et|ou|y|o|e|en)[ \t]+)"
_LIST = regex.compile(rf"(?<![\p{{L}}\-])(?:{_ITEM})(?:{_JOIN}(?:{_ITEM}))+(?![\p{{L}}\-])")
_MEMBER = regex.compile(_ITEM)


def listed_names(text: str, findings: list[Finding]) -> list[Finding]:
    """PERSON findings for list members next to firmly found persons (none already found)."""
    persons = [f for f in findings if f.entity_type == PERSON]
    if not persons:
        return []
    common = not_names()
    out: list[Finding] = []
    for m in _LIST.finditer(text):
        members = [(x.start(), x.end(), x.group()) for x in _MEMBER.finditer(m.group())]
        members = [(m.start() + s, m.start() + e, w) for s, e, w in members]
        if len(members) < 2:
            continue
        found = [_covered(s, e, persons) for s, e, _ in members]
        firm = sum(1 for (_, _, w), hit in zip(members, found, strict=True) if _is_firm(w, hit))
        if not firm:
            continue
        for (s, e, w), hit in zip(members, found, strict=True):
            if hit is not None:
                continue
            words = w.split()
            if any(fold(x) in common or looks_like_identifier(x) for x in words):
                continue
            # this member is not found, so every firm member is another one
            everyday = any(is_dictionary_word(x) and not is_name_word(x) for x in words)
            if everyday and firm < 2:
                continue
            out.append(Finding(s, e, PERSON, RECOGNIZER, 0.6))
    return out


def _covered(start: int, end: int, persons: list[Finding]) -> Finding | None:
    for f in persons:
        if f.start <= start and end <= f.end:
            return f
    return None


def _is_firm(member: str, hit: Finding | None) -> bool:
    """Found as a person and looking like one: a full name, or a known given name or surname
    (NER alone calls "Ruby" or "Terraform" a person now and then)."""
    if hit is None:
        return False
    if len(member.split()) >= 2:
        return True
    return is_name_word(member) and fold(member) not in AMBIGUOUS_GIVEN
