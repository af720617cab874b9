"""The driver of `redact run`: plan, guard resume, dispatch shards to Ray, write the manifest.

The driver never reads record contents; workers do. It records `run.started` (or
`run.resumed`), one `shard.written` per output file and `run.finished` in the audit log.

The run directory is a local path or a URI (`s3://bucket/runs/x`, see `redact.io.storage`).
Workers write each shard's files straight into it and its marker (`shards/part-N.json`) last;
the driver writes `run.json` first and `manifest.json` last. The audit log needs exclusive
appends (`audit.log.AuditLog` locks a local file), so for a run directory on an object store
the driver, its only writer during a run, keeps the log in a local staging folder: it starts
from the stored copy (a resumed run continues the same chain), appends there, and uploads the
whole file at start, every `AUDIT_SYNC_SECONDS` while shards finish, and at the end (also when
the run fails). An upload lost to a killed driver only loses `shard.written` events of shards
whose markers exist; `--resume` logs those again, so the chain stays valid and complete.
Reviewing (sample, dashboard, gate, verify) works on a local copy of such a run.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from audit.log import AuditLog
from policies.model import load_policy, policy_hash
from redact.errors import RedactError, UsageError
from redact.io.reader import ShardPlan, discover_inputs, plan_shards
from redact.io.storage import Storage
from redact.keys import key_fingerprint, load_key
from redact.pipeline.manifest import OUTPUT_DIRS, aggregate, versions
from redact.pipeline.ray_exec import DEFAULT_SHARD_RETRIES
from redact.pipeline.shard import MARKER_DIR, marker_rel

log = logging.getLogger(__name__)

AUDIT_REL = "audit/events.jsonl"
AUDIT_SYNC_SECONDS = 10.0


class RunFailed(RedactError):
    """Shards failed on the cluster; finished shards are kept for `--resume` (exit 1)."""

    exit_code = 1


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
    shard_retries: int = DEFAULT_SHARD_RETRIES  # per shard, after its worker process died
    extra: dict[str, Any] = field(default_factory=dict)


def _say(opts: RunOptions, msg: str) -> None:
    if not opts.quiet:
        print(msg, file=sys.stderr, flush=True)


def _marker_valid(store: Storage, plan: ShardPlan) -> dict[str, Any] | None:
    """A finished shard: its marker exists, matches the plan, and its files still hash the same."""
    try:
        marker = store.read_json(marker_rel(plan))
    except (ValueError, UnicodeDecodeError):
        return None  # a damaged marker: redo the shard
    if not isinstance(marker, dict) or marker.get("plan") != plan.to_dict():
        return None
    for rel, info in marker.get("files", {}).items():
        try:
            if store.sha256(rel) != info["sha256"]:
                return None
        except (FileNotFoundError, KeyError, TypeError):
            return None
        except OSError:
            if store.exists(rel):
                raise
            return None
    return marker


def _request(opts: RunOptions, inputs, policy, phash: str, key: bytes) -> dict[str, Any]:
    return {
        "inputs": [asdict(i) for i in inputs],
        "policy_hash": phash,
        "key_fingerprint": key_fingerprint(key),
        "shard_records": policy.detection.shard_records,
    }


def _holds_files(store: Storage) -> bool:
    """Anything but empty folders (an object store has no empty folders)."""
    if not store.local:
        return not store.is_empty()
    root = store.local_path()
    if not root.exists():
        return False
    if not root.is_dir():
        return True
    return any(files for _, _, files in os.walk(root))


def _check_resume(
    store: Storage, opts: RunOptions, request: dict[str, Any]
) -> dict[str, Any] | None:
    """Return the earlier run.json when resuming is allowed; refuse every unsafe combination."""
    where = store.display()
    try:
        previous = store.read_json("run.json")
    except (ValueError, UnicodeDecodeError):
        raise UsageError(
            f"{where}/run.json is damaged; cannot tell what this run was; choose a new --output"
        ) from None
    finished = store.exists("manifest.json")
    if previous is None:
        if _holds_files(store):
            raise UsageError(
                f"output folder {where} is not empty and holds no redact run; choose a new --output"
            )
        return None
    if not opts.resume:
        state = "a finished run" if finished else "an unfinished run (pass --resume to continue it)"
        raise UsageError(f"output folder {where} already holds {state}; choose a new --output")
    for key, what in (
        ("inputs", "input files (paths or contents changed)"),
        ("policy_hash", "policy"),
        ("key_fingerprint", "HMAC key"),
        ("shard_records", "policy's detection.shard_records"),
    ):
        if previous["request"].get(key) != request[key]:
            raise UsageError(
                f"cannot resume {where}: the {what} differ from the original run. "
                f"Resume with the same --input, --policy and key, or start a new --output."
            )
    return previous


class _AuditStaging:
    """The audit log's local home: the run directory itself, or a staging copy of a remote one."""

    def __init__(self, store: Storage):
        self.store = store
        self.tmp: Path | None = None
        if store.local:
            self.dir = store.local_path()
        else:
            self.tmp = Path(tempfile.mkdtemp(prefix="redact-audit-"))
            self.dir = self.tmp
            store.download(AUDIT_REL, self.dir / AUDIT_REL)
        self.log = AuditLog(self.dir)
        self._synced = time.monotonic()

    def sync(self, force: bool = False) -> None:
        if self.tmp is None:
            return
        if force or time.monotonic() - self._synced >= AUDIT_SYNC_SECONDS:
            path = self.dir / AUDIT_REL
            if path.exists():
                self.store.upload(path, AUDIT_REL)
            self._synced = time.monotonic()

    def close(self) -> None:
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _progress(todo: int, finished_now: int, t0: float, records: int) -> str:
    elapsed = time.perf_counter() - t0
    rate = records / elapsed if elapsed > 0 else 0.0
    eta = (todo - finished_now) * elapsed / finished_now if finished_now else 0.0
    return f"{elapsed:.0f}s elapsed, {rate:.1f} records/s, about {eta:.0f}s left"


def run(opts: RunOptions) -> dict[str, Any]:
    """Execute `redact run`; returns the manifest."""
    started = time.perf_counter()
    policy = load_policy(opts.policy)
    phash = policy_hash(policy)
    inputs = discover_inputs(opts.inputs)
    key = load_key()
    store = Storage(opts.output)
    request = _request(opts, inputs, policy, phash, key)
    previous = _check_resume(store, opts, request)
    if previous and store.exists("manifest.json"):
        _say(opts, f"{store.display()}: run already finished; nothing to resume")
        return _reconcile_finished(store, previous)

    plans = plan_shards(inputs, policy.detection.shard_records)
    operator = opts.operator or getpass.getuser()
    staging = _AuditStaging(store)
    try:
        return _run(
            opts,
            store,
            staging,
            policy,
            phash,
            inputs,
            key,
            request,
            previous,
            plans,
            operator,
            started,
        )
    finally:
        try:
            staging.sync(force=True)
        finally:
            staging.close()


def _run(
    opts, store, staging, policy, phash, inputs, key, request, previous, plans, operator, started
):
    audit = staging.log
    if previous is None:
        run_id = uuid.uuid4().hex
        for d in (*OUTPUT_DIRS, MARKER_DIR):
            store.makedirs(d)
        run_info = {
            "run_id": run_id,
            "operator": operator,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "request": request,
            "policy": policy.model_dump(mode="json"),
        }
        store.write_json("run.json", run_info)
        audit.append(
            "run.started",
            operator,
            {
                "run_id": run_id,
                "policy_hash": phash,
                "inputs": [
                    {"file": Path(i.path).name, "sha256": i.sha256, "bytes": i.size} for i in inputs
                ],
                "shards": len(plans),
            },
        )
    else:
        run_id = previous["run_id"]
        operator = previous["operator"]
        audit.append("run.resumed", opts.operator or getpass.getuser(), {"run_id": run_id})
    staging.sync(force=True)

    with ThreadPoolExecutor(max_workers=1 if store.local else 16) as pool:
        found = pool.map(lambda p: (p.name, _marker_valid(store, p)), plans)
        done = {name: m for name, m in found if m}
    pending = [p for p in plans if p.name not in done]
    logged = {e["payload"].get("file") for e in audit.events() if e["type"] == "shard.written"}
    _say(
        opts,
        f"redact run {run_id[:8]}: {len(inputs)} input file(s), {len(plans)} shard(s), "
        f"{len(done)} already done, {len(pending)} to process -> {store.display()}",
    )

    def record_shard(marker: dict[str, Any]) -> None:
        for rel, info in sorted(marker["files"].items()):
            if rel not in logged:
                audit.append(
                    "shard.written",
                    operator,
                    {"file": rel, "sha256": info["sha256"], "rows": info["rows"]},
                )
                logged.add(rel)

    for marker in done.values():
        record_shard(marker)
    staging.sync(force=True)

    workers_used = 0
    if pending:
        from redact.pipeline.ray_exec import init_ray, run_shards

        t0 = time.perf_counter()
        workers_used = init_ray(opts.address, opts.workers)
        _say(
            opts, f"Ray ready in {time.perf_counter() - t0:.1f}s; {workers_used} detector worker(s)"
        )
        total = len(plans)
        run_dir_arg = str(store.local_path().resolve()) if store.local else store.uri
        t0 = time.perf_counter()
        finished_now = records_now = 0
        try:
            for marker in run_shards(
                pending,
                policy.canonical_json(),
                key,
                run_dir_arg,
                workers_used,
                progress=not opts.quiet,
                shard_retries=opts.shard_retries,
            ):
                done[marker["shard"]] = marker
                record_shard(marker)
                staging.sync()
                finished_now += 1
                c = marker["counts"]
                records_now += c["in"]
                _say(
                    opts,
                    f"  [{len(done)}/{total}] {marker['shard']}: {c['in']} in, {c['released']} released, "
                    f"{c['quarantined']} quarantined, {c['findings']} replacements "
                    f"({_progress(len(pending), finished_now, t0, records_now)})",
                )
        except Exception as err:  # noqa: BLE001 - Ray raises many kinds; all mean the same here
            log.debug("shard processing failed", exc_info=True)
            refused = _worker_usage_error(err)
            if refused:  # e.g. a model the policy names is not installed on the workers
                raise UsageError(f"a detector worker could not start: {refused}") from None
            why = f"{type(err).__name__}: {_first_line(err)}"
            if _worker_died(err):
                why = (
                    f"a detector worker process died on the same shard "
                    f"{opts.shard_retries + 1} time(s) (Ray: {type(err).__name__}): it was "
                    f"killed, ran out of memory (see dmesg and the Ray worker logs) or crashed "
                    f"in native code; raise --shard-retries if workers are being preempted"
                )
            unfinished = [p.name for p in plans if p.name not in done]
            listed = ", ".join(unfinished[:5]) + (" ..." if len(unfinished) > 5 else "")
            raise RunFailed(
                f"{len(unfinished)} of {len(plans)} shard(s) did not finish ({why}). "
                f"Unfinished: {listed}. Finished shards are kept: rerun the same command with "
                f"--resume to process the rest."
            ) from None

    markers = [done[p.name] for p in plans]
    manifest, manifest_sha256 = _finish(
        store, run_id, operator, policy, phash, inputs, markers, started, workers_used
    )
    audit.append(
        "run.finished",
        operator,
        {
            "run_id": run_id,
            "counts": manifest["counts"],
            "files": len(manifest["files"]),
            "manifest_sha256": manifest_sha256,
        },
    )
    return manifest


def _reconcile_finished(store: Storage, previous: dict[str, Any]) -> dict[str, Any]:
    """A finished run whose driver died after writing manifest.json (or, on an object store,
    before its last audit upload): log what the audit log misses, so it matches the manifest."""
    manifest = store.read_json("manifest.json")
    staging = _AuditStaging(store)
    try:
        audit = staging.log
        events = list(audit.events())
        logged = {e["payload"].get("file") for e in events if e["type"] == "shard.written"}
        operator = previous["operator"]
        for rel, info in sorted(manifest["files"].items()):
            if rel not in logged:
                payload = {"file": rel, "sha256": info["sha256"], "rows": info["rows"]}
                audit.append("shard.written", operator, payload)
        if not any(e["type"] == "run.finished" for e in events):
            payload = {
                "run_id": manifest["run_id"],
                "counts": manifest["counts"],
                "files": len(manifest["files"]),
                "manifest_sha256": store.sha256("manifest.json"),
            }
            audit.append("run.finished", operator, payload)
        staging.sync(force=True)
    finally:
        staging.close()
    return manifest


def _causes(err: BaseException | None):
    """`err` and the errors behind it (cause, context, Ray's `cause`), each once."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        yield err
        err = err.__cause__ or err.__context__ or getattr(err, "cause", None)


def _worker_usage_error(err: BaseException) -> str | None:
    """The message of a `UsageError` raised inside a Ray worker, if that is what failed."""
    for e in _causes(err):
        m = re.search(r"redact\.errors\.UsageError: (.+)", str(e))
        if m:
            return m.group(1).strip()
    return None


_DEATHS = ("ActorDiedError", "WorkerCrashedError", "OutOfMemoryError", "ActorUnavailableError")


def _worker_died(err: BaseException) -> bool:
    """Whether Ray gave up on a shard because its worker process kept dying."""
    return any(
        type(e).__name__ in _DEATHS or any(d in str(e) for d in _DEATHS) for e in _causes(err)
    )


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:300] if text else ""


def _finish(
    store, run_id, operator, policy, phash, inputs, markers, started, workers
) -> tuple[dict[str, Any], str]:
    """Write manifest.json; returns it and its sha256."""
    agg = aggregate(markers)
    _remove_strays(store, set(agg["files"]))
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
        "timing": {
            "wall_seconds": round(wall, 2),
            "workers": workers,
            "chars_per_second": round(counts.get("chars", 0) / wall, 1) if wall else 0.0,
        },
    }
    return manifest, store.write_json("manifest.json", manifest)


def _remove_strays(store: Storage, keep: set[str]) -> None:
    """Delete output files no finished shard claims (left by an interrupted attempt)."""
    for d in OUTPUT_DIRS:
        for name in store.list_files(d, recursive=True):
            rel = f"{d}/{name}"
            if rel not in keep:
                store.delete(rel)
        if store.local:
            for sub in sorted(store.local_path(d).glob("*/"), reverse=True):
                shutil.rmtree(sub, ignore_errors=True)


def summary_text(manifest: dict[str, Any]) -> str:
    c = manifest["counts"]
    t = manifest["timing"]
    lines = [
        f"run {manifest['run_id']}  operator {manifest['operator']}",
        f"records in {c.get('in', 0)}  released {c.get('released', 0)}  quarantined {c.get('quarantined', 0)}",
        f"conversations redacted {c.get('redacted_conversations', 0)}  without NER coverage {c.get('without_ner', 0)}",
        "replacements by type: "
        + (", ".join(f"{k} {v}" for k, v in manifest["replacements_by_type"].items()) or "none"),
    ]
    if manifest["quarantine_reasons"]:
        lines.append(
            "quarantine reasons: "
            + "; ".join(f"{k} ({v})" for k, v in manifest["quarantine_reasons"].items())
        )
    lines.append(
        f"wall time {t['wall_seconds']:.1f}s  {c.get('chars', 0)} characters  {t['chars_per_second']:.0f} chars/s  workers {t['workers']}"
    )
    return "\n".join(lines)


def print_summary(manifest: dict[str, Any]) -> None:
    print(summary_text(manifest))


__all__ = ["RunFailed", "RunOptions", "run", "print_summary", "summary_text", "json"]
