"""What the dashboard reads from a run: run.json, the sample, redacted records, findings, and
(for reviewers who ask) the original text from the input files.

The run keeps no raw text outside the input files, so the original of a sampled conversation
is looked up in the input the run read (RUN/run.json `request.inputs`). The lookup index
(conversation_id -> file and line/row, never the text) is built once per app start, the first
time it is needed, and only for sampled conversations; each shard's completion marker
(RUN/shards/part-NNNNN.json) narrows the search to the input range that shard came from.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq

from audit.log import canonical
from policies.model import PLACEHOLDER_PREFIXES, Policy, load_policy, parse_policy
from redact.errors import RecordError, UsageError
from redact.io.validate import parse_conversation
from redact.replace.placeholders import placeholder_pattern

_SHARD_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
FINDING_FIELDS = (
    "message_index",
    "role",
    "entity_type",
    "placeholder",
    "start",
    "end",
    "recognizer",
    "score",
)


class RawUnavailable(Exception):
    """The original text cannot be shown; the message says why (never holds raw text)."""


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def _load_sample_file(run_dir: Path) -> dict[str, Any] | None:
    try:
        from audit.sampling import load_sample
    except ImportError:  # sampling not installed: read the documented file directly
        return _read_json(run_dir / "review" / "sample.json")
    return load_sample(run_dir)


class RunData:
    def __init__(self, run_dir: str | Path, policy: Policy | str | Path | None = None):
        self.run_dir = Path(run_dir)
        info = _read_json(self.run_dir / "run.json")
        if info is None:
            raise UsageError(
                f"{self.run_dir} holds no run (no run.json); pass the --run folder of `redact run`"
            )
        self.info = info
        self.operator: str = str(info.get("operator") or "")
        if isinstance(policy, Policy):
            self.policy = policy
        elif policy is not None:
            self.policy = load_policy(policy)
        elif info.get("policy"):
            self.policy = parse_policy(info["policy"], "run.json policy")
        else:
            self.policy = load_policy(None)
        prefixes = set(PLACEHOLDER_PREFIXES) | {
            r.placeholder for r in self.policy.entities.values()
        }
        self.prefixes = sorted(prefixes)
        self.pattern = placeholder_pattern(prefixes)
        self._lock = threading.RLock()
        self._sample_key: tuple | None = None
        self._sample: dict[str, Any] | None = None
        self._by_id: dict[int, dict[str, Any]] = {}
        self._tables: dict[tuple[str, str], Any] = {}
        self._raw_index: dict[str, Any] | None = None
        self._stats: dict[str, Any] | None = None

    # -- sample ------------------------------------------------------------------------
    def sample(self) -> dict[str, Any] | None:
        """The review sample (re-read when sample.json changes; None before it is drawn)."""
        path = self.run_dir / "review" / "sample.json"
        try:
            st = path.stat()
            key = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            key = None
        with self._lock:
            if key != self._sample_key or (key is not None and self._sample is None):
                sample = _load_sample_file(self.run_dir) if key is not None else None
                self._sample = sample
                self._by_id = {int(i["id"]): i for i in sample["items"]} if sample else {}
                self._sample_key = key
                self._raw_index = None
            return self._sample

    def items(self) -> list[dict[str, Any]]:
        sample = self.sample()
        return sorted(sample["items"], key=lambda i: int(i["id"])) if sample else []

    def item(self, item_id: int) -> dict[str, Any] | None:
        self.sample()
        return self._by_id.get(int(item_id))

    def sample_hash(self) -> str | None:
        sample = self.sample()
        if not sample:
            return None
        return (
            sample.get("items_hash")
            or hashlib.sha256(canonical(sample["items"]).encode()).hexdigest()
        )

    # -- redacted record and findings ------------------------------------------------------
    def _shard_path(self, folder: str, shard: str) -> Path:
        if not _SHARD_NAME.match(shard) or shard.startswith("."):
            raise RawUnavailable("the sample names an invalid shard")
        return self.run_dir / folder / f"{shard}.parquet"

    def _table(self, folder: str, shard: str):
        path = self._shard_path(folder, shard)
        with self._lock:
            key = (folder, shard)
            if key not in self._tables:
                if len(self._tables) > 16:
                    self._tables.clear()
                self._tables[key] = pq.read_table(path) if path.exists() else None
            return self._tables[key]

    def conversation(self, item: dict[str, Any]) -> dict[str, Any]:
        """The released (redacted) record of a sample item: messages and findings."""
        table = self._table("data", item["shard"])
        if table is None:
            raise LookupError(f"data shard {item['shard']} is missing from the run")
        cid = item["conversation_id"]
        row = int(item.get("row", -1))
        ids = table.column("conversation_id")
        if not (0 <= row < table.num_rows and ids[row].as_py() == cid):
            matches = pc.indices_nonzero(pc.equal(ids, cid)).to_pylist()
            if not matches:
                raise LookupError(
                    f"conversation of item {item['id']} not found in shard {item['shard']}"
                )
            row = matches[0]
        record = table.slice(row, 1).to_pylist()[0]
        messages = [
            {"index": i, "role": m.get("role") or "", "content": m.get("content") or ""}
            for i, m in enumerate(record.get("conversation") or [])
        ]
        findings = self.findings(item["shard"], cid)
        return {
            "conversation_id": cid,
            "model": record.get("model"),
            "language": record.get("language"),
            "turn": record.get("turn"),
            "redacted": bool(record.get("redacted")),
            "messages": messages,
            "findings": findings,
        }

    def findings(self, shard: str, conversation_id: str) -> list[dict[str, Any]]:
        table = self._table("findings", shard)
        if table is None:
            return []
        cols = [c for c in FINDING_FIELDS if c in table.column_names]
        mine = table.filter(pc.equal(table.column("conversation_id"), conversation_id))
        rows = mine.select(cols).to_pylist()
        return sorted(rows, key=lambda f: (f["message_index"], f["start"]))

    def segments(self, text: str, placeholders: set[str]) -> list[dict[str, Any]]:
        """Split redacted text into plain runs and placeholders (with their prefix)."""
        out: list[dict[str, Any]] = []
        pos = 0
        for m in self.pattern.finditer(text):
            if m.start() > pos:
                out.append({"text": text[pos : m.start()], "prefix": None})
            out.append(
                {"text": m.group(0), "prefix": m.group(1), "replaced": m.group(0) in placeholders}
            )
            pos = m.end()
        if pos < len(text):
            out.append({"text": text[pos:], "prefix": None})
        return out

    # -- original text -------------------------------------------------------------------
    def _inputs(self) -> list[dict[str, Any]]:
        return list((self.info.get("request") or {}).get("inputs") or [])

    def _build_raw_index(self) -> dict[str, Any]:
        """conversation_id -> (input path, format, line/row number, byte offset), sampled ids only."""
        wanted_by_shard: dict[str, set[str]] = {}
        for item in self.items():
            wanted_by_shard.setdefault(str(item.get("shard")), set()).add(item["conversation_id"])
        wanted = {cid for ids in wanted_by_shard.values() for cid in ids}
        index: dict[str, tuple[str, str, int, int]] = {}
        unplanned: set[str] = set()
        for shard, ids in wanted_by_shard.items():
            marker = (
                _read_json(self.run_dir / "shards" / f"{shard}.json")
                if _SHARD_NAME.match(shard)
                else None
            )
            plan = (marker or {}).get("plan")
            if not plan or not Path(plan.get("path", "")).is_file():
                unplanned |= ids
                continue
            self._scan(
                Path(plan["path"]),
                plan["format"],
                ids,
                index,
                plan["start"],
                plan["stop"],
                plan.get("byte_offset", 0),
            )
            unplanned |= ids - set(index)
        if unplanned:
            for inp in self._inputs():
                path = Path(inp.get("path", ""))
                if path.is_file():
                    self._scan(path, inp.get("format", "jsonl"), unplanned - set(index), index)
        return {"ids": index, "wanted": wanted}

    @staticmethod
    def _scan(
        path: Path,
        fmt: str,
        wanted: set[str],
        index: dict[str, tuple[str, str, int, int]],
        start: int = 0,
        stop: int | None = None,
        byte_offset: int = 0,
    ) -> None:
        if not wanted:
            return
        if fmt == "parquet":
            pf = pq.ParquetFile(path)
            row = 0
            for batch in pf.iter_batches(batch_size=1024, columns=["conversation_id"]):
                for cid in batch.column(0).to_pylist():
                    if (
                        row >= start
                        and (stop is None or row < stop)
                        and cid in wanted
                        and cid not in index
                    ):
                        index[cid] = (str(path), "parquet", row, 0)
                    row += 1
                if stop is not None and row >= stop:
                    return
            return
        with open(path, "rb") as f:
            f.seek(byte_offset)
            line = start
            while stop is None or line < stop:
                offset = f.tell()
                raw = f.readline()
                if not raw:
                    return
                line += 1
                try:
                    value = json.loads(raw)
                except ValueError:
                    continue
                cid = value.get("conversation_id") if isinstance(value, dict) else None
                if isinstance(cid, str) and cid in wanted and cid not in index:
                    index[cid] = (str(path), "jsonl", line, offset)

    def raw_location(self, conversation_id: str) -> tuple[str, str, int, int] | None:
        self.sample()
        with self._lock:
            if self._raw_index is None:
                self._raw_index = self._build_raw_index()
            return self._raw_index["ids"].get(conversation_id)

    def _check_input(self, path: str) -> None:
        p = Path(path)
        if not p.is_file():
            raise RawUnavailable(
                f"the original input file {p.name} is no longer available, so the original text cannot be shown"
            )
        for inp in self._inputs():
            if (
                inp.get("path") == path
                and inp.get("size") is not None
                and p.stat().st_size != inp["size"]
            ):
                raise RawUnavailable(
                    f"the input file {p.name} changed since the run (size differs), so its text no longer "
                    "matches the findings; the original text is not shown"
                )

    def raw_messages(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        """The original messages of a sample item, read from the run's input file."""
        inputs = [Path(i.get("path", "")) for i in self._inputs()]
        if inputs and not any(p.is_file() for p in inputs):
            raise RawUnavailable(
                "the run's input files are no longer available, so the original text cannot be shown"
            )
        loc = self.raw_location(item["conversation_id"])
        if loc is None:
            raise RawUnavailable("this conversation was not found in the run's input files")
        path, fmt, number, offset = loc
        self._check_input(path)
        if fmt == "parquet":
            value = None
            row = 0
            for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
                if row + batch.num_rows > number:
                    value = batch.slice(number - row, 1).to_pylist()[0]
                    break
                row += batch.num_rows
        else:
            with open(path, "rb") as f:
                f.seek(offset)
                try:
                    value = json.loads(f.readline())
                except ValueError:
                    value = None
        if not isinstance(value, dict) or value.get("conversation_id") != item["conversation_id"]:
            raise RawUnavailable(
                "the input file changed since the run; the original text is not shown"
            )
        try:
            messages = parse_conversation(value.get("conversation"))
        except RecordError as err:
            raise RawUnavailable(f"the original record cannot be read ({err.reason})") from None
        return [{"index": i, "role": m.role, "content": m.content} for i, m in enumerate(messages)]

    @staticmethod
    def marked(text: str, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Split original text into plain runs and the spans that were redacted (start/end)."""
        out: list[dict[str, Any]] = []
        pos = 0
        for f in sorted(findings, key=lambda f: f["start"]):
            s, e = int(f["start"]), int(f["end"])
            if s < pos or e > len(text) or e <= s:
                continue
            if s > pos:
                out.append({"text": text[pos:s], "finding": None})
            out.append({"text": text[s:e], "finding": f})
            pos = e
        if pos < len(text):
            out.append({"text": text[pos:], "finding": None})
        return out

    # -- run-wide statistics (for the overview) --------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Replacements by entity type and by language, from findings/ and index/ (cached)."""
        with self._lock:
            if self._stats is None:
                by_type: Counter[str] = Counter()
                by_language: Counter[str] = Counter()
                conversations = 0
                for path in sorted((self.run_dir / "findings").glob("*.parquet")):
                    col = pq.read_table(path, columns=["entity_type"]).column("entity_type")
                    for entry in pc.value_counts(col).to_pylist():
                        by_type[entry["values"] or "?"] += entry["counts"]
                for path in sorted((self.run_dir / "index").glob("*.parquet")):
                    t = pq.read_table(path, columns=["language", "findings"])
                    conversations += t.num_rows
                    sums = t.group_by("language").aggregate([("findings", "sum")])
                    for entry in sums.to_pylist():
                        by_language[entry["language"] or "unknown"] += int(
                            entry["findings_sum"] or 0
                        )
                self._stats = {
                    "by_type": dict(by_type.most_common()),
                    "by_language": dict(by_language.most_common()),
                    "conversations": conversations,
                    "replacements": sum(by_type.values()),
                }
            return self._stats
