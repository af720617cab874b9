"""The driver of `redact run`: plan, guard resume, dispatch shards to Ray, write the manifest.

The driver never reads record contents; workers do. It records `run.started`, one
`shard.written` per output file and `run.finished` in the audit log.
"""

from __future__ import annotations

import getpass
import json
import logging
import shutil
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from audit.log import AuditLog
from policies.model import load_policy, policy_hash
from redact.errors import UsageError
from redact.io.reader import ShardPlan, discover_inputs, plan_shards
from redact.io.writer import write_json_atomic
from redact.keys import key_fingerprint, load_key
from redact.pipeline.manifest import OUTPUT_DIRS, aggregate, read_json, versions
from redact.pipeline.shard import MARKER_DIR, file_sha256, marker_path

log = logging.getLogger(__name__)


@dataclass
class RunOptions:
    inputs: list[str]
    output: str
    policy: str | None = None
    address: str | None = None
    workers: int | None = None
    resume: bool = False
    operator: str | None = None
    quiet: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _say(opts: RunOptions, msg: str) -> None:
    if not opts.quiet:
        print(msg, file=sys.stderr, flush=True)


def _marker_valid(run_dir: Path, plan: ShardPlan) -> dict[str, Any] | None:
    """A finished shard: its marker exists, matches the plan, and its files still hash the same."""
    marker = read_json(marker_path(run_dir, plan))
    if not marker or marker.get("plan") != plan.to_dict():
        return None
    for rel, info in marker["files"].items():
        path = run_dir / rel
        if not path.exists() or file_sha256(path) != info["sha256"]:
            return None
    return marker


def _request(opts: RunOptions, inputs, policy, phash: str, key: bytes) -> dict[str, Any]:
    return {
        "inputs": [asdict(i) for i in inputs],
        "policy_hash": phash,
        "key_fingerprint": key_fingerprint(key),
        "shard_records": policy.detection.shard_records,
    }


def _check_resume(run_dir: Path, opts: RunOptions, request: dict[str, Any]) -> dict[str, Any] | None:
    """Return the earlier run.json when resuming is allowed; refuse every unsafe combination."""
    previous = read_json(run_dir / "run.json")
    finished = (run_dir / "manifest.json").exists()
    if previous is None:
        if run_dir.exists() and any(run_dir.iterdir()) and not opts.resume:
            raise UsageError(f"output folder {run_dir} is not empty and holds no redact run; choose a new --output")
        return None
    if not opts.resume:
        state = "a finished run" if finished else "an unfinished run (pass --resume to continue it)"
        raise UsageError(f"output folder {run_dir} already holds {state}; choose a new --output")
    for key, what in (
        ("inputs", "input files (paths or contents changed)"),
        ("policy_hash", "policy"),
        ("key_fingerprint", "HMAC key"),
        ("shard_records", "policy's detection.shard_records"),
    ):
        if previous["request"].get(key) != request[key]:
            raise UsageError(
                f"cannot resume {run_dir}: the {what} differ from the original run. "
                f"Resume with the same --input, --policy and key, or start a new --output."
            )
    return previous


def run(opts: RunOptions) -> dict[str, Any]:
    """Execute `redact run`; returns the manifest."""
    started = time.perf_counter()
    policy = load_policy(opts.policy)
    phash = policy_hash(policy)
    inputs = discover_inputs(opts.inputs)
    key = load_key()
    run_dir = Path(opts.output)
    request = _request(opts, inputs, policy, phash, key)
    previous = _check_resume(run_dir, opts, request)
    if previous and (run_dir / "manifest.json").exists():
        _say(opts, f"{run_dir}: run already finished; nothing to resume")
        return read_json(run_dir / "manifest.json")

    plans = plan_shards(inputs, policy.detection.shard_records)
    operator = opts.operator or getpass.getuser()
    audit = AuditLog(run_dir)
    if previous is None:
        run_id = uuid.uuid4().hex
        for d in (*OUTPUT_DIRS, MARKER_DIR):
            (run_dir / d).mkdir(parents=True, exist_ok=True)
        run_info = {
            "run_id": run_id,
            "operator": operator,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "request": request,
            "policy": policy.model_dump(mode="json"),
        }
        write_json_atomic(run_info, run_dir / "run.json")
        audit.append("run.started", operator, {"run_id": run_id, "policy_hash": phash, "inputs": [
            {"file": Path(i.path).name, "sha256": i.sha256, "bytes": i.size} for i in inputs
        ], "shards": len(plans)})
    else:
        run_id = previous["run_id"]
        operator = previous["operator"]
        audit.append("run.resumed", opts.operator or getpass.getuser(), {"run_id": run_id})

    done = {p.name: m for p in plans if (m := _marker_valid(run_dir, p))}
    pending = [p for p in plans if p.name not in done]
    logged = {e["payload"].get("file") for e in audit.events() if e["type"] == "shard.written"}
    _say(opts, f"redact run {run_id[:8]}: {len(inputs)} input file(s), {len(plans)} shard(s), "
               f"{len(done)} already done, {len(pending)} to process")

    def record_shard(marker: dict[str, Any]) -> None:
        for rel, info in sorted(marker["files"].items()):
            if rel not in logged:
                audit.append("shard.written", operator, {"file": rel, "sha256": info["sha256"], "rows": info["rows"]})
                logged.add(rel)

    for marker in done.values():
        record_shard(marker)

    workers_used = 0
    if pending:
        from redact.pipeline.ray_exec import init_ray, run_shards

        t0 = time.perf_counter()
        workers_used = init_ray(opts.address, opts.workers)
        _say(opts, f"Ray ready in {time.perf_counter() - t0:.1f}s; {workers_used} detector worker(s)")
        total = len(plans)
        for marker in run_shards(pending, policy.canonical_json(), key, str(run_dir.resolve()), workers_used):
            done[marker["shard"]] = marker
            record_shard(marker)
            c = marker["counts"]
            _say(opts, f"  [{len(done)}/{total}] {marker['shard']}: {c['in']} in, {c['released']} released, "
                       f"{c['quarantined']} quarantined, {c['findings']} replacements")

    markers = [done[p.name] for p in plans]
    manifest = _finish(run_dir, run_id, operator, policy, phash, inputs, markers, started, workers_used)
    audit.append("run.finished", operator, {"run_id": run_id, "counts": manifest["counts"],
                                            "files": len(manifest["files"])})
    return manifest


def _finish(run_dir, run_id, operator, policy, phash, inputs, markers, started, workers) -> dict[str, Any]:
    agg = aggregate(markers)
    _remove_strays(run_dir, set(agg["files"]))
    counts = agg["counts"]
    if counts.get("in", 0) != counts.get("released", 0) + counts.get("quarantined", 0):
        raise RuntimeError("internal error: records in != released + quarantined")  # never expected
    wall = time.perf_counter() - started
    manifest = {
        "run_id": run_id,
        "operator": operator,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": [asdict(i) for i in inputs],
        "policy": policy.model_dump(mode="json"),
        "policy_hash": phash,
        "versions": versions(policy),
        "ner_languages": sorted(policy.languages.ner_models),
        **agg,
        "timing": {"wall_seconds": round(wall, 2), "workers": workers,
                   "chars_per_second": round(counts.get("chars", 0) / wall, 1) if wall else 0.0},
    }
    write_json_atomic(manifest, run_dir / "manifest.json")
    return manifest


def _remove_strays(run_dir: Path, keep: set[str]) -> None:
    """Delete output files no finished shard claims (left by an interrupted attempt)."""
    for d in OUTPUT_DIRS:
        for f in (run_dir / d).glob("*"):
            rel = f"{d}/{f.name}"
            if rel not in keep:
                if f.is_dir():
                    shutil.rmtree(f)
                else:
                    f.unlink()


def summary_text(manifest: dict[str, Any]) -> str:
    c = manifest["counts"]
    t = manifest["timing"]
    lines = [
        f"run {manifest['run_id']}  operator {manifest['operator']}",
        f"records in {c.get('in', 0)}  released {c.get('released', 0)}  quarantined {c.get('quarantined', 0)}",
        f"conversations redacted {c.get('redacted_conversations', 0)}  without NER coverage {c.get('without_ner', 0)}",
        "replacements by type: " + (", ".join(f"{k} {v}" for k, v in manifest["replacements_by_type"].items()) or "none"),
    ]
    if manifest["quarantine_reasons"]:
        lines.append("quarantine reasons: " + "; ".join(f"{k} ({v})" for k, v in manifest["quarantine_reasons"].items()))
    lines.append(f"wall time {t['wall_seconds']:.1f}s  {c.get('chars', 0)} characters  {t['chars_per_second']:.0f} chars/s  workers {t['workers']}")
    return "\n".join(lines)


def print_summary(manifest: dict[str, Any]) -> None:
    print(summary_text(manifest))


__all__ = ["RunOptions", "run", "print_summary", "summary_text", "json"]
