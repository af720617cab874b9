"""Labeled evaluation data: presidio-evaluator JSON and labeled LMSYS-format conversations.

Both load into `LabeledRecord`s: a `Record` (what detection sees) and `Label`s (what a perfect
redaction removes), with entity types mapped to the report's groups:
NAME, EMAIL, PHONE, ADDRESS, IP, CARD, IBAN, ID. Labels of other types (dates, places,
organisations, titles...) are not targets: removing them counts as over-redaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from redact.errors import UsageError
from redact.records import Message, Record

GROUPS = ("NAME", "EMAIL", "PHONE", "ADDRESS", "IP", "CARD", "IBAN", "ID")

# Entity types of our canonical set, Presidio's and presidio-evaluator's -> report group.
GROUP_OF = {
    "PERSON": "NAME",
    "NAME": "NAME",
    "FIRST_NAME": "NAME",
    "LAST_NAME": "NAME",
    "PER": "NAME",
    "EMAIL_ADDRESS": "EMAIL",
    "EMAIL": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "PHONE": "PHONE",
    "STREET_ADDRESS": "ADDRESS",
    "ADDRESS": "ADDRESS",
    "IP_ADDRESS": "IP",
    "CREDIT_CARD": "CARD",
    "IBAN_CODE": "IBAN",
    "NATIONAL_ID": "ID",
    "US_SSN": "ID",
    "US_ITIN": "ID",
    "US_PASSPORT": "ID",
    "UK_NHS": "ID",
    "UK_NINO": "ID",
    "ES_NIF": "ID",
    "ES_NIE": "ID",
    "IT_FISCAL_CODE": "ID",
    "PL_PESEL": "ID",
    "FI_PERSONAL_IDENTITY_CODE": "ID",
    "IN_AADHAAR": "ID",
    "IN_PAN": "ID",
    "KR_RRN": "ID",
    "SG_NRIC_FIN": "ID",
    "AU_TFN": "ID",
}


def group_of(entity_type: str) -> str | None:
    return GROUP_OF.get(entity_type.upper())


@dataclass(frozen=True, slots=True)
class Label:
    message_index: int
    start: int
    end: int
    entity_type: str
    group: str | None  # None: a labelled non-target (date, place...)
    entity_id: str | None = None


@dataclass(slots=True)
class LabeledRecord:
    record: Record
    labels: list[Label]


def load_dataset(path: str | Path) -> list[LabeledRecord]:
    """Load either format: a JSON list of presidio-evaluator samples, or labeled JSONL records."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"dataset not found: {p}")
    text = p.read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise UsageError(f"dataset {p} is not valid JSON (line {err.lineno})") from None
        return [_from_presidio(i, s, p.name) for i, s in enumerate(data)]
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise UsageError(f"dataset {p} line {n} is not valid JSON") from None
        out.append(_from_conversation(row, f"{p.name}:{n}"))
    if not out:
        raise UsageError(f"dataset {p} holds no samples")
    return out


def _from_presidio(i: int, sample: dict, source: str) -> LabeledRecord:
    try:
        text = sample["full_text"]
        spans = sample.get("spans") or []
    except (KeyError, TypeError):
        raise UsageError(
            f"{source} sample {i}: presidio-evaluator samples need full_text and spans"
        ) from None
    labels = []
    for s in spans:
        entity = s["entity_type"]
        start, end = int(s["start_position"]), int(s["end_position"])
        labels.append(Label(0, start, end, entity, group_of(entity)))
    record = Record(
        conversation_id=f"pe-{i:05d}",
        messages=[Message("user", text)],
        language="English",
        source=f"{source} sample {i}",
    )
    return LabeledRecord(record, labels)


def _from_conversation(row: dict, source: str) -> LabeledRecord:
    try:
        messages = [Message(m["role"], m["content"]) for m in row["conversation"]]
        cid = str(row["conversation_id"])
    except (KeyError, TypeError):
        raise UsageError(
            f"{source}: a labeled conversation needs conversation_id and conversation"
        ) from None
    labels = []
    for lab in row.get("labels") or []:
        entity = lab["entity_type"]
        mi, start, end = int(lab["message_index"]), int(lab["start"]), int(lab["end"])
        if not (0 <= mi < len(messages)) or not (0 <= start < end <= len(messages[mi].content)):
            raise UsageError(f"{source}: label {lab} is outside its message")
        labels.append(Label(mi, start, end, entity, group_of(entity), lab.get("entity_id")))
    extra = {
        k: v
        for k, v in row.items()
        if k not in ("conversation_id", "conversation", "language", "labels")
    }
    record = Record(cid, messages, row.get("language"), extra=extra, source=source)
    return LabeledRecord(record, labels)
