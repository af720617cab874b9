"""`redact release`: the gate, then the publishable bundle.

```
DIR/data/train-0000i-of-0000n.parquet   released shards in shard order (empty ones skipped)
DIR/README.md                           dataset card (HF YAML front matter + evidence)
DIR/figures/*.png                       models, languages, turns, replacements
DIR/SHA256SUMS                          sha256sum -c format: every file but itself and provenance.json
DIR/provenance.json                     run id, audit head, policy hash, gate, sha256 of SHA256SUMS
```

The bundle is built in a hidden sibling folder and moved into place only when complete, so a
failed build leaves nothing behind; then `release.built {out, sums_hash, files,
provenance_sha256}` is appended to the run's audit log. SHA256SUMS cannot list
provenance.json (which holds SHA256SUMS's own hash); the audit event anchors both.

Data files are byte-identical copies of the run's shards (each copy's sha256 is checked against
the manifest, so the bundle holds exactly the bytes the gate verified). Only when shards
disagree on their schema (an extra field typed differently, or missing, in some shards) are
they rewritten to one unified schema, which a hub needs; provenance.json says so per file.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from policies.model import Policy, load_policy, policy_hash
from redact.detect.languages import language_code
from redact.errors import IntegrityError, UsageError
from redact.release.card import DEFAULT_PRETTY_NAME, render_card
from redact.release.features import features_yaml
from redact.release.figures import render_all
from redact.release.stats import data_statistics, index_coverage, size_category
from redact.release.sums import SUMS_NAME, file_sha256, write_sums

PROVENANCE_NAME = "provenance.json"
FORMAT = "redact-release/1"
# Run subfolders that hold evidence; the bundle may not be written inside them.
_RUN_EVIDENCE = ("data", "findings", "quarantine", "index", "audit", "review", "shards")


@dataclass
class Release:
    """What `release()` did: the gate report, and the bundle when the gate passed."""

    report: Any
    out: Path | None = None
    sums_hash: str | None = None
    files: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    event: dict[str, Any] | None = None

    @property
    def built(self) -> bool:
        return self.out is not None


# ---------------------------------------------------------------------------------------------
# arguments
# ---------------------------------------------------------------------------------------------
def check_out_dir(out: Path, run_dir: Path) -> None:
    """UsageError unless `out` is absent or an empty folder outside the run's evidence."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; pass a new or empty folder")
    if out.is_dir() and any(out.iterdir()):
        raise UsageError(
            f"--out {out} is not empty; refusing to write a release into it "
            f"(pass a new or empty folder)"
        )
    o, r = out.resolve(), run_dir.resolve()
    if o == r or any(o == (r / d) or (r / d) in o.parents for d in _RUN_EVIDENCE):
        raise UsageError(
            f"--out {out} lies inside the run's evidence folders; pass a folder outside them"
        )


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """The finished run's manifest (UsageError when the folder holds no finished run)."""
    from audit.sampling import run_info

    return run_info(run_dir)[0]


# ---------------------------------------------------------------------------------------------
# data files
# ---------------------------------------------------------------------------------------------
def released_shards(manifest: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(rel path, {sha256, rows, bytes}) of each non-empty data shard, in shard order.

    A shard whose records were all quarantined has no data file (or one with no rows): skipped.
    """
    files = manifest.get("files") or {}
    return [
        (rel, info)
        for rel, info in sorted(files.items())
        if rel.startswith("data/") and rel.endswith(".parquet") and int(info.get("rows") or 0) > 0
    ]


def bundle_name(i: int, n: int) -> str:
    return f"data/train-{i:05d}-of-{n:05d}.parquet"


def _unified_schema(schemas: list[pa.Schema]) -> pa.Schema:
    try:
        return pa.unify_schemas(schemas, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        raise IntegrityError(
            f"the released shards' schemas cannot be unified into one ({err}); "
            f"a hub needs one schema per split"
        ) from None


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    arrays = [
        table.column(f.name) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema.remove_metadata()).cast(schema)


def copy_data(
    run_dir: Path, shards: list[tuple[str, dict[str, Any]]], dest: Path
) -> list[dict[str, Any]]:
    """Copy the shards to dest/data/ under hub names; returns one entry per bundle file."""
    from redact.io.writer import write_parquet

    n = len(shards)
    schemas = [pq.read_schema(run_dir / rel).remove_metadata() for rel, _ in shards]
    same = all(s.equals(schemas[0]) for s in schemas)
    target = schemas[0] if same and schemas else (_unified_schema(schemas) if schemas else None)
    entries = []
    for i, ((rel, info), schema) in enumerate(zip(shards, schemas, strict=True)):
        src = run_dir / rel
        name = bundle_name(i, n)
        out = dest / name
        out.parent.mkdir(parents=True, exist_ok=True)
        if same:
            shutil.copyfile(src, out)
            got = file_sha256(out)
            if got != info["sha256"]:
                raise IntegrityError(
                    f"{rel} changed after the run (sha256 {got[:16]} is not the manifest's "
                    f"{info['sha256'][:16]}); run `redact audit verify`"
                )
            how = "copied"
        else:
            if file_sha256(src) != info["sha256"]:
                raise IntegrityError(f"{rel} changed after the run; run `redact audit verify`")
            write_parquet(_conform(pq.read_table(src), target), out)
            how = "rewritten to the unified schema" if not schema.equals(target) else "rewritten"
        entries.append(
            {
                "file": name,
                "source": rel,
                "source_sha256": info["sha256"],
                "sha256": file_sha256(out),
                "rows": info["rows"],
                "bytes": out.stat().st_size,
                "how": how,
            }
        )
    return entries


# ---------------------------------------------------------------------------------------------
# review evidence
# ---------------------------------------------------------------------------------------------
def review_summary(run_dir: Path, policy: Policy, report: Any) -> dict[str, Any] | None:
    from audit.sampling import load_sample
    from audit.stats import leak_bounds

    sample = load_sample(run_dir)
    if sample is None:
        return None
    verdicts: list[dict[str, Any]] = []
    signoffs: list[dict[str, Any]] = []
    db = run_dir / "review" / "review.sqlite"
    if db.exists():
        from audit.dashboard.store import ReviewStore

        store = ReviewStore(db)
        ids = {str(i["id"]) for i in sample["items"]}
        verdicts = [v for v in store.latest_verdicts() if str(v["item_id"]) in ids]
        signoffs = store.signoffs()
    review = policy.release.review
    counts: dict[str, int] = {}
    for v in verdicts:
        counts[v["verdict"]] = counts.get(v["verdict"], 0) + 1
    # The approvals the gate counted (its evidence), with their roles from the store.
    try:
        counted = set(report.check("reviewer_approvals").evidence.get("approved_by") or [])
    except KeyError:
        counted = {
            s["reviewer"]
            for s in signoffs
            if s["decision"] == "approve" and s.get("sample_hash") == sample.get("items_hash")
        }
    approvals = [
        {"reviewer": s["reviewer"], "role": s["role"]}
        for s in signoffs
        if s["decision"] == "approve" and s["reviewer"] in counted
    ]
    return {
        "sample": sample,
        "verdict_counts": dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        "bounds": leak_bounds(sample, verdicts, review.confidence),
        "confidence": review.confidence,
        "target": review.target_leak_rate,
        "approvals": approvals,
        "min_reviewers": review.min_reviewers,
        "show_names": policy.card.show_reviewer_names,
    }


# ---------------------------------------------------------------------------------------------
# the bundle
# ---------------------------------------------------------------------------------------------
def _write_json(path: Path, obj: Any) -> None:
    path.write_text(
        json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def build_bundle(
    run_dir: Path,
    policy: Policy,
    manifest: dict[str, Any],
    report: Any,
    dest: Path,
    audit_head: str,
) -> dict[str, Any]:
    """Write the whole bundle into `dest` (an empty folder). Returns provenance.json's content."""
    entries = copy_data(run_dir, released_shards(manifest), dest)
    data_files = [dest / e["file"] for e in entries]
    stats = data_statistics(data_files)
    coverage = index_coverage(run_dir)
    names = sorted(coverage["languages"])
    codes = sorted({c for c in (language_code(n) for n in names) if c})
    untagged = [n for n in names if not language_code(n)]
    schema = pq.read_schema(data_files[0]).remove_metadata() if data_files else pa.schema([])
    review = review_summary(run_dir, policy, report)
    phash = policy_hash(policy)
    ctx = {
        "policy": policy,
        "policy_hash": phash,
        "pretty_name": policy.card.pretty_name or DEFAULT_PRETTY_NAME,
        "manifest": manifest,
        "stats": stats,
        "coverage": coverage,
        "language_codes": codes,
        "untagged_languages": untagged,
        "size_category": size_category(stats["conversations"]),
        "features": features_yaml(schema),
        "download_size": sum(e["bytes"] for e in entries),
        "review": review,
        "gate": report,
        "audit_head": audit_head,
    }
    prefixes = {t: r.placeholder for t, r in policy.entities.items()}
    figures = render_all(
        dest / "figures", stats, manifest.get("replacements_by_type") or {}, prefixes
    )
    (dest / "README.md").write_text(render_card(ctx), encoding="utf-8")
    sums_path, sums = write_sums(dest, exclude={PROVENANCE_NAME})
    sums_hash = file_sha256(sums_path)
    o = review["bounds"]["overall"] if review else None
    provenance = {
        "format": FORMAT,
        "run_id": manifest.get("run_id"),
        # people are named only where the policy allows names on the card
        "run_operator": manifest.get("operator") if policy.card.show_reviewer_names else None,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "audit_head": audit_head,
        "policy": {
            "name": policy.name,
            "hash": phash,
            "run_policy_hash": manifest.get("policy_hash"),
        },
        "gate": {
            "passed": report.passed,
            "evaluated_at": report.evaluated_at,
            "actor": report.actor if policy.card.show_reviewer_names else None,
            "checks": [{"name": c.name, "passed": c.passed} for c in report.checks],
        },
        "review": None
        if review is None
        else {
            "sample_size": review["sample"]["size"],
            "items_hash": review["sample"].get("items_hash"),
            "verdict_counts": review["verdict_counts"],
            "leak_rate_upper": o["upper"],
            "reviewed": o["n"],
            "missed_pii": o["k"],
            "target_leak_rate": review["target"],
            "confidence": review["confidence"],
            "approvals_by_role": _by_role(review["approvals"]),
        },
        "statistics": {
            k: stats[k]
            for k in (
                "conversations",
                "users",
                "avg_turns",
                "avg_prompt_words",
                "avg_response_words",
                "num_bytes",
            )
        }
        | {
            "models": len(stats["models"]),
            "languages": len(stats["languages"]),
            "length_unit": "words (str.split)",
        },
        "data_files": entries,
        "figures": [f"figures/{f}" for f in figures],
        "versions": manifest.get("versions"),
        "sums": {"file": SUMS_NAME, "sha256": sums_hash, "files": len(sums)},
    }
    _write_json(dest / PROVENANCE_NAME, provenance)
    return provenance


def _by_role(approvals: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for a in approvals:
        out[a["role"]] = out.get(a["role"], 0) + 1
    return dict(sorted(out.items()))


def release(
    run: str | Path, policy_file: str | Path, out: str | Path, actor: str | None = None
) -> Release:
    """Gate the run; when it passes, build the bundle at `out` and log `release.built`.

    UsageError (exit 2) for a bad run, policy or --out (checked before the gate runs);
    a failing gate returns a Release with `built` False and writes nothing.
    """
    from audit.log import AuditLog
    from policies.gate import evaluate

    run_dir, out = Path(run), Path(out)
    actor = actor or getpass.getuser()
    manifest = read_manifest(run_dir)
    policy = load_policy(policy_file)
    check_out_dir(out, run_dir)

    report = evaluate(run_dir, policy, actor=actor)
    if not report.passed:
        return Release(report=report)
    if getattr(report, "recorded", True) is False:
        raise IntegrityError(
            (getattr(report, "record_error", None) or "the gate's result was not logged")
            + "; a release must be anchored in the audit log"
        )

    log = AuditLog(run_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        provenance = build_bundle(run_dir, policy, manifest, report, tmp, log.head())
        check_out_dir(out, run_dir)  # still empty?
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(out, 0o777 & ~umask)  # mkdtemp made it 0700
    prov_hash = file_sha256(out / PROVENANCE_NAME)
    try:
        event = log.append(
            "release.built",
            actor,
            {
                "out": out.name,
                "run_id": manifest.get("run_id"),
                "sums_hash": provenance["sums"]["sha256"],
                "files": provenance["sums"]["files"],
                "provenance_sha256": prov_hash,
                "policy_hash": provenance["policy"]["hash"],
            },
        )
    except BaseException:
        for child in out.iterdir():  # unrecorded: take the bundle back (leave the folder empty)
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        raise
    return Release(
        report=report,
        out=out,
        sums_hash=provenance["sums"]["sha256"],
        files=sorted(provenance_files(out)),
        provenance=provenance,
        event=event,
    )


def provenance_files(out: Path) -> list[str]:
    return [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()]
