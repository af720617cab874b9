"""Value normalisation: which detected strings count as "the same value" in a conversation.

The normalised form keys placeholder assignment (same key -> same placeholder) and is what the
findings' keyed HMAC is computed over, so `redact audit find` can match a value however it was
cased or spaced in the text.
"""

from __future__ import annotations

import re
import unicodedata

from redact.records import (
    CREDIT_CARD,
    EMAIL_ADDRESS,
    IBAN_CODE,
    NATIONAL_ID,
    PERSON,
    PHONE_NUMBER,
)

_WS = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[\W_]+", re.UNICODE)
_NAME_EDGE = re.compile(r"^[\W_]+|[\W_]+$", re.UNICODE)
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)

# Honorifics are not part of who someone is: "Dr. Jane Roe" and "Jane Roe" are one person.
TITLES = frozenset(
    "mr mrs ms miss mx dr prof sir madam dear herr frau sr sra srta m mme mlle sig".split()
)


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKC", value).casefold()


def name_tokens(value: str) -> list[str]:
    """Folded tokens of a person's name without honorifics or punctuation."""
    value = _POSSESSIVE.sub("", _NAME_EDGE.sub("", _fold(value)))
    tokens = [t for t in _NON_ALNUM.split(value) if t]
    return [t for t in tokens if t not in TITLES] or tokens


def normalize_value(entity_type: str, value: str) -> str:
    """The comparison key of a detected value."""
    if entity_type == PERSON:
        return " ".join(name_tokens(value))
    if entity_type == EMAIL_ADDRESS:
        return _fold(value).strip().strip(".<>()[]")
    if entity_type == PHONE_NUMBER:
        digits = re.sub(r"\D", "", value)
        return digits[2:] if digits.startswith("00") else digits
    if entity_type in (CREDIT_CARD, IBAN_CODE, NATIONAL_ID):
        return _NON_ALNUM.sub("", _fold(value)).upper()
    return _WS.sub(" ", _fold(value)).strip()


def candidate_keys(value: str) -> set[str]:
    """Every key `value` could have under any entity type (for erasure look-ups)."""
    from redact.records import ENTITY_TYPES

    return {normalize_value(t, value) for t in ENTITY_TYPES} - {""}
