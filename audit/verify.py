"""`redact audit verify`: does a run's evidence still hold?

Checks, in the order problems are reported:
1. the hash chain of `audit/events.jsonl`: every line parses, has exactly the event fields,
   `seq` counts 0, 1, 2... (a gap means a deleted event, a repeat or step back an inserted or
   moved one), `prev` is the previous event's hash, `hash` recomputes;
2. every file that a `shard.written` event or `manifest.json` names exists and has that
   sha256; nothing else lies under data/, findings/, quarantine/ or index/;
3. the log and the manifest agree on which files exist, their sha256 and row counts;
4. `manifest.json` agrees with the `run.finished` event (its sha256 when the event records
   `manifest_sha256`, else run id, counts and number of files), and with `run.started` and
   `run.json` on run id and policy hash;
5. `review/sample.json` matches its own items_hash and the `sample.drawn` event.

A chain can be cut short at the end without a trace inside it; compare `head` with a copy kept
elsewhere (the gate's report, a CI log) to rule that out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit.log import GENESIS, LINE_FIELDS, event_hash
from audit.sampling import SAMPLE_FILE, items_hash
from redact.errors import UsageError
from redact.pipeline.manifest import OUTPUT_DIRS
from redact.pipeline.shard import file_sha256

LOG_FILE = "audit/events.jsonl"


@dataclass(frozen=True)
class Problem:
    kind: (
        str  # chain | missing_file | changed_file | unexpected_file | mismatch | manifest | sample
    )
    where: str  # "seq N", "line N" or a file relative to the run
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class VerifyResult:
    run_dir: str
    problems: list[Problem] = field(default_factory=list)
    events: int = 0
    files: int = 0
    head: str = GENESIS

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problem(self) -> Problem | None:
        """The first problem found (None when intact)."""
        return self.problems[0] if self.problems else None

    def add(self, kind: str, where: str, message: str) -> None:
        self.problems.append(Problem(kind, where, message))


def _short(h: Any) -> str:
    return str(h)[:12] + "…" if isinstance(h, str) and len(h) > 12 else str(h)


def check_chain(lines: list[bytes], result: VerifyResult) -> list[dict[str, Any]]:
    """Verify the chain; return every event that parses (for the file checks), stopping the
    chain check at the first problem (what follows a break cannot be trusted link by link)."""
    parsed: list[dict[str, Any]] = []
    prev = GENESIS
    broken = False
    for number, raw in enumerate(lines, start=1):
        where = f"line {number}"
        try:
            event = json.loads(raw)
            if not isinstance(event, dict):
                raise ValueError
        except ValueError:
            if not broken:
                result.add(
                    "chain",
                    where,
                    f"event at line {number} is not valid JSON"
                    if raw.strip()
                    else f"blank line {number} in the audit log",
                )
                broken = True
            continue
        parsed.append(event)
        if broken:
            continue
        expected_seq = number - 1
        keys = set(event)
        if keys != set(LINE_FIELDS):
            extra, missing = sorted(keys - set(LINE_FIELDS)), sorted(set(LINE_FIELDS) - keys)
            what = ", ".join(
                [
                    *(f"unexpected field {k!r}" for k in extra),
                    *(f"missing field {k!r}" for k in missing),
                ]
            )
            result.add("chain", where, f"malformed event at line {number}: {what}")
            broken = True
        elif not isinstance(event["seq"], int) or isinstance(event["seq"], bool):
            result.add("chain", where, f"malformed event at line {number}: seq is not an integer")
            broken = True
        elif event["seq"] != expected_seq:
            seq = event["seq"]
            if seq > expected_seq:
                msg = f"seq gap at line {number}: expected seq {expected_seq}, found {seq} (event(s) deleted)"
            else:
                msg = f"seq out of order at line {number}: expected seq {expected_seq}, found {seq} (event inserted or moved)"
            result.add("chain", f"seq {expected_seq}", msg)
            broken = True
        elif event["prev"] != prev:
            result.add(
                "chain",
                f"seq {expected_seq}",
                f"broken link at seq {expected_seq}: prev {_short(event['prev'])} is not the hash of seq {expected_seq - 1}"
                if expected_seq
                else "broken link at seq 0: prev is not the genesis hash",
            )
            broken = True
        else:
            try:
                recomputed = event_hash(prev, event)
            except (TypeError, ValueError):
                recomputed = None
            if recomputed != event["hash"]:
                result.add(
                    "chain",
                    f"seq {expected_seq}",
                    f"bad hash at seq {expected_seq}: the event's content does not match its hash (event edited)",
                )
                broken = True
            else:
                prev = event["hash"]
    if not broken:
        result.head = prev
    return parsed


def _read_lines(path: Path, result: VerifyResult) -> list[bytes]:
    data = path.read_bytes()
    if not data:
        return []
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    else:
        result.add(
            "chain",
            f"line {len(lines)}",
            f"the audit log's last line ({len(lines)}) is incomplete (no newline)",
        )
    return lines


def _load_json(path: Path, rel: str, result: VerifyResult) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_bytes())
        if isinstance(data, dict):
            return data
    except ValueError:
        pass
    result.add(
        "manifest" if rel == "manifest.json" else "changed_file",
        rel,
        f"changed file {rel}: not a JSON object",
    )
    return None


def _safe_rel(rel: Any) -> bool:
    if not isinstance(rel, str):
        return False
    parts = Path(rel).parts
    return len(parts) == 2 and parts[0] in OUTPUT_DIRS and parts[1] not in ("", ".", "..")


def check_files(
    run_dir: Path,
    events: list[dict[str, Any]],
    manifest: dict[str, Any] | None,
    result: VerifyResult,
) -> None:
    # A shard redone on resume may be logged again: the last entry before run.finished counts.
    # Nothing may be logged for a file after the run finished.
    logged: dict[str, dict[str, Any]] = {}
    finished = False
    for e in events:
        if e.get("type") == "run.finished":
            finished = True
        elif e.get("type") == "shard.written" and isinstance(e.get("payload"), dict):
            rel = e["payload"].get("file")
            if finished:
                result.add(
                    "mismatch",
                    str(rel),
                    f"shard.written for {rel} logged after run.finished (seq {e.get('seq')})",
                )
            logged[rel] = e["payload"]
    listed: dict[str, Any] = {}
    if manifest is not None:
        files = manifest.get("files")
        if isinstance(files, dict):
            listed = {k: v if isinstance(v, dict) else {} for k, v in files.items()}
        else:
            result.add("manifest", "manifest.json", "manifest.json has no files table")

    names = sorted(set(logged) | set(listed), key=str)
    for rel in names:
        if not _safe_rel(rel):
            result.add(
                "mismatch",
                str(rel),
                f"the run names a file outside data/ findings/ quarantine/ index/: {rel!r}",
            )
            continue
        expected = (logged.get(rel) or listed.get(rel) or {}).get("sha256")
        path = run_dir / rel
        if path.is_symlink() or (path.exists() and not path.is_file()):
            result.add("changed_file", rel, f"changed file {rel}: not a regular file")
        elif not path.exists():
            result.add("missing_file", rel, f"missing file {rel}")
        else:
            try:
                actual = file_sha256(path)
            except OSError as err:
                result.add("changed_file", rel, f"unreadable file {rel} ({err.strerror})")
                continue
            if actual != expected:
                result.add(
                    "changed_file",
                    rel,
                    f"changed file {rel} (sha256 mismatch: expected {_short(expected)}, found {_short(actual)})",
                )
        result.files += 1

    known = set(names)
    for d in OUTPUT_DIRS:
        base = run_dir / d
        if not base.is_dir():
            continue
        for p in sorted(base.rglob("*")):
            rel = p.relative_to(run_dir).as_posix()
            if rel not in known:
                result.add(
                    "unexpected_file",
                    rel,
                    f"unexpected file {rel} (named by neither the audit log nor the manifest)",
                )

    if manifest is None:
        return
    for rel in names:
        if rel in logged and rel not in listed:
            result.add(
                "mismatch",
                rel,
                f"manifest vs log: shard.written logs {rel} but manifest.json does not list it",
            )
        elif rel in listed and rel not in logged:
            result.add(
                "mismatch",
                rel,
                f"manifest vs log: manifest.json lists {rel} but no shard.written event logs it",
            )
        else:
            for what in ("sha256", "rows"):
                if logged[rel].get(what) != listed[rel].get(what):
                    result.add(
                        "mismatch", rel, f"manifest vs log: they disagree on the {what} of {rel}"
                    )


def _last(events: list[dict[str, Any]], type: str) -> dict[str, Any] | None:
    found = [e for e in events if e.get("type") == type and isinstance(e.get("payload"), dict)]
    return found[-1] if found else None


def check_manifest(
    run_dir: Path, events: list[dict[str, Any]], manifest: dict[str, Any], result: VerifyResult
) -> None:
    finished = _last(events, "run.finished")
    if finished is None:
        result.add(
            "manifest",
            "manifest.json",
            "manifest.json exists but the audit log has no run.finished event",
        )
    else:
        p = finished["payload"]
        if "manifest_sha256" in p:
            if file_sha256(run_dir / "manifest.json") != p["manifest_sha256"]:
                result.add(
                    "manifest",
                    "manifest.json",
                    "changed file manifest.json (sha256 differs from the run.finished event)",
                )
        else:
            files = manifest.get("files")
            for what, logged, listed in (
                ("run id", p.get("run_id"), manifest.get("run_id")),
                ("counts", p.get("counts"), manifest.get("counts")),
                (
                    "number of files",
                    p.get("files"),
                    len(files) if isinstance(files, dict) else None,
                ),
            ):
                if logged != listed:
                    result.add(
                        "manifest",
                        "manifest.json",
                        f"changed file manifest.json ({what} differ from the run.finished event)",
                    )
    started = _last(events, "run.started")
    run = None
    if (run_dir / "run.json").exists():
        run = _load_json(run_dir / "run.json", "run.json", result)
    else:
        result.add("missing_file", "run.json", "missing file run.json")
    run_ids = {"manifest.json": manifest.get("run_id")}
    policy_hashes = {"manifest.json": manifest.get("policy_hash")}
    if started is not None:
        run_ids["run.started event"] = started["payload"].get("run_id")
        policy_hashes["run.started event"] = started["payload"].get("policy_hash")
    else:
        result.add("manifest", "audit/events.jsonl", "the audit log has no run.started event")
    if run is not None:
        run_ids["run.json"] = run.get("run_id")
        policy_hashes["run.json"] = (run.get("request") or {}).get("policy_hash")
    for what, values in (("run id", run_ids), ("policy hash", policy_hashes)):
        if len(set(map(str, values.values()))) > 1:
            result.add("mismatch", "manifest.json", f"{' / '.join(values)} disagree on the {what}")


def check_sample(run_dir: Path, events: list[dict[str, Any]], result: VerifyResult) -> None:
    rel = SAMPLE_FILE.as_posix()
    path = run_dir / SAMPLE_FILE
    drawn = [
        e for e in events if e.get("type") == "sample.drawn" and isinstance(e.get("payload"), dict)
    ]
    if len({e["payload"].get("items_hash") for e in drawn}) > 1:
        result.add("sample", rel, "the audit log records more than one different review sample")
    if not path.exists():
        if drawn:
            result.add("missing_file", rel, f"missing file {rel} (logged by sample.drawn)")
        return
    result.files += 1
    if not drawn:
        result.add("unexpected_file", rel, f"unexpected file {rel} (no sample.drawn event logs it)")
        return
    logged = drawn[-1]["payload"]
    sample = _load_json(path, rel, result)
    if sample is None:
        return
    try:
        own = items_hash(sample["items"])
    except (KeyError, TypeError, ValueError):
        own = None
    if own != sample.get("items_hash") or own != logged.get("items_hash"):
        result.add(
            "sample",
            rel,
            f"changed file {rel} (its items do not match the items_hash logged by sample.drawn)",
        )
    elif "sha256" in logged and file_sha256(path) != logged["sha256"]:
        result.add(
            "sample", rel, f"changed file {rel} (sha256 differs from the sample.drawn event)"
        )


def verify_run(run_dir: str | Path) -> VerifyResult:
    """Check a finished run's audit chain and files. UsageError when it is not a readable run."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UsageError(f"no run directory at {run_dir}")
    log_path = run_dir / LOG_FILE
    manifest_path = run_dir / "manifest.json"
    if not any(p.exists() for p in (log_path, manifest_path, run_dir / "run.json")):
        raise UsageError(
            f"{run_dir} is not a redact run (no run.json, manifest.json or {LOG_FILE})"
        )
    result = VerifyResult(str(run_dir))
    try:
        lines = _read_lines(log_path, result) if log_path.exists() else []
        if not log_path.exists():
            result.add("missing_file", LOG_FILE, f"missing file {LOG_FILE}")
        events = check_chain(lines, result)
        result.events = len(lines)
        finished = any(e.get("type") == "run.finished" for e in events)
        if not manifest_path.exists():
            if not finished and log_path.exists():
                raise UsageError(
                    f"{run_dir} is not a finished run (no manifest.json, no run.finished event); "
                    "finish or resume `redact run` first"
                )
            result.add("missing_file", "manifest.json", "missing file manifest.json")
            manifest = None
        else:
            manifest = _load_json(manifest_path, "manifest.json", result)
        check_files(run_dir, events, manifest, result)
        if manifest is not None:
            check_manifest(run_dir, events, manifest, result)
        check_sample(run_dir, events, result)
    except PermissionError as err:
        raise UsageError(f"cannot read {err.filename}: permission denied") from None
    return result


def report_text(result: VerifyResult, max_problems: int = 20) -> str:
    if result.ok:
        return (
            f"audit verify {result.run_dir}: intact — {result.events} events, chain head {result.head[:16]}, "
            f"{result.files} files match"
        )
    first, *rest = result.problems
    lines = [f"audit verify {result.run_dir}: FAILED — {first}"]
    lines += [f"  also: {p}" for p in rest[:max_problems]]
    if len(rest) > max_problems:
        lines.append(f"  ... {len(rest) - max_problems} more problem(s)")
    return "\n".join(lines)
