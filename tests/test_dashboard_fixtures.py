"""A small synthetic run for the dashboard tests, built directly with pyarrow (no Ray, fast).

The raw conversations hold unique planted values (`SECRETS`) that only the input file and
`/api/items/{id}/raw` may ever show, plus an adversarial conversation full of HTML/JS.
Imported by the other dashboard test modules; holds no tests itself.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow as pa

from audit.log import AuditLog, canonical
from policies.model import load_policy, policy_hash
from redact.io.writer import (
    FINDINGS_SCHEMA,
    INDEX_SCHEMA,
    data_table,
    write_json_atomic,
    write_parquet,
)

ROOT = Path(__file__).resolve().parent.parent
OPERATOR = "op-alice"
PASSWORDS = {
    "op-alice": "operator-pass-1",
    "rita": "reviewer-pass-1",
    "rob": "reviewer-pass-2",
    "ada": "admin-pass-123",
}
ROLES = {"op-alice": "reviewer", "rita": "reviewer", "rob": "reviewer", "ada": "admin"}

XSS_USER = (
    "Please render this: <script>alert(1)</script> and <img src=x onerror=alert(1)> "
    'and [click me](javascript:alert(1)) or <a href="javascript:alert(1)">this link</a>. '
    "My name is Quillon Vantablack."
)
XSS_ASSISTANT = (
    'I will not. </textarea><script>alert(2)</script> "><svg onload=alert(3)> '
    "{{ 7*7 }} {% raw %} <iframe src=javascript:alert(4)></iframe> Goodbye Quillon."
)

# conversation_id, model, language, [(role, text)], {value: (entity_type, placeholder)}
CONVERSATIONS: list[tuple[str, str, str, list[tuple[str, str]], dict[str, tuple[str, str]]]] = [
    (
        "conv-en-1",
        "vicuna-13b",
        "English",
        [
            (
                "user",
                "Hi, I am Zorblat Quexington, write to zorblat.q7@example.org or call +1 415 555 0199.",
            ),
            (
                "assistant",
                "Hello Zorblat! I have noted zorblat.q7@example.org. NAME_7 is an old placeholder.",
            ),
        ],
        {
            "Zorblat Quexington": ("PERSON", "NAME_1"),
            "zorblat.q7@example.org": ("EMAIL_ADDRESS", "EMAIL_1"),
            "+1 415 555 0199": ("PHONE_NUMBER", "PHONE_1"),
            "Zorblat": ("PERSON", "NAME_1"),
        },
    ),
    (
        "conv-fr-2",
        "koala-13b",
        "French",
        [
            ("user", "Bonjour, je m'appelle Ysoline Barthomieu et j'habite 12 rue Vexnard, Lyon."),
            ("assistant", "Bonjour Ysoline Barthomieu, merci."),
            ("user", "Mon IBAN est FR7630006000011234567890189."),
        ],
        {
            "Ysoline Barthomieu": ("PERSON", "NAME_1"),
            "12 rue Vexnard": ("STREET_ADDRESS", "ADDRESS_1"),
            "FR7630006000011234567890189": ("IBAN_CODE", "IBAN_1"),
        },
    ),
    (
        "conv-xss-3",
        "gpt-4",
        "English",
        [("user", XSS_USER), ("assistant", XSS_ASSISTANT)],
        {"Quillon Vantablack": ("PERSON", "NAME_1"), "Quillon": ("PERSON", "NAME_1")},
    ),
    (
        "conv-pt-4",
        "vicuna-13b",
        "Portuguese",
        [
            ("user", "Meu servidor tem o IP 203.0.113.77 e meu cartão é 4111 1111 1111 1111."),
            ("assistant", "Não compartilhe isso."),
        ],
        {
            "203.0.113.77": ("IP_ADDRESS", "IP_1"),
            "4111 1111 1111 1111": ("CREDIT_CARD", "CREDIT_CARD_1"),
        },
    ),
    (
        "conv-en-5",
        "koala-13b",
        "English",
        [("user", "Explain quicksort."), ("assistant", "Quicksort picks a pivot and partitions.")],
        {},
    ),
    (
        "conv-en-6",
        "gpt-4",
        "English",
        [
            ("system", "You are helpful."),
            ("user", "My colleague Pemberly Okonkwo-Stravinsky needs help."),
            ("assistant", "Happy to help Pemberly Okonkwo-Stravinsky."),
        ],
        {"Pemberly Okonkwo-Stravinsky": ("PERSON", "NAME_1")},
    ),
]

# Raw values that must never leave the server except through /raw.
SECRETS = sorted({v for *_, pii in CONVERSATIONS for v in pii})


def _spans(text: str, pii: dict[str, tuple[str, str]]) -> list[tuple[int, int, str, str, str]]:
    spans: list[tuple[int, int, str, str, str]] = []
    for value in sorted(pii, key=len, reverse=True):
        start = 0
        while (pos := text.find(value, start)) >= 0:
            end = pos + len(value)
            if not any(s < end and pos < e for s, e, *_ in spans):
                spans.append((pos, end, value, *pii[value]))
            start = end
    return sorted(spans)


def build_run(base: Path, *, sample: bool = True, marker: bool = True) -> Path:
    """Write RUN/ (data, findings, index, run.json, shard marker, sample.json) and input.jsonl."""
    run = base / "run"
    input_path = base / "input" / "conversations.jsonl"
    input_path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    data_rows: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    index: list[dict[str, Any]] = []
    for n, (cid, model, language, messages, pii) in enumerate(CONVERSATIONS):
        raw = {
            "conversation_id": cid,
            "model": model,
            "conversation": [{"content": t, "role": r} for r, t in messages],
            "turn": sum(1 for r, _ in messages if r == "user"),
            "language": language,
            "user_id": f"u{n}",
        }
        lines.append(json.dumps(raw, ensure_ascii=False))
        if n == 1:
            lines.append("{this line is not JSON and was quarantined")
        redacted_msgs = []
        count = 0
        for i, (role, text) in enumerate(messages):
            out = text
            for start, end, value, etype, placeholder in reversed(_spans(text, pii)):
                out = out[:start] + placeholder + out[end:]
                findings.append(
                    {
                        "conversation_id": cid,
                        "message_index": i,
                        "role": role,
                        "entity_type": etype,
                        "placeholder": placeholder,
                        "start": start,
                        "end": end,
                        "recognizer": "SpacyRecognizer"
                        if etype == "PERSON"
                        else f"{etype.title()}Recognizer",
                        "score": 0.85,
                        "value_hmac": hashlib.sha256(value.encode()).hexdigest(),
                        "ner_coverage": language == "English",
                    }
                )
                count += 1
            redacted_msgs.append({"content": out, "role": role})
        data_rows.append(
            {
                "conversation_id": cid,
                "model": model,
                "conversation": redacted_msgs,
                "turn": raw["turn"],
                "language": language,
                "redacted": count > 0,
            }
        )
        index.append(
            {
                "conversation_id": cid,
                "shard": "part-00000",
                "row": n,
                "language": language,
                "model": model,
                "redacted": count > 0,
                "findings": count,
                "ner_coverage": language == "English",
                "messages": len(messages),
                "chars": sum(len(t) for _, t in messages),
            }
        )
    input_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    findings.sort(key=lambda f: (f["conversation_id"], f["message_index"], f["start"]))

    write_parquet(data_table(data_rows), run / "data" / "part-00000.parquet")
    write_parquet(
        pa.Table.from_pylist(findings, schema=FINDINGS_SCHEMA),
        run / "findings" / "part-00000.parquet",
    )
    write_parquet(
        pa.Table.from_pylist(index, schema=INDEX_SCHEMA), run / "index" / "part-00000.parquet"
    )
    policy = load_policy(ROOT / "policies" / "demo.yaml")
    inputs = [
        {
            "path": str(input_path),
            "format": "jsonl",
            "size": input_path.stat().st_size,
            "sha256": hashlib.sha256(input_path.read_bytes()).hexdigest(),
        }
    ]
    write_json_atomic(
        {
            "run_id": "0123456789abcdef0123456789abcdef",
            "operator": OPERATOR,
            "created": "2024-01-01T00:00:00+00:00",
            "request": {
                "inputs": inputs,
                "policy_hash": policy_hash(policy),
                "key_fingerprint": "test",
                "shard_records": 1000,
            },
            "policy": policy.model_dump(mode="json"),
        },
        run / "run.json",
    )
    if marker:
        write_json_atomic(
            {
                "shard": "part-00000",
                "plan": {
                    "shard_id": 0,
                    "path": str(input_path),
                    "format": "jsonl",
                    "start": 0,
                    "stop": len(lines),
                    "byte_offset": 0,
                },
            },
            run / "shards" / "part-00000.json",
        )
    AuditLog(run).append("run.started", OPERATOR, {"run_id": "0123456789abcdef0123456789abcdef"})
    if sample:
        write_sample(
            run, [(r["conversation_id"], 0, i, r) for i, r in enumerate(index)], policy_hash(policy)
        )
    return run


def write_sample(run: Path, rows: list[tuple[str, int, int, dict]], phash: str = "") -> dict:
    """sample.json as ARCHITECTURE.md documents it; rows: (conversation_id, shard no, row, index row)."""
    items = []
    strata: dict[str, dict[str, int]] = {}
    for n, (cid, shard, row, meta) in enumerate(rows, start=1):
        stratum = (
            f"{meta['language']}|{meta['model']}|{'redacted' if meta['redacted'] else 'clean'}"
        )
        strata.setdefault(stratum, {"population": 0, "sampled": 0})
        strata[stratum]["population"] += 1
        strata[stratum]["sampled"] += 1
        items.append(
            {
                "id": n,
                "conversation_id": cid,
                "shard": f"part-{shard:05d}",
                "row": row,
                "language": meta["language"],
                "model": meta["model"],
                "redacted": bool(meta["redacted"]),
                "ner_coverage": bool(meta["ner_coverage"]),
                "stratum": stratum,
            }
        )
    sample = {
        "seed": 1,
        "policy_hash": phash,
        "size": len(items),
        "target_leak_rate": 0.01,
        "confidence": 0.95,
        "population": len(items),
        "strata": strata,
        "items": items,
        "items_hash": hashlib.sha256(canonical(items).encode()).hexdigest(),
    }
    write_json_atomic(sample, run / "review" / "sample.json")
    return sample


def cheap_hasher():
    """Argon2id with test-sized cost (the dashboard's default is deliberately slow)."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def add_users(run: Path) -> None:
    from audit.dashboard.store import ReviewStore, default_db_path

    store = ReviewStore(default_db_path(run), hasher=cheap_hasher())
    for name, password in PASSWORDS.items():
        store.add_user(name, password, ROLES[name])


def make_app(run: Path, **options):
    from audit.dashboard import create_app

    return create_app(run, password_hasher=cheap_hasher(), **options)
