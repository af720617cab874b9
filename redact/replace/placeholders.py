"""Placeholder assignment for one conversation.

Rules (DESIGN.md): placeholders are numbered per conversation and prefix in order of first
appearance; the same normalised value gets the same placeholder in every message; a detected
full name also claims its first and last name on their own; placeholders already present in
the input are never PII and their numbers are never reused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from policies.model import PLACEHOLDER_PREFIXES, Policy
from redact.records import (
    CREDIT_CARD,
    EMAIL_ADDRESS,
    IBAN_CODE,
    IP_ADDRESS,
    NATIONAL_ID,
    PERSON,
    PHONE_NUMBER,
    STREET_ADDRESS,
    URL,
    Span,
)
from redact.replace.normalize import name_tokens, normalize_value

# Lower wins when spans overlap: precise pattern types beat fuzzy NER types.
_PRIORITY = {
    EMAIL_ADDRESS: 0,
    CREDIT_CARD: 1,
    IBAN_CODE: 1,
    URL: 2,
    IP_ADDRESS: 2,
    NATIONAL_ID: 3,
    PHONE_NUMBER: 3,
    STREET_ADDRESS: 4,
    PERSON: 5,
}


def placeholder_pattern(prefixes: Iterable[str]) -> re.Pattern[str]:
    alternatives = "|".join(sorted({re.escape(p) for p in prefixes}, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9_])({alternatives})_(\d+)(?![A-Za-z0-9_])")


@dataclass(frozen=True, slots=True)
class Replacement:
    """One replaced span; `value_key` is the normalised value (hashed before it leaves memory)."""

    span: Span
    placeholder: str
    value_key: str


@dataclass(slots=True)
class RedactedConversation:
    texts: list[str]
    replacements: list[Replacement]

    @property
    def redacted(self) -> bool:
        return bool(self.replacements)


def existing_placeholders(
    texts: Sequence[str], pattern: re.Pattern[str]
) -> list[tuple[int, int, int, str, int]]:
    """(message_index, start, end, prefix, number) of placeholders already in the input."""
    found = []
    for i, text in enumerate(texts):
        for m in pattern.finditer(text):
            found.append((i, m.start(), m.end(), m.group(1), int(m.group(2))))
    return found


def select_spans(
    texts: Sequence[str], spans: Iterable[Span], policy: Policy, pattern: re.Pattern[str]
) -> list[Span]:
    """Spans the policy redacts, without overlaps and never touching an existing placeholder."""
    taken = [
        Span(i, s, e, "_PLACEHOLDER", "input", 1.0)
        for i, s, e, _, _ in existing_placeholders(texts, pattern)
    ]
    candidates = []
    for span in spans:
        rule = policy.entities.get(span.entity_type)
        if rule is None or span.score < rule.threshold or span.end <= span.start:
            continue
        if not texts[span.message_index][span.start : span.end].strip():
            continue
        candidates.append(span)
    candidates.sort(
        key=lambda s: (
            _PRIORITY.get(s.entity_type, 9),
            -(s.end - s.start),
            -s.score,
            s.message_index,
            s.start,
        )
    )
    chosen: list[Span] = []
    for span in candidates:
        blocking = [o for o in (*taken, *chosen) if span.overlaps(o)]
        if not blocking:
            chosen.append(span)
            continue
        # A partial overlap keeps the rest of the weaker span ("Stephanie Stevenson Apt" as
        # PERSON beside the address "Apt. 189 ..."): dropping it whole would leak the name.
        for start, end in _free_parts(texts[span.message_index], span, blocking):
            chosen.append(Span(span.message_index, start, end, span.entity_type,
                               span.recognizer, span.score))  # fmt: skip
    chosen.sort(key=lambda s: (s.message_index, s.start))
    return chosen


def _free_parts(text: str, span: Span, blocking: Sequence[Span]) -> list[tuple[int, int]]:
    """Pieces of `span` outside the blocking spans, trimmed to whole words with 2+ letters or
    digits; a piece that starts or ends inside a word is dropped."""
    pieces, cursor = [], span.start
    for other in sorted(blocking, key=lambda o: o.start):
        if other.start > cursor:
            pieces.append((cursor, min(other.start, span.end)))
        cursor = max(cursor, other.end)
    if cursor < span.end:
        pieces.append((cursor, span.end))
    out = []
    for start, end in pieces:
        while start < end and not text[start].isalnum():
            start += 1
        while end > start and not text[end - 1].isalnum():
            end -= 1
        if sum(c.isalnum() for c in text[start:end]) < 2:
            continue
        if (start > 0 and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum()):
            continue
        out.append((start, end))
    return out


def _name_part_owners(texts: Sequence[str], spans: Sequence[Span]) -> dict[str, str]:
    """Map each part of a detected multi-word name to the first full name that contains it.

    A detected multi-word name whose words all occur in a longer detected name ("María José"
    and "María José Jaime", "Jean-Pierre" and "Jean-Pierre Petit") maps to that longer name, and
    so do its parts."""
    fulls: list[list[str]] = []
    seen: set[str] = set()
    for span in spans:
        if span.entity_type != PERSON:
            continue
        tokens = name_tokens(texts[span.message_index][span.start : span.end])
        if len(tokens) < 2 or " ".join(tokens) in seen:
            continue
        seen.add(" ".join(tokens))
        fulls.append(tokens)

    def longest_container(tokens: list[str]) -> list[str] | None:
        containers = [f for f in fulls if len(f) > len(tokens) and set(tokens) <= set(f)]
        if not containers:
            return None
        size = max(len(f) for f in containers)
        return next(f for f in containers if len(f) == size)

    owners: dict[str, str] = {}
    for tokens in fulls:
        container = longest_container(tokens)
        target = " ".join(container or tokens)
        if container:
            owners[" ".join(tokens)] = target
        for token in tokens:
            if len(token) > 1:
                owners.setdefault(token, target)
    return owners


def redact_conversation(
    texts: Sequence[str], spans: Iterable[Span], policy: Policy
) -> RedactedConversation:
    """Replace the policy's entities in all messages of one conversation with placeholders."""
    pattern = placeholder_pattern(
        set(PLACEHOLDER_PREFIXES) | {r.placeholder for r in policy.entities.values()}
    )
    used: dict[str, set[int]] = {}
    for *_, prefix, number in existing_placeholders(texts, pattern):
        used.setdefault(prefix, set()).add(number)

    chosen = select_spans(texts, spans, policy, pattern)
    part_owner = _name_part_owners(texts, chosen)
    assigned: dict[tuple[str, str], str] = {}
    next_number: dict[str, int] = {}
    replacements: list[Replacement] = []

    for span in chosen:
        prefix = policy.prefix_for(span.entity_type)
        value = texts[span.message_index][span.start : span.end]
        key = normalize_value(span.entity_type, value)
        group_key = key
        if span.entity_type == PERSON:
            group_key = part_owner.get(key, key)
        slot = (prefix, group_key)
        if slot not in assigned:
            n = next_number.get(prefix, 1)
            while n in used.get(prefix, ()):
                n += 1
            next_number[prefix] = n + 1
            assigned[slot] = f"{prefix}_{n}"
        replacements.append(Replacement(span, assigned[slot], key))

    out = list(texts)
    for r in sorted(replacements, key=lambda r: (r.span.message_index, r.span.start), reverse=True):
        i = r.span.message_index
        out[i] = out[i][: r.span.start] + r.placeholder + out[i][r.span.end :]
    return RedactedConversation(out, replacements)
