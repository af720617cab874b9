"""Figures for the dataset card, computed from the released Parquet files themselves.

Nothing here trusts the run's own counters: the card's statistics table is recomputed from the
bundle's data files (the same bytes that get published), so a reader can check each number
with pyarrow. Redaction counts come from the manifest, coverage from the run's index.

Lengths are in words: maximal runs of non-whitespace characters, exactly what Python's
`str.split()` counts (the whitespace class below is Python's `str.isspace` set), computed
vectorised with Arrow's RE2 so a million conversations take seconds.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# Python's whitespace (str.isspace): \t-\r, \x1c-\x1f, \x85 and Unicode separators (Zs, Zl, Zp).
WORD_PATTERN = r"[^\t-\r\x{1c}-\x{1f}\x{85}\p{Z}]+"

# Columns that identify users; LMSYS-Chat-1M has `user_id` (policies usually drop it).
USER_FIELDS = ("user_id", "user", "user_name", "username")

UNKNOWN = "unknown"


def word_counts(texts: pa.Array) -> pa.Array:
    """Words per string (0 for empty or null)."""
    return pc.fill_null(pc.count_substring_regex(texts, pattern=WORD_PATTERN), 0)


def _mean(total: float, n: int) -> float:
    return total / n if n else 0.0


def _user_turns(conversation: pa.ChunkedArray, rows: int) -> list[int]:
    """User messages per row (the LMSYS `turn` definition), for rows without a `turn` value."""
    flat = pc.list_flatten(conversation)
    parents = pc.list_parent_indices(conversation)
    is_user = pc.equal(pc.struct_field(flat, "role"), "user")
    counts = [0] * rows
    for parent in pc.filter(parents, pc.fill_null(is_user, False)).to_pylist():
        counts[parent] += 1
    return counts


def _row_groups(files: list[Path]):
    """Each file's row groups as tables, one at a time (memory stays at one row group)."""
    for path in files:
        pf = pq.ParquetFile(path)
        for i in range(pf.num_row_groups):
            yield pf.read_row_group(i)


def data_statistics(files: list[Path]) -> dict[str, Any]:
    """Statistics of the released conversations in `files` (Parquet, LMSYS schema).

    Returns conversations, models / languages (value counts, null as "unknown"), users (distinct
    values of the first user column present, or None when no such column was released),
    turns (histogram of the `turn` field, user messages counted where it is null),
    average turns, prompt (user) and response (assistant) message counts and word totals,
    and num_bytes (Arrow in-memory size, what `datasets` reports as a split's num_bytes).
    """
    conversations = 0
    models: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    turns: Counter[int] = Counter()
    user_field: str | None = None
    users: set[Any] = set()
    prompt_words = prompt_messages = response_words = response_messages = 0
    num_bytes = 0
    for table in _row_groups(files):
        rows = table.num_rows
        conversations += rows
        num_bytes += table.nbytes
        names = table.column_names
        for col, counter in (("model", models), ("language", languages)):
            if col in names:
                for entry in pc.value_counts(table.column(col)).to_pylist():
                    counter[entry["values"] if entry["values"] is not None else UNKNOWN] += entry[
                        "counts"
                    ]
            else:
                counter[UNKNOWN] += rows
        conversation = table.column("conversation")
        turn_values = table.column("turn").to_pylist() if "turn" in names else [None] * rows
        if any(v is None for v in turn_values):
            fallback = _user_turns(conversation, rows)
            turn_values = [
                f if v is None else v for v, f in zip(turn_values, fallback, strict=True)
            ]
        turns.update(turn_values)
        here = next((f for f in USER_FIELDS if f in names), None)
        if here is not None:
            user_field = user_field or here
            users.update(v for v in table.column(here).to_pylist() if v is not None)
        flat = pc.list_flatten(conversation)
        roles = pc.struct_field(flat, "role")
        words = word_counts(pc.struct_field(flat, "content"))
        for role, key in (("user", "prompt"), ("assistant", "response")):
            mask = pc.fill_null(pc.equal(roles, role), False)
            picked = pc.filter(words, mask)
            total = pc.sum(picked).as_py() or 0
            if key == "prompt":
                prompt_words += total
                prompt_messages += len(picked)
            else:
                response_words += total
                response_messages += len(picked)
        del table
    turn_total = sum(t * c for t, c in turns.items())
    return {
        "conversations": conversations,
        "models": dict(models.most_common()),
        "languages": dict(languages.most_common()),
        "user_field": user_field,
        "users": len(users) if user_field else None,
        "turns": dict(sorted(turns.items())),
        "avg_turns": _mean(turn_total, conversations),
        "prompt_messages": prompt_messages,
        "prompt_words": prompt_words,
        "avg_prompt_words": _mean(prompt_words, prompt_messages),
        "response_messages": response_messages,
        "response_words": response_words,
        "avg_response_words": _mean(response_words, response_messages),
        "num_bytes": num_bytes,
    }


def index_coverage(run_dir: Path) -> dict[str, Any]:
    """Per language (from RUN/index): conversations and those without NER coverage."""
    per: dict[str, list[int]] = {}
    for path in sorted((run_dir / "index").glob("*.parquet")):
        t = pq.read_table(path, columns=["language", "ner_coverage"])
        for lang, covered in zip(
            t.column("language").to_pylist(), t.column("ner_coverage").to_pylist(), strict=True
        ):
            c = per.setdefault(lang or UNKNOWN, [0, 0])
            c[0] += 1
            c[1] += 0 if covered else 1
    total = sum(c[0] for c in per.values())
    without = sum(c[1] for c in per.values())
    return {
        "conversations": total,
        "without_ner": without,
        "share_without_ner": _mean(without, total),
        "languages": {
            lang: {"conversations": c[0], "without_ner": c[1]}
            for lang, c in sorted(per.items(), key=lambda kv: (-kv[1][0], kv[0]))
        },
    }


SIZE_BUCKETS = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
    (10_000_000_000, "1B<n<10B"),
    (100_000_000_000, "10B<n<100B"),
    (1_000_000_000_000, "100B<n<1T"),
)


def size_category(n: int) -> str:
    """The hub's `size_categories` bucket for n examples."""
    for limit, name in SIZE_BUCKETS:
        if n < limit:
            return name
    return "n>1T"
