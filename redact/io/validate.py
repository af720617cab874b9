"""Turn one raw input row into a `Record`, or say precisely why it cannot be one.

Reasons name the field and the problem, never the field's content, so they are safe to store
in quarantine reasons, logs and the manifest.
"""

from __future__ import annotations

import json
from typing import Any

from redact.errors import RecordError
from redact.records import Message, Record


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def parse_conversation(value: Any) -> list[Message]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as err:
            raise RecordError(f"field 'conversation' is a string but not valid JSON ({err.msg} at char {err.pos})") from None
    if value is None:
        raise RecordError("missing field 'conversation'")
    if not isinstance(value, list):
        raise RecordError(f"field 'conversation' must be a list of {{content, role}}, got {_type_name(value)}")
    if not value:
        raise RecordError("field 'conversation' is empty")
    messages = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise RecordError(f"conversation[{i}] must be an object with content and role, got {_type_name(item)}")
        content, role = item.get("content"), item.get("role")
        if not isinstance(content, str):
            raise RecordError(f"conversation[{i}].content must be a string, got {_type_name(content)}")
        if not isinstance(role, str):
            raise RecordError(f"conversation[{i}].role must be a string, got {_type_name(role)}")
        messages.append(Message(role=role, content=content))
    return messages


def to_record(row: Any, source: str, drop_fields: frozenset[str] = frozenset(), max_message_chars: int | None = None) -> Record:
    """Validate one row (a dict from JSON or Parquet). Raises RecordError with the reason."""
    if not isinstance(row, dict):
        raise RecordError(f"record must be a JSON object, got {_type_name(row)}")
    cid = row.get("conversation_id")
    if cid is None:
        raise RecordError("missing field 'conversation_id'")
    if not isinstance(cid, str) or not cid.strip():
        raise RecordError(f"field 'conversation_id' must be a non-empty string, got {_type_name(cid)}")
    messages = parse_conversation(row.get("conversation"))
    if max_message_chars is not None:
        for i, m in enumerate(messages):
            if len(m.content) > max_message_chars:
                raise RecordError(
                    f"conversation[{i}].content has {len(m.content)} characters, above the policy's "
                    f"detection.max_message_chars={max_message_chars}; raise it to process this record"
                )
    for name, kinds in (("model", (str,)), ("language", (str,))):
        value = row.get(name)
        if value is not None and not isinstance(value, kinds):
            raise RecordError(f"field '{name}' must be a string, got {_type_name(value)}")
    turn = row.get("turn")
    if turn is not None and (isinstance(turn, bool) or not isinstance(turn, int)):
        raise RecordError(f"field 'turn' must be an integer, got {_type_name(turn)}")
    moderation = row.get("openai_moderation")
    if isinstance(moderation, str):
        try:
            moderation = json.loads(moderation)
        except json.JSONDecodeError:
            raise RecordError("field 'openai_moderation' is a string but not valid JSON") from None
    if moderation is not None and not isinstance(moderation, list):
        raise RecordError(f"field 'openai_moderation' must be a list, got {_type_name(moderation)}")

    extra = {}
    for key, value in row.items():
        if key in ("conversation_id", "conversation", "redacted") or key in drop_fields:
            continue
        extra[key] = moderation if key == "openai_moderation" else value
    if "turn" not in extra:
        extra["turn"] = sum(1 for m in messages if m.role == "user")
    return Record(
        conversation_id=cid,
        messages=messages,
        language=row.get("language"),
        extra=extra,
        source=source,
    )
