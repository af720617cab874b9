"""The one record type and the one span type that flow through the pipeline.

A `Record` is one validated conversation in the LMSYS-Chat-1M shape. A `Span` is one detected
piece of personal data inside one message. Detection produces spans; replacement consumes
them, so a policy change never requires running NER again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Canonical entity types used in policies, findings and reports.
PERSON = "PERSON"
EMAIL_ADDRESS = "EMAIL_ADDRESS"
PHONE_NUMBER = "PHONE_NUMBER"
STREET_ADDRESS = "STREET_ADDRESS"
IP_ADDRESS = "IP_ADDRESS"
CREDIT_CARD = "CREDIT_CARD"
IBAN_CODE = "IBAN_CODE"
NATIONAL_ID = "NATIONAL_ID"
URL = "URL"
LOCATION = "LOCATION"
ORGANIZATION = "ORGANIZATION"
DATE_TIME = "DATE_TIME"

ENTITY_TYPES = (
    PERSON,
    EMAIL_ADDRESS,
    PHONE_NUMBER,
    STREET_ADDRESS,
    IP_ADDRESS,
    CREDIT_CARD,
    IBAN_CODE,
    NATIONAL_ID,
    URL,
    LOCATION,
    ORGANIZATION,
    DATE_TIME,
)

# Fields the LMSYS-Chat-1M schema defines; everything else passes through as-is.
CORE_FIELDS = ("conversation_id", "model", "conversation", "turn", "language", "openai_moderation")


@dataclass(frozen=True, slots=True)
class Message:
    role: str
    content: str


@dataclass(slots=True)
class Record:
    """One validated conversation.

    `extra` holds every input field other than the core ones (including `model`, `turn`,
    `openai_moderation` when present), in input order, so output keeps what came in.
    `source` says where the record came from ("file:line 12" / "file:row 3") for errors.
    """

    conversation_id: str
    messages: list[Message]
    language: str | None
    extra: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    @property
    def char_count(self) -> int:
        return sum(len(m.content) for m in self.messages)


@dataclass(frozen=True, slots=True)
class Span:
    """A detected entity: `[start, end)` character offsets in `messages[message_index].content`."""

    message_index: int
    start: int
    end: int
    entity_type: str
    recognizer: str
    score: float

    def overlaps(self, other: Span) -> bool:
        return (
            self.message_index == other.message_index
            and self.start < other.end
            and other.start < self.end
        )


@dataclass(slots=True)
class Detection:
    """What detection found in one record: spans, and whether NER covered its language."""

    spans: list[Span]
    ner_coverage: bool
