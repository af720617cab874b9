"""`redact audit find`: where was a value redacted? (erasure and access requests)

The value is normalised every way a detector could have seen it (`candidate_keys`), each form
is hashed with the run's HMAC key and matched against `value_hmac` in findings/. The answer
lists conversation, message, role, entity type and placeholder; it never prints a value.
Other mentions that share a matched placeholder in the same conversation (e.g. "Jane" after
"Jane Roe") are listed too, marked as such.

As a safety net it also reports released messages that still contain the value literally (a
missed redaction) and quarantined records that contain it (withheld, but still stored).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from redact.errors import UsageError
from redact.keys import key_fingerprint, load_key, value_hmac
from redact.replace.normalize import candidate_keys

FINDING_COLUMNS = [
    "conversation_id",
    "message_index",
    "role",
    "entity_type",
    "placeholder",
    "value_hmac",
]
MIN_LITERAL_CHARS = 4  # shorter values match everywhere; they are only looked up by hash


@dataclass
class FindResult:
    matches: list[dict[str, Any]] = field(default_factory=list)  # redactions of the value
    literal_released: list[dict[str, Any]] = field(
        default_factory=list
    )  # value still in released text
    literal_quarantined: list[dict[str, Any]] = field(
        default_factory=list
    )  # value in withheld records
    literal_scanned: bool = False
    files_scanned: int = 0

    @property
    def conversations(self) -> list[str]:
        return sorted({m["conversation_id"] for m in self.matches})


def check_key(run_dir: Path, key: bytes) -> None:
    try:
        run = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
        expected = run["request"]["key_fingerprint"]
    except (OSError, ValueError, KeyError, TypeError):
        raise UsageError(
            f"{run_dir} has no readable run.json with the run's key fingerprint"
        ) from None
    actual = key_fingerprint(key)
    if actual != expected:
        raise UsageError(
            f"wrong HMAC key: this run was made with the key whose fingerprint is {expected}, but the key "
            f"loaded has fingerprint {actual}. Set REDACT_HMAC_KEY or REDACT_KEY_FILE to the run's key."
        )


def _literal_forms(value: str) -> str | None:
    text = " ".join(value.split())
    return text if len(text) >= MIN_LITERAL_CHARS else None


def _scan_released(run_dir: Path, needle: str) -> list[dict[str, Any]]:
    hits: list[dict[str, Any]] = []
    for path in sorted((run_dir / "data").glob("*.parquet")):
        table = pq.read_table(path, columns=["conversation_id", "conversation"])
        convs = table.column("conversation").combine_chunks()
        if len(convs) == 0:
            continue
        parents = pc.list_parent_indices(convs).to_numpy()
        offsets = convs.offsets.to_numpy()
        messages = pc.list_flatten(convs)
        found = pc.match_substring(messages.field("content"), needle, ignore_case=True)
        roles = messages.field("role")
        ids = table.column("conversation_id").combine_chunks()
        for i in pc.indices_nonzero(pc.fill_null(found, False)).to_pylist():
            row = int(parents[i])
            hits.append(
                {
                    "conversation_id": ids[row].as_py(),
                    "message_index": i - int(offsets[row]),
                    "role": roles[i].as_py(),
                    "file": path.relative_to(run_dir).as_posix(),
                }
            )
    return hits


def _scan_quarantine(run_dir: Path, needle: str) -> list[dict[str, Any]]:
    hits: list[dict[str, Any]] = []
    folded = needle.casefold()
    for path in sorted((run_dir / "quarantine").glob("*.parquet")):
        table = pq.read_table(path, columns=["conversation_id", "raw"])
        for row, (cid, raw) in enumerate(
            zip(
                table.column("conversation_id").to_pylist(),
                table.column("raw").to_pylist(),
                strict=True,
            )
        ):
            text = " ".join((raw or b"").decode("utf-8", errors="replace").split()).casefold()
            if folded in text:
                hits.append(
                    {
                        "conversation_id": cid,
                        "row": row,
                        "file": path.relative_to(run_dir).as_posix(),
                    }
                )
    return hits


def find_value(
    run_dir: str | Path, value: str, key: bytes | None = None, literal: bool = True
) -> FindResult:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UsageError(f"no run directory at {run_dir}")
    if not value.strip():
        raise UsageError("--value is empty")
    key = load_key(create=False) if key is None else key
    check_key(run_dir, key)
    hashes = pa.array(sorted({value_hmac(key, k) for k in candidate_keys(value)}), type=pa.string())
    result = FindResult()
    for path in sorted((run_dir / "findings").glob("*.parquet")):
        table = pq.read_table(path, columns=FINDING_COLUMNS)
        result.files_scanned += 1
        hit = table.filter(pc.is_in(table.column("value_hmac"), value_set=hashes))
        if hit.num_rows == 0:
            continue
        slots = {(r["conversation_id"], r["placeholder"]) for r in hit.to_pylist()}
        conv_rows = table.filter(
            pc.is_in(
                table.column("conversation_id"),
                value_set=pa.array(sorted({c for c, _ in slots}), type=pa.string()),
            )
        )
        exact = set(hashes.to_pylist())
        for r in conv_rows.to_pylist():
            if (r["conversation_id"], r["placeholder"]) in slots:
                result.matches.append(
                    {
                        "conversation_id": r["conversation_id"],
                        "message_index": r["message_index"],
                        "role": r["role"],
                        "entity_type": r["entity_type"],
                        "placeholder": r["placeholder"],
                        "match": "value" if r["value_hmac"] in exact else "same placeholder",
                    }
                )
    result.matches.sort(key=lambda m: (m["conversation_id"], m["message_index"], m["placeholder"]))
    needle = _literal_forms(value) if literal else None
    if needle:
        result.literal_scanned = True
        result.literal_released = _scan_released(run_dir, needle)
        result.literal_quarantined = _scan_quarantine(run_dir, needle)
    return result


def _table(rows: list[dict[str, Any]], columns: list[str]) -> list[str]:
    widths = [max(len(c), *(len(str(r[c])) for r in rows)) for c in columns]
    out = ["  " + "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    out += [
        "  " + "  ".join(str(r[c]).ljust(w) for c, w in zip(columns, widths, strict=True))
        for r in rows
    ]
    return [line.rstrip() for line in out]


def report_text(result: FindResult) -> str:
    lines: list[str] = []
    if result.matches:
        lines.append(
            f"redacted {sum(m['match'] == 'value' for m in result.matches)} time(s) in "
            f"{len(result.conversations)} conversation(s) ({result.files_scanned} findings file(s) searched):"
        )
        lines += _table(
            result.matches,
            ["conversation_id", "message_index", "role", "entity_type", "placeholder", "match"],
        )
    else:
        lines.append(
            f"not found among the redactions ({result.files_scanned} findings file(s) searched)"
        )
    if result.literal_scanned:
        if result.literal_released:
            lines.append(
                f"WARNING: the released text still contains the value in {len(result.literal_released)} message(s):"
            )
            lines += _table(
                result.literal_released, ["conversation_id", "message_index", "role", "file"]
            )
        else:
            lines.append("the released text does not contain the value literally")
        if result.literal_quarantined:
            lines.append(
                f"quarantined (withheld, still stored) records containing it: {len(result.literal_quarantined)}"
            )
            lines += _table(result.literal_quarantined, ["conversation_id", "row", "file"])
    else:
        lines.append(
            f"(values shorter than {MIN_LITERAL_CHARS} characters are looked up by hash only)"
        )
    return "\n".join(lines)
