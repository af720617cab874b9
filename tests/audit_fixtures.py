"""Synthetic finished runs for the audit tests: the same files, manifest and events a real
`redact run` writes, built directly with pyarrow (no Ray, no NLP)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from audit.log import AuditLog
from policies.model import Policy, load_policy, policy_hash
from redact.io.writer import (
    FINDINGS_SCHEMA,
    INDEX_SCHEMA,
    QUARANTINE_SCHEMA,
    data_table,
    write_json_atomic,
    write_parquet,
)
from redact.keys import key_fingerprint, value_hmac
from redact.pipeline.shard import file_sha256
from redact.replace.normalize import normalize_value

KEY = b"test-key-0123456789abcdef"
OPERATOR = "op-alice"
DEMO_POLICY = Path(__file__).resolve().parent.parent / "policies" / "demo.yaml"


def conversation(i: int, language: str, model: str, no_ner: bool) -> dict[str, Any]:
    """One conversation; every third mentions Jane Roe (full name, then 'Jane' alone)."""
    named = i % 3 == 0
    return {
        "conversation_id": f"c{i:05d}",
        "model": model,
        "language": language,
        "no_ner": no_ner,
        "messages": (
            [
                ("user", "Hi, I am NAME_1, mail me at EMAIL_1"),
                ("assistant", "Hello NAME_2."),
                ("user", "NAME_1 thanks"),
            ]
            if named
            else [("user", f"question {i}"), ("assistant", "an answer")]
        ),
        "findings": (
            [
                (0, "PERSON", "NAME_1", "Jane Roe"),
                (0, "EMAIL_ADDRESS", "EMAIL_1", "Jane.Roe@example.org"),
                (1, "PERSON", "NAME_2", "Max Mustermann"),
                (2, "PERSON", "NAME_1", "Jane"),
            ]
            if named
            else []
        ),
    }


def default_conversations(n: int = 60) -> list[dict[str, Any]]:
    langs = ["English", "English", "French", "German"]
    models = ["vicuna-13b", "koala-13b"]
    return [
        conversation(i, langs[i % 4], models[(i // 4) % 2], no_ner=(langs[i % 4] == "German"))
        for i in range(n)
    ]


def make_run(
    run_dir: Path,
    convs: list[dict[str, Any]] | None = None,
    shard_size: int = 25,
    quarantined: int = 2,
    key: bytes = KEY,
    leak_text: str | None = None,
    policy: Policy | None = None,
) -> Path:
    """Write a finished run. `leak_text` is appended to the first conversation's first message
    (a missed redaction); the last `quarantined` conversations go to quarantine instead."""
    convs = default_conversations() if convs is None else convs
    policy = policy or load_policy(DEMO_POLICY)
    phash = policy_hash(policy)
    run_id = "0123456789abcdef0123456789abcdef"
    run_dir.mkdir(parents=True)
    for d in ("data", "findings", "quarantine", "index", "shards"):
        (run_dir / d).mkdir()
    write_json_atomic(
        {
            "run_id": run_id,
            "operator": OPERATOR,
            "created": "2024-01-01T00:00:00+00:00",
            "request": {
                "inputs": [],
                "policy_hash": phash,
                "key_fingerprint": key_fingerprint(key),
                "shard_records": shard_size,
            },
            "policy": policy.model_dump(mode="json"),
        },
        run_dir / "run.json",
    )
    audit = AuditLog(run_dir)
    shards = [convs[i : i + shard_size] for i in range(0, len(convs), shard_size)]
    audit.append(
        "run.started",
        OPERATOR,
        {"run_id": run_id, "policy_hash": phash, "inputs": [], "shards": len(shards)},
    )
    files: dict[str, Any] = {}
    counts = {
        "in": 0,
        "released": 0,
        "quarantined": 0,
        "findings": 0,
        "redacted_conversations": 0,
        "without_ner": 0,
        "chars": 0,
    }
    withheld = set(range(len(convs) - quarantined, len(convs)))
    for s, shard in enumerate(shards):
        name = f"part-{s:05d}"
        released, findings, index, quar = [], [], [], []
        for j, c in enumerate(shard):
            counts["in"] += 1
            if s * shard_size + j in withheld:
                quar.append(
                    {
                        "source": "in.jsonl",
                        "conversation_id": c["conversation_id"],
                        "reason": "in.jsonl: bad turn",
                        "raw": f'{{"conversation_id": "{c["conversation_id"]}", "text": "call Jane Roe"}}'.encode(),
                    }
                )
                continue
            msgs = [{"content": t, "role": r} for r, t in c["messages"]]
            if leak_text and not released and s == 0:
                msgs[0]["content"] += " " + leak_text
            released.append(
                {
                    "conversation_id": c["conversation_id"],
                    "conversation": msgs,
                    "model": c["model"],
                    "turn": 1,
                    "language": c["language"],
                    "redacted": bool(c["findings"]),
                }
            )
            for mi, etype, ph, value in c["findings"]:
                findings.append(
                    {
                        "conversation_id": c["conversation_id"],
                        "message_index": mi,
                        "role": msgs[mi]["role"],
                        "entity_type": etype,
                        "placeholder": ph,
                        "start": 0,
                        "end": len(value),
                        "recognizer": "test",
                        "score": 0.9,
                        "ner_coverage": not c["no_ner"],
                        "value_hmac": value_hmac(key, normalize_value(etype, value)),
                    }
                )
            index.append(
                {
                    "conversation_id": c["conversation_id"],
                    "shard": name,
                    "row": len(released) - 1,
                    "language": c["language"],
                    "model": c["model"],
                    "redacted": bool(c["findings"]),
                    "findings": len(c["findings"]),
                    "ner_coverage": not c["no_ner"],
                    "messages": len(msgs),
                    "chars": 10,
                }
            )
            counts["released"] += 1
            counts["findings"] += len(c["findings"])
            counts["redacted_conversations"] += bool(c["findings"])
            counts["without_ner"] += c["no_ner"]
            counts["chars"] += 10
        counts["quarantined"] += len(quar)
        tables = {
            "data": data_table(released) if released else None,
            "findings": pa.Table.from_pylist(findings, schema=FINDINGS_SCHEMA)
            if findings
            else None,
            "quarantine": pa.Table.from_pylist(quar, schema=QUARANTINE_SCHEMA) if quar else None,
            "index": pa.Table.from_pylist(index, schema=INDEX_SCHEMA) if index else None,
        }
        for folder, table in tables.items():
            if table is None:
                continue
            rel = f"{folder}/{name}.parquet"
            write_parquet(table, run_dir / rel)
            files[rel] = {
                "sha256": file_sha256(run_dir / rel),
                "rows": table.num_rows,
                "bytes": (run_dir / rel).stat().st_size,
            }
            audit.append(
                "shard.written",
                OPERATOR,
                {"file": rel, "sha256": files[rel]["sha256"], "rows": table.num_rows},
            )
    manifest = {
        "run_id": run_id,
        "operator": OPERATOR,
        "policy": policy.model_dump(mode="json"),
        "policy_hash": phash,
        "counts": counts,
        "files": dict(sorted(files.items())),
    }
    write_json_atomic(manifest, run_dir / "manifest.json")
    audit.append(
        "run.finished", OPERATOR, {"run_id": run_id, "counts": counts, "files": len(files)}
    )
    return run_dir
