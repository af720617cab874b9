"""The gate's checks: one small function each, `check_x(ctx) -> Check`.

Each check reads the run's evidence through `GateContext` (which loads each piece once) and
says in its message what it found in figures and, when it fails, exactly what is missing and
how to fix it. No message holds record text: only counts, hashes, names of reviewers and
files, conversation ids and offsets.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from policies.gate.report import Check
from policies.model import Policy, policy_hash
from redact.errors import UsageError

MAX_LISTED = 5  # locations/names listed in a one-line message; the JSON has more


def _pct(x: float) -> str:
    return f"{x * 100:.2f}%"


def _listing(items: list[str], limit: int = MAX_LISTED) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"{path.parent} holds no finished run: {what} is missing "
            f"(finish `redact run` first, or pass the run directory)"
        ) from None
    except (OSError, ValueError) as err:
        raise UsageError(f"{path} is unreadable ({type(err).__name__})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} is not a JSON object")
    return data


class GateContext:
    """The run's evidence, loaded lazily and once, shared by the checks."""

    def __init__(self, run_dir: str | Path, policy: Policy):
        self.run_dir = Path(run_dir)
        if not self.run_dir.is_dir():
            raise UsageError(f"no run directory at {self.run_dir}")
        self.policy = policy
        self.policy_hash = policy_hash(policy)
        self.manifest = _read_json(self.run_dir / "manifest.json", "manifest.json")
        self.run = _read_json(self.run_dir / "run.json", "run.json")

    # -- basics -----------------------------------------------------------------------------
    @property
    def run_id(self) -> str | None:
        return self.manifest.get("run_id") or self.run.get("run_id")

    @property
    def operator(self) -> str | None:
        return self.run.get("operator") or self.manifest.get("operator")

    @cached_property
    def events(self) -> list[dict[str, Any]]:
        """Audit events that parse (the audit_trail check judges the chain itself)."""
        path = self.run_dir / "audit" / "events.jsonl"
        out: list[dict[str, Any]] = []
        if not path.exists():
            return out
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and isinstance(event.get("payload"), dict):
                out.append(event)
        return out

    def events_of(self, type: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("type") == type]

    def data_files(self) -> list[Path]:
        return sorted((self.run_dir / "data").glob("*.parquet"))

    @cached_property
    def markers(self) -> dict[str, dict[str, Any]]:
        out = {}
        for path in sorted((self.run_dir / "shards").glob("*.json")):
            try:
                out[path.stem] = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                out[path.stem] = {"unreadable": True}
        return out

    @cached_property
    def index(self) -> dict[str, list[Any]]:
        cols = ("conversation_id", "language", "ner_coverage")
        tables = [
            pq.read_table(f, columns=list(cols))
            for f in sorted((self.run_dir / "index").glob("*.parquet"))
        ]
        if not tables:
            return {c: [] for c in cols}
        table = pa.concat_tables(tables)
        return {c: table.column(c).to_pylist() for c in cols}

    # -- review evidence --------------------------------------------------------------------
    @cached_property
    def sample(self) -> dict[str, Any] | None:
        from audit.sampling import load_sample

        return load_sample(self.run_dir)

    @cached_property
    def store(self):
        from audit.dashboard.store import ReviewStore, default_db_path

        path = default_db_path(self.run_dir)
        return ReviewStore(path) if path.exists() else None

    @cached_property
    def verdicts(self) -> list[dict[str, Any]]:
        """Latest verdict per item and reviewer, for items of the current sample."""
        if self.store is None or self.sample is None:
            return []
        ids = {str(i["id"]) for i in self.sample["items"]}
        return [v for v in self.store.latest_verdicts() if str(v["item_id"]) in ids]

    @cached_property
    def signoffs(self) -> list[dict[str, Any]]:
        return [] if self.store is None else self.store.signoffs()

    @cached_property
    def logged_signoffs(self) -> dict[str, dict[str, Any]]:
        """The latest review.signoff event per actor."""
        latest: dict[str, dict[str, Any]] = {}
        for e in self.events_of("review.signoff"):
            latest[str(e.get("actor"))] = e
        return latest

    @cached_property
    def signoff_counts(self) -> tuple[Counter[str], Counter[str]]:
        """(sign-offs per reviewer in the store, review.signoff events per actor)."""
        stored: Counter[str] = Counter()
        if self.store is not None and hasattr(self.store, "signoff_history"):
            stored.update(str(s["reviewer"]) for s in self.store.signoff_history())
        logged = Counter(str(e.get("actor")) for e in self.events_of("review.signoff"))
        return stored, logged

    @cached_property
    def sample_hash(self) -> str | None:
        return None if self.sample is None else self.sample.get("items_hash")


def _same_person(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and a.strip().casefold() == b.strip().casefold()


# ---------------------------------------------------------------------------------------------
# 1. audit trail and file hashes
# ---------------------------------------------------------------------------------------------
def check_audit_trail(ctx: GateContext) -> Check:
    from audit.verify import verify_run

    result = verify_run(ctx.run_dir)
    evidence = {
        "events": result.events,
        "files": result.files,
        "head": result.head,
        "problems": [str(p) for p in result.problems[:20]],
        "problem_count": len(result.problems),
    }
    if result.ok:
        return Check(
            "audit_trail",
            True,
            evidence,
            f"hash chain of {result.events} events intact (head {result.head[:16]}); "
            f"{result.files} files match their sha256",
        )
    more = f" (+{len(result.problems) - 1} more problem(s))" if len(result.problems) > 1 else ""
    return Check(
        "audit_trail",
        False,
        evidence,
        f"{result.problem}{more}: the run's evidence no longer holds; restore the original "
        f"files or redo the run (`redact audit verify --run {ctx.run_dir}` lists every problem)",
    )


# ---------------------------------------------------------------------------------------------
# 2. policy hash
# ---------------------------------------------------------------------------------------------
def _diff_paths(a: Any, b: Any, prefix: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in sorted(set(a) | set(b), key=str):
            out += _diff_paths(a.get(k), b.get(k), f"{prefix}.{k}" if prefix else str(k))
        return out
    return [] if a == b else [prefix or "(whole policy)"]


def check_policy_hash(ctx: GateContext) -> Check:
    run_hash = ctx.manifest.get("policy_hash")
    requested = (ctx.run.get("request") or {}).get("policy_hash")
    recorded = ctx.manifest.get("policy")
    recorded_hash = (
        hashlib.sha256(
            json.dumps(recorded, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
        if isinstance(recorded, dict)
        else None
    )
    evidence = {
        "run_policy_hash": run_hash,
        "gate_policy_hash": ctx.policy_hash,
        "run_policy": (recorded or {}).get("name"),
        "gate_policy": ctx.policy.name,
        "allow_policy_mismatch": ctx.policy.release.allow_policy_mismatch,
    }
    if not run_hash or requested != run_hash or recorded_hash != run_hash:
        return Check(
            "policy_hash",
            False,
            evidence,
            "the run's recorded policy does not match its own policy_hash (manifest.json, "
            "run.json and the embedded policy disagree): the run was altered; redo it",
        )
    if run_hash == ctx.policy_hash:
        return Check(
            "policy_hash",
            True,
            evidence,
            f"run made under this policy ({ctx.policy.name}, sha256:{run_hash[:16]})",
        )
    differs = _diff_paths(recorded, ctx.policy.model_dump(mode="json"))
    evidence["differs_in"] = differs[:50]
    where = _listing(differs)
    if ctx.policy.release.allow_policy_mismatch:
        return Check(
            "policy_hash",
            True,
            evidence,
            f"run made under policy {recorded.get('name')} (sha256:{run_hash[:16]}), gate policy "
            f"{ctx.policy.name} (sha256:{ctx.policy_hash[:16]}) differs in {where}; "
            f"allowed by release.allow_policy_mismatch",
        )
    return Check(
        "policy_hash",
        False,
        evidence,
        f"run made under policy {recorded.get('name')} (sha256:{run_hash[:16]}) but the gate "
        f"policy {ctx.policy.name} is sha256:{ctx.policy_hash[:16]} (differs in {where}): redo "
        f"the run with this policy, or gate with the policy the run used",
    )


# ---------------------------------------------------------------------------------------------
# 3. completeness
# ---------------------------------------------------------------------------------------------
def _rows(path: Path) -> int | None:
    try:
        return pq.ParquetFile(path).metadata.num_rows
    except (OSError, pa.ArrowException):
        return None


def check_completeness(ctx: GateContext) -> Check:
    problems: list[str] = []
    counts = ctx.manifest.get("counts") or {}
    total = Counter()
    claimed: set[str] = set()
    listed = [s.get("shard") for s in ctx.manifest.get("shards") or []]
    if sorted(listed) != sorted(ctx.markers):
        missing = sorted(set(listed) - set(ctx.markers))
        extra = sorted(set(ctx.markers) - set(listed))
        if missing:
            problems.append(
                f"shard marker(s) {_listing(missing)} listed in manifest.json are missing from shards/"
            )
        if extra:
            problems.append(f"shard marker(s) {_listing(extra)} are not listed in manifest.json")
    started = ctx.events_of("run.started")
    planned = started[0]["payload"].get("shards") if started else None
    if isinstance(planned, int) and planned != len(ctx.markers):
        problems.append(f"the run planned {planned} shard(s) but {len(ctx.markers)} are complete")

    for name, marker in sorted(ctx.markers.items()):
        if marker.get("unreadable") or not isinstance(marker.get("counts"), dict):
            problems.append(f"shard {name}: completion marker is unreadable")
            continue
        c = marker["counts"]
        total.update({k: c.get(k, 0) for k in ("in", "released", "quarantined")})
        if c.get("in", 0) != c.get("released", 0) + c.get("quarantined", 0):
            problems.append(
                f"shard {name}: {c.get('in')} in != {c.get('released')} released + "
                f"{c.get('quarantined')} quarantined"
            )
        files = marker.get("files") or {}
        claimed.update(files)
        for folder, expect in (
            ("data", c.get("released", 0)),
            ("quarantine", c.get("quarantined", 0)),
            ("index", c.get("released", 0)),
        ):
            rel = f"{folder}/{name}.parquet"
            path = ctx.run_dir / rel
            if not path.exists():
                if expect or rel in files:
                    problems.append(
                        f"shard {name}: {rel} is missing (its marker counts {expect} rows)"
                    )
                continue
            rows = _rows(path)
            if rows is None:
                problems.append(f"shard {name}: {rel} is not a readable Parquet file")
            elif rows != expect:
                problems.append(f"shard {name}: {rel} has {rows} rows, its marker counts {expect}")
    for folder in ("data", "quarantine"):
        for path in sorted((ctx.run_dir / folder).glob("*")):
            rel = f"{folder}/{path.name}"
            if rel not in claimed:
                problems.append(f"{rel} belongs to no completed shard")
    for k in ("in", "released", "quarantined"):
        if counts.get(k) != total.get(k, 0):
            problems.append(
                f"manifest counts {k}={counts.get(k)} but the shards add up to {total.get(k, 0)}"
            )
    if counts.get("in") != (counts.get("released") or 0) + (counts.get("quarantined") or 0):
        problems.append(
            f"manifest: {counts.get('in')} in != {counts.get('released')} released + "
            f"{counts.get('quarantined')} quarantined"
        )

    evidence = {
        "in": counts.get("in"),
        "released": counts.get("released"),
        "quarantined": counts.get("quarantined"),
        "shards": len(ctx.markers),
        "problems": problems[:50],
    }
    if not problems:
        return Check(
            "completeness",
            True,
            evidence,
            f"{counts.get('in')} in = {counts.get('released')} released + {counts.get('quarantined')} "
            f"quarantined; {len(ctx.markers)} shard(s), each file's row count matches its marker",
        )
    return Check(
        "completeness",
        False,
        evidence,
        f"{_listing(problems, 3)}: records are unaccounted for; restore the missing or changed "
        f"files, or rebuild the shard(s) with `redact run --resume` on the same inputs",
    )


# ---------------------------------------------------------------------------------------------
# 4. schema
# ---------------------------------------------------------------------------------------------
def _type_problem(name: str, t: pa.DataType) -> str | None:
    from redact.io.writer import CORE_TYPES

    if name == "redacted":
        return None if t == pa.bool_() else f"redacted is {t}, expected bool"
    if name == "conversation":
        ok = (
            pa.types.is_list(t)
            and pa.types.is_struct(t.value_type)
            and all(
                t.value_type.get_field_index(f) >= 0 and t.value_type.field(f).type == pa.string()
                for f in ("content", "role")
            )
        )
        return (
            None
            if ok
            else f"conversation is {t}, expected list<struct<content: string, role: string>>"
        )
    expected = CORE_TYPES[name]
    return None if t == expected else f"{name} is {t}, expected {expected}"


def check_schema(ctx: GateContext) -> Check:
    from redact.io.writer import CORE_TYPES

    required = [*CORE_TYPES, "redacted"]
    forbidden = list(ctx.policy.drop_fields)
    problems: list[str] = []
    seen_ids: set[str] = set()
    duplicates = 0
    files = ctx.data_files()
    columns: set[str] = set()
    for path in files:
        rel = f"data/{path.name}"
        try:
            schema = pq.read_schema(path)
        except (OSError, pa.ArrowException):
            problems.append(f"{rel} is not a readable Parquet file")
            continue
        columns.update(schema.names)
        for name in required:
            if name not in schema.names:
                problems.append(f"{rel} lacks column {name}")
            elif (p := _type_problem(name, schema.field(name).type)) is not None:
                problems.append(f"{rel}: {p}")
        present = [f for f in forbidden if f in schema.names]
        if present:
            problems.append(
                f"{rel} holds column(s) {', '.join(present)} that the policy drops (drop_fields)"
            )
        if "conversation_id" in schema.names:
            for cid in pq.read_table(path, columns=["conversation_id"]).column(0).to_pylist():
                if cid is None or cid in seen_ids:
                    duplicates += 1
                seen_ids.add(cid)
    if duplicates:
        problems.append(f"{duplicates} conversation_id value(s) are missing or repeated")
    released = (ctx.manifest.get("counts") or {}).get("released") or 0
    if not files and released:
        problems.append(f"no data files, though the manifest says {released} records were released")
    evidence = {
        "files": len(files),
        "columns": sorted(columns),
        "required": required,
        "drop_fields": forbidden,
        "problems": problems[:50],
    }
    if not problems:
        return Check(
            "schema",
            True,
            evidence,
            f"{len(files)} data file(s) have the LMSYS columns with the right types; "
            f"{len(seen_ids)} unique conversation ids; none of the dropped fields "
            f"({', '.join(forbidden) or 'none'}) present",
        )
    return Check(
        "schema",
        False,
        evidence,
        f"{_listing(problems, 3)}: the released files do not match the LMSYS schema or the "
        f"policy; redo the run with this policy (it drops and types these fields)",
    )


# ---------------------------------------------------------------------------------------------
# 5. residual scan
# ---------------------------------------------------------------------------------------------
def check_residual_scan(ctx: GateContext) -> Check:
    from policies.gate.residual import scan_run

    cfg = ctx.policy.release.residual
    result = scan_run(ctx.policy, ctx.data_files())
    contact, names = result.contact_hits, result.name_hits
    name_allowed = max(cfg.max_name_hits, math.floor(cfg.max_name_hit_rate * result.scanned + 1e-9))
    evidence = result.to_dict()
    evidence.update(
        {
            "contact_hits": len(contact),
            "max_contact_hits": cfg.max_contact_hits,
            "name_hits": len(names),
            "name_hits_allowed": name_allowed,
            "max_name_hits": cfg.max_name_hits,
            "max_name_hit_rate": cfg.max_name_hit_rate,
        }
    )
    scope = (
        f"re-scanned {result.scanned} of {result.conversations} released conversations "
        f"({result.messages} messages, NER on {result.ner_scanned})"
    )
    if cfg.scan_fraction < 1:
        scope += f" [scan_fraction {cfg.scan_fraction:g}]"
    figures = (
        f"{len(contact)} contact hit(s) (allowed {cfg.max_contact_hits}), "
        f"{len(names)} name hit(s) (allowed {name_allowed})"
    )
    over = []
    if len(contact) > cfg.max_contact_hits:
        over += [h.location() for h in contact]
    if len(names) > name_allowed:
        over += [h.location() for h in names]
    if not over:
        return Check("residual_scan", True, evidence, f"{scope}: {figures}")
    return Check(
        "residual_scan",
        False,
        evidence,
        f"{scope}: {figures}; at {_listing(over)}: personal data survived redaction. Fix the "
        f"detection (entity thresholds, recognizers, NER models) and redo the run; the JSON report "
        f"lists every location",
    )


# ---------------------------------------------------------------------------------------------
# 6. NER coverage
# ---------------------------------------------------------------------------------------------
def check_ner_coverage(ctx: GateContext) -> Check:
    rel = ctx.policy.release
    ids, langs, cover = (
        ctx.index["conversation_id"],
        ctx.index["language"],
        ctx.index["ner_coverage"],
    )
    total = len(ids)
    without = [i for i in range(total) if not cover[i]]
    share = len(without) / total if total else 0.0
    by_lang = dict(Counter(str(langs[i]) for i in without).most_common())
    evidence = {
        "released": total,
        "without_ner": len(without),
        "share": round(share, 6),
        "max_share_without_ner": rel.max_share_without_ner,
        "without_ner_ok_if_reviewed": rel.without_ner_ok_if_reviewed,
        "without_ner_by_language": by_lang,
    }
    head = (
        f"{len(without)} of {total} released conversations without NER coverage "
        f"({_pct(share)}, allowed {_pct(rel.max_share_without_ner)})"
    )
    released = (ctx.manifest.get("counts") or {}).get("released")
    if released != total:
        return Check(
            "ner_coverage",
            False,
            evidence,
            f"the run's index lists {total} conversations but the manifest says {released} were "
            f"released, so coverage cannot be judged: restore index/ or redo the run",
        )
    if share <= rel.max_share_without_ner + 1e-12:
        return Check("ner_coverage", True, evidence, head)
    langs_txt = _listing([f"{k} {v}" for k, v in by_lang.items()])
    if rel.without_ner_ok_if_reviewed:
        sample = ctx.sample or {"items": []}
        reviewed_items = {str(v["item_id"]) for v in ctx.verdicts}
        reviewed = {
            it["conversation_id"] for it in sample["items"] if str(it["id"]) in reviewed_items
        }
        unreviewed = [ids[i] for i in without if ids[i] not in reviewed]
        evidence["unreviewed"] = len(unreviewed)
        evidence["unreviewed_ids"] = unreviewed[:50]
        if not unreviewed:
            return Check(
                "ner_coverage",
                True,
                evidence,
                f"{head}; every one of them was reviewed (without_ner_ok_if_reviewed)",
            )
        return Check(
            "ner_coverage",
            False,
            evidence,
            f"{head}, and {len(unreviewed)} of them were not reviewed (by language: {langs_txt}): "
            f"add spaCy models for these languages to languages.ner_models and redo the run, "
            f"or have every such conversation reviewed",
        )
    return Check(
        "ner_coverage",
        False,
        evidence,
        f"{head} (by language: {langs_txt}): add spaCy models for these languages to "
        f"languages.ner_models and redo the run",
    )


# ---------------------------------------------------------------------------------------------
# 7. review: sample, verdicts, bound, sign-offs
# ---------------------------------------------------------------------------------------------
def _required_size(ctx: GateContext) -> tuple[int, int]:
    from audit.stats import required_sample_size

    review = ctx.policy.release.review
    required = required_sample_size(review.target_leak_rate, review.confidence)
    released = len(ctx.index["conversation_id"])
    return required, min(required, released)


def check_review_sample(ctx: GateContext) -> Check:
    from audit.sampling import items_hash

    review = ctx.policy.release.review
    required, needed = _required_size(ctx)
    evidence: dict[str, Any] = {
        "required_size": required,
        "needed": needed,
        "target_leak_rate": review.target_leak_rate,
        "confidence": review.confidence,
    }
    basis = (
        f"the policy needs {needed} (zero-failure size for leak rate {review.target_leak_rate:g} at "
        f"{review.confidence:.0%} confidence"
        + (", capped at the population)" if needed < required else ")")
    )
    sample = ctx.sample
    if sample is None:
        return Check(
            "review_sample",
            False,
            evidence,
            f"no review sample has been drawn; {basis}: run `redact sample --run {ctx.run_dir} "
            f"--policy <policy>`",
        )
    items = sample["items"]
    evidence.update(
        {
            "size": len(items),
            "items_hash": sample.get("items_hash"),
            "seed": sample.get("seed"),
            "strata": len(sample.get("strata") or {}),
        }
    )
    problems = []
    own = items_hash(items)
    if own != sample.get("items_hash"):
        problems.append("sample.json's items do not match its items_hash (the sample was edited)")
    drawn = ctx.events_of("sample.drawn")
    logged = {e["payload"].get("items_hash") for e in drawn}
    if not drawn:
        problems.append("the audit log has no sample.drawn event for it")
    elif logged != {own}:
        problems.append(
            "its items_hash does not match the sample.drawn audit event (the sample was changed or redrawn)"
        )
    if sample.get("size") != len(items):
        problems.append(f"it claims size {sample.get('size')} but lists {len(items)} items")
    released = set(ctx.index["conversation_id"])
    cids = [it.get("conversation_id") for it in items]
    stray = [c for c in cids if c not in released]
    if stray:
        problems.append(f"{len(stray)} item(s) are not released conversations")
    if len(set(cids)) != len(cids) or len({str(it.get("id")) for it in items}) != len(items):
        problems.append("it repeats items")
    if len(items) < needed:
        problems.insert(
            0,
            f"the sample has {len(items)} items but {basis}; a drawn sample is fixed: gate with "
            f"the policy it was drawn for, or redo the run and draw the sample with this policy",
        )
    evidence["problems"] = problems
    if problems:
        return Check("review_sample", False, evidence, "; ".join(problems))
    return Check(
        "review_sample",
        True,
        evidence,
        f"{len(items)} items drawn (seed {sample.get('seed')}, {len(sample.get('strata') or {})} strata, "
        f"items_hash {own[:16]} as logged); {basis}",
    )


def check_review_verdicts(ctx: GateContext) -> Check:
    sample = ctx.sample
    if sample is None:
        return Check(
            "review_verdicts", False, {}, "no review sample, so no verdicts: draw the sample first"
        )
    ids = [str(it["id"]) for it in sample["items"]]
    reviewed = {str(v["item_id"]) for v in ctx.verdicts}
    missing = [i for i in ids if i not in reviewed]
    reviewers = sorted({v["reviewer"] for v in ctx.verdicts})
    counts = dict(Counter(v["verdict"] for v in ctx.verdicts))
    # Every verdict in the store must be backed by the audit log: its latest verdict per item
    # and reviewer is the one logged last, and the store holds no more verdicts than were
    # logged (the dashboard logs first, then stores).
    logged: dict[tuple[str, str], str] = {}
    logged_count: Counter[tuple[str, str]] = Counter()
    for e in ctx.events_of("review.verdict"):
        key = (str(e["payload"].get("item_id")), str(e.get("actor")))
        logged[key] = e["payload"].get("verdict")
        logged_count[key] += 1
    stored_count: Counter[tuple[str, str]] = Counter()
    if ctx.store is not None and hasattr(ctx.store, "verdict_history"):
        stored_count.update(
            (str(v["item_id"]), str(v["reviewer"])) for v in ctx.store.verdict_history()
        )
    unlogged = []
    for v in ctx.verdicts:
        key = (str(v["item_id"]), str(v["reviewer"]))
        if logged.get(key) != v["verdict"] or stored_count[key] > logged_count[key]:
            unlogged.append(f"item {v['item_id']} by {v['reviewer']}")
    evidence = {
        "items": len(ids),
        "reviewed": len(ids) - len(missing),
        "missing": len(missing),
        "missing_ids": missing[:100],
        "reviewers": reviewers,
        "verdicts": counts,
        "not_in_audit_log": unlogged[:50],
    }
    problems = []
    if missing:
        problems.append(
            f"{len(missing)} of {len(ids)} sample items have no verdict (items {_listing(missing)}): "
            f"review them in the dashboard (`redact review serve --run {ctx.run_dir}`)"
        )
    if unlogged:
        problems.append(
            f"{len(unlogged)} verdict(s) in the review store do not match the audit log "
            f"({_listing(unlogged)}): the review store was changed outside the dashboard; restore "
            f"review/review.sqlite from a good copy (a store that disagrees with the log is not evidence)"
        )
    if problems:
        return Check("review_verdicts", False, evidence, "; ".join(problems))
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    return Check(
        "review_verdicts",
        True,
        evidence,
        f"all {len(ids)} sample items have a verdict ({summary}) from {len(reviewers)} reviewer(s), "
        f"each matching the audit log",
    )


def check_leak_bound(ctx: GateContext) -> Check:
    from audit.stats import leak_bounds

    review = ctx.policy.release.review
    sample = ctx.sample
    if sample is None:
        return Check(
            "leak_bound",
            False,
            {},
            "no review sample, so no bound: draw and review the sample first",
        )
    bounds = leak_bounds(sample, ctx.verdicts, review.confidence)
    o = bounds["overall"]
    target = review.target_leak_rate
    evidence = {
        "target_leak_rate": target,
        "confidence": review.confidence,
        "overall": o,
        "per_stratum_bound": review.per_stratum_bound,
        "min_stratum_size_for_bound": review.min_stratum_size_for_bound,
    }
    problems = []
    head = (
        f"{o['k']} missed PII in {o['n']} reviewed items: upper bound {_pct(o['upper'])} "
        f"{'<=' if o['upper'] <= target else '>'} target {_pct(target)} at {review.confidence:.0%} confidence"
    )
    if o["upper"] > target:
        if o["k"]:
            fix = "fix what was missed (see the missed_pii verdicts), redo the run and review a new sample"
        elif o["n"] < o["sampled"]:
            fix = (
                f"review the {o['sampled'] - o['n']} sample item(s) without a verdict "
                f"(the bound counts reviewed items only)"
            )
        else:
            fix = (
                f"{o['n']} items cannot show this target; it takes {_required_size(ctx)[0]} "
                f"reviewed items with no miss (see review_sample)"
            )
        problems.append(f"{head}: {fix}")
    checked, failing = [], []
    if review.per_stratum_bound:
        for name, s in bounds["strata"].items():
            if s["sampled"] >= review.min_stratum_size_for_bound:
                checked.append(name)
                if s["upper"] > target:
                    failing.append(f"{name} ({s['k']}/{s['n']}, bound {_pct(s['upper'])})")
    evidence["strata_checked"] = {n: bounds["strata"][n] for n in checked}
    evidence["strata_failing"] = failing
    if failing:
        problems.append(
            f"{len(failing)} of {len(checked)} strata with >= {review.min_stratum_size_for_bound} items "
            f"exceed the target: {_listing(failing)}; fix what was missed in them, or review more of them"
        )
    strata_txt = (
        f"; {len(checked)} stratum/strata with >= {review.min_stratum_size_for_bound} items checked alone"
        if review.per_stratum_bound
        else "; per-stratum bounds not required"
    )
    if problems:
        return Check("leak_bound", False, evidence, "; ".join(problems))
    return Check("leak_bound", True, evidence, head + strata_txt)


def _approval_problem(ctx: GateContext, s: dict[str, Any], users: set[str] | None) -> str | None:
    """Why a latest sign-off with decision approve does not count (None when it does)."""
    who = s["reviewer"]
    if s.get("sample_hash") != ctx.sample_hash:
        return f"{who} approved a different sample (stale sign-off)"
    if _same_person(who, ctx.operator) and not ctx.policy.release.review.operator_may_approve:
        return f"{who} is the run's operator"
    if users is not None and who not in users:
        return f"{who} is not a dashboard user"
    stored, logged = ctx.signoff_counts
    if stored[who] > logged[who]:
        return f"{who}'s sign-offs in the review store outnumber their review.signoff audit events"
    event = ctx.logged_signoffs.get(who)
    if (
        event is None
        or event["payload"].get("decision") != "approve"
        or event["payload"].get("sample_hash") != s.get("sample_hash")
    ):
        return f"{who}'s approval has no matching review.signoff audit event"
    return None


def check_reviewer_approvals(ctx: GateContext) -> Check:
    review = ctx.policy.release.review
    need = review.min_reviewers
    users = {u["name"] for u in ctx.store.users()} if ctx.store is not None else None
    approvals = [s for s in ctx.signoffs if s.get("decision") == "approve"]
    counted, refused = [], []
    for s in approvals:
        why = _approval_problem(ctx, s, users)
        (refused if why else counted).append(why or s["reviewer"])
    distinct = sorted(set(counted))
    # Approvals the log records but the store no longer has (a removed sign-off).
    in_store = {s["reviewer"] for s in ctx.signoffs}
    vanished = sorted(
        a
        for a, e in ctx.logged_signoffs.items()
        if e["payload"].get("decision") == "approve" and a not in in_store
    )
    evidence = {
        "min_reviewers": need,
        "approved_by": distinct,
        "not_counted": refused,
        "signoffs": len(ctx.signoffs),
        "missing_from_store": vanished,
        "sample_hash": ctx.sample_hash,
    }
    if ctx.sample is None:
        return Check(
            "reviewer_approvals",
            False,
            evidence,
            f"no review sample, so no sign-off: {need} reviewer(s) must approve after reviewing it",
        )
    if len(distinct) >= need and not vanished:
        return Check(
            "reviewer_approvals",
            True,
            evidence,
            f"{len(distinct)} distinct reviewer(s) approved the current sample "
            f"({_listing(distinct)}); the policy needs {need}",
        )
    parts = [
        f"{len(distinct)} of {need} required distinct reviewer(s) approved the current sample"
        + (f" ({_listing(distinct)})" if distinct else "")
    ]
    if refused:
        parts.append(f"not counted: {_listing(refused)}")
    if vanished:
        parts.append(
            f"the audit log records approval(s) by {_listing(vanished)} that the review store no "
            f"longer holds (sign-off removed)"
        )
    short = max(0, need - len(distinct))
    operator = f", not the operator {ctx.operator}," if not review.operator_may_approve else ""
    fix = (
        f"{short} more reviewer(s){operator} must review the sample and approve in the dashboard"
        if short
        else "have those reviewers sign off again in the dashboard"
    )
    return Check("reviewer_approvals", False, evidence, "; ".join(parts) + f": {fix}")


def check_operator_not_approver(ctx: GateContext) -> Check:
    review = ctx.policy.release.review
    op = ctx.operator
    in_store = [
        s
        for s in ctx.signoffs
        if _same_person(s["reviewer"], op) and s.get("decision") == "approve"
    ]
    in_log = [
        a
        for a, e in ctx.logged_signoffs.items()
        if _same_person(a, op) and e["payload"].get("decision") == "approve"
    ]
    approved = bool(in_store or in_log)
    evidence = {
        "operator": op,
        "operator_approved": approved,
        "operator_may_approve": review.operator_may_approve,
    }
    if not op:
        return Check(
            "operator_not_approver",
            False,
            evidence,
            "the run records no operator (run.json), so the two-person rule cannot be checked: redo the "
            "run with --operator",
        )
    if not approved:
        return Check(
            "operator_not_approver", True, evidence, f"the run's operator {op} did not approve"
        )
    if review.operator_may_approve:
        return Check(
            "operator_not_approver",
            True,
            evidence,
            f"the run's operator {op} approved; allowed by release.review.operator_may_approve",
        )
    return Check(
        "operator_not_approver",
        False,
        evidence,
        f"the run's operator {op} approved the release, which the two-person rule forbids "
        f"(release.review.operator_may_approve is false): {op}'s approval must be withdrawn and "
        f"the release approved by reviewers other than the operator",
    )


def check_no_rejections(ctx: GateContext) -> Check:
    rejected = sorted(
        {s["reviewer"] for s in ctx.signoffs if s.get("decision") == "reject"}
        | {a for a, e in ctx.logged_signoffs.items() if e["payload"].get("decision") == "reject"}
    )
    evidence = {"rejected_by": rejected, "signoffs": len(ctx.signoffs)}
    if not rejected:
        return Check(
            "no_rejections",
            True,
            evidence,
            f"no reviewer rejected ({len(ctx.signoffs)} latest sign-off(s) in the review store)",
        )
    return Check(
        "no_rejections",
        False,
        evidence,
        f"{len(rejected)} reviewer(s) rejected the release ({_listing(rejected)}; latest sign-off): "
        f"resolve their concerns, then they must sign off again with approve",
    )


CHECKS: list[tuple[str, Callable[[GateContext], Check]]] = [
    ("audit_trail", check_audit_trail),
    ("policy_hash", check_policy_hash),
    ("completeness", check_completeness),
    ("schema", check_schema),
    ("residual_scan", check_residual_scan),
    ("ner_coverage", check_ner_coverage),
    ("review_sample", check_review_sample),
    ("review_verdicts", check_review_verdicts),
    ("leak_bound", check_leak_bound),
    ("reviewer_approvals", check_reviewer_approvals),
    ("operator_not_approver", check_operator_not_approver),
    ("no_rejections", check_no_rejections),
]
