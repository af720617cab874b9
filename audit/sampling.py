"""The review sample: seeded, stratified, sized from the policy, fixed once drawn.

Size: the zero-failure size n = ceil(ln(1-C)/ln(1-p)) from `policy.release.review` (299 for
p = 1 %, C = 95 %), capped at the population. Strata: the policy's `strata` fields (language,
model, redacted). Allocation: proportional to each stratum's weighted size, where a
conversation without NER coverage weighs `no_ner_weight` and others 1, then raised to
`min_per_stratum` (or the whole stratum when smaller), so the total may exceed n.

Inside a stratum the draw is weighted sampling without replacement (Efraimidis-Spirakis): each
conversation gets the key ln(u)/w with u a uniform number derived from sha256(seed, shard, row,
conversation_id), and the largest keys win. That makes the sample a pure function of the seed
and the run's index: anyone can redraw it and compare, on any machine and library version.

The sample is written once to `RUN/review/sample.json` and logged as `sample.drawn` (with its
items_hash and the file's sha256); drawing again returns the existing sample unchanged.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import math
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from audit.log import AuditLog, canonical
from audit.stats import required_sample_size
from policies.model import Policy, parse_policy, policy_hash
from redact.errors import IntegrityError, UsageError
from redact.io.writer import write_json_atomic
from redact.pipeline.shard import file_sha256

SAMPLE_FILE = Path("review") / "sample.json"
UNKNOWN = "unknown"
METHOD = "stratified weighted sampling without replacement (Efraimidis-Spirakis, sha256 keys)"
INDEX_COLUMNS = ("conversation_id", "shard", "row", "language", "model", "redacted", "ner_coverage")


def sample_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / SAMPLE_FILE


def items_hash(items: list[dict[str, Any]]) -> str:
    return hashlib.sha256(canonical(items).encode("utf-8")).hexdigest()


def seed_from_run_id(run_id: str) -> int:
    return int(hashlib.sha256(f"redact-sample:{run_id}".encode()).hexdigest()[:8], 16)


def load_sample(run_dir: str | Path) -> dict[str, Any] | None:
    """The drawn sample, or None when none has been drawn."""
    path = sample_path(run_dir)
    if not path.exists():
        return None
    try:
        sample = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise IntegrityError(f"{path} is unreadable ({type(err).__name__})") from None
    if not isinstance(sample, dict) or not isinstance(sample.get("items"), list):
        raise IntegrityError(f"{path} is not a review sample")
    return sample


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        raise UsageError(f"{path} is unreadable") from None


def run_info(run_dir: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(manifest, run.json) of a finished run; UsageError otherwise."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UsageError(f"no run directory at {run_dir}")
    manifest = _read_json(run_dir / "manifest.json")
    if manifest is None:
        raise UsageError(
            f"{run_dir} holds no finished run (no manifest.json); finish `redact run` first"
        )
    return manifest, _read_json(run_dir / "run.json") or {}


def recorded_policy(run_dir: str | Path) -> Policy:
    """The policy the run was made with (from run.json, else manifest.json)."""
    manifest, run = run_info(run_dir)
    data = run.get("policy") or manifest.get("policy")
    if data is None:
        raise UsageError(f"{run_dir} records no policy; pass --policy")
    return parse_policy(data, f"{run_dir} (recorded policy)")


def read_population(run_dir: str | Path) -> dict[str, list[Any]]:
    """Columns of RUN/index/*.parquet, in (shard, row) order."""
    files = sorted((Path(run_dir) / "index").glob("*.parquet"))
    tables = [pq.read_table(f, columns=list(INDEX_COLUMNS)) for f in files]
    if not tables:
        return {c: [] for c in INDEX_COLUMNS}
    table = pa.concat_tables(tables).sort_by([("shard", "ascending"), ("row", "ascending")])
    return {c: table.column(c).to_pylist() for c in INDEX_COLUMNS}


def stratum_name(fields: list[str], language: Any, model: Any, redacted: Any) -> str:
    parts = []
    for f in fields:
        if f == "language":
            parts.append(language or UNKNOWN)
        elif f == "model":
            parts.append(model or UNKNOWN)
        elif f == "redacted":
            parts.append("redacted" if redacted else "unredacted")
    return "|".join(parts) or "all"


def allocate(
    target: int, sizes: dict[str, int], weights: dict[str, float], minimum: int
) -> dict[str, int]:
    """Items per stratum: `target` split in proportion to `weights` (capped at each stratum's
    size, the excess going to the others; largest remainders; ties by name), then each raised
    to min(minimum, size)."""
    total = sum(sizes.values())
    if target >= total:
        return dict(sizes)
    share: dict[str, float] = {}
    open_ = {s for s in sizes if sizes[s] > 0 and weights[s] > 0}
    left = float(target)
    while open_:
        scale = left / sum(weights[s] for s in open_)
        full = {s for s in open_ if scale * weights[s] >= sizes[s]}
        if not full:
            share.update({s: scale * weights[s] for s in open_})
            break
        for s in full:
            share[s] = sizes[s]
            left -= sizes[s]
        open_ -= full
    alloc = {s: min(sizes[s], math.floor(share.get(s, 0.0) + 1e-9)) for s in sizes}
    spare = target - sum(alloc.values())
    order = sorted(sizes, key=lambda s: (-(share.get(s, 0.0) - alloc[s]), s))
    for s in order:
        if spare <= 0:
            break
        if alloc[s] < sizes[s]:
            alloc[s] += 1
            spare -= 1
    return {s: max(alloc[s], min(minimum, sizes[s])) for s in sizes}


def _uniform(seed: int, shard: str, row: int, cid: str) -> float:
    digest = hashlib.sha256(f"{seed}\x1f{shard}\x1f{row}\x1f{cid}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") + 0.5) / 2.0**64


def _order_key(seed: int, shard: str, row: int) -> str:
    return hashlib.sha256(f"order\x1f{seed}\x1f{shard}\x1f{row}".encode()).hexdigest()


def build_sample(population: dict[str, list[Any]], policy: Policy, seed: int) -> dict[str, Any]:
    """The sample as a pure function of the index columns, the policy and the seed."""
    review = policy.release.review
    fields = list(review.strata)
    count = len(population["conversation_id"])
    rows: dict[str, list[int]] = {}
    names: list[str] = []
    for i in range(count):
        name = stratum_name(
            fields, population["language"][i], population["model"][i], population["redacted"][i]
        )
        names.append(name)
        rows.setdefault(name, []).append(i)

    def weight(i: int) -> float:
        return 1.0 if population["ner_coverage"][i] else review.no_ner_weight

    target = min(required_sample_size(review.target_leak_rate, review.confidence), count)
    sizes = {s: len(r) for s, r in rows.items()}
    alloc = allocate(
        target,
        sizes,
        {s: sum(weight(i) for i in r) for s, r in rows.items()},
        review.min_per_stratum,
    )

    chosen: list[int] = []
    for name, members in rows.items():
        keyed = sorted(
            members,
            key=lambda i: (
                -math.log(
                    _uniform(
                        seed,
                        population["shard"][i],
                        population["row"][i],
                        population["conversation_id"][i],
                    )
                )
                / weight(i),
                population["shard"][i],
                population["row"][i],
            ),
        )
        chosen.extend(keyed[: alloc[name]])
    chosen.sort(key=lambda i: _order_key(seed, population["shard"][i], population["row"][i]))

    items = [
        {
            "id": n,
            "conversation_id": population["conversation_id"][i],
            "shard": population["shard"][i],
            "row": population["row"][i],
            "language": population["language"][i],
            "model": population["model"][i],
            "redacted": bool(population["redacted"][i]),
            "ner_coverage": bool(population["ner_coverage"][i]),
            "stratum": names[i],
        }
        for n, i in enumerate(chosen, start=1)
    ]
    strata = {
        s: {
            "population": sizes[s],
            "without_ner": sum(1 for i in rows[s] if not population["ner_coverage"][i]),
            "sampled": sum(1 for it in items if it["stratum"] == s),
        }
        for s in sorted(rows)
    }
    return {
        "seed": seed,
        "policy_hash": policy_hash(policy),
        "size": len(items),
        "target_size": target,
        "target_leak_rate": review.target_leak_rate,
        "confidence": review.confidence,
        "min_per_stratum": review.min_per_stratum,
        "no_ner_weight": review.no_ner_weight,
        "strata_by": fields,
        "method": METHOD,
        "population": count,
        "population_without_ner": sum(1 for v in population["ner_coverage"] if not v),
        "strata": strata,
        "items": items,
        "items_hash": items_hash(items),
    }


@contextmanager
def _sample_lock(run_dir: Path):
    lock_path = run_dir / "review" / ".sample.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _event_payload(sample: dict[str, Any], path: Path) -> dict[str, Any]:
    return {
        "run_id": sample.get("run_id"),
        "seed": sample["seed"],
        "size": sample["size"],
        "target_size": sample.get("target_size"),
        "population": sample.get("population"),
        "strata": {s: v["sampled"] for s, v in sample["strata"].items()},
        "items_hash": sample["items_hash"],
        "policy_hash": sample["policy_hash"],
        "sha256": file_sha256(path),
    }


def draw_sample(
    run_dir: str | Path,
    policy: Policy | None = None,
    seed: int | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """Draw the review sample once; later calls return it unchanged.

    Returns the sample (as in RUN/review/sample.json) plus `already_drawn`: False for the call
    that drew it, True afterwards (the seed and policy passed then are not used).
    """
    run_dir = Path(run_dir)
    manifest, run = run_info(run_dir)
    actor = actor or getpass.getuser()
    audit = AuditLog(run_dir)
    path = sample_path(run_dir)
    with _sample_lock(run_dir):
        existing = load_sample(run_dir)
        if existing is not None:
            if items_hash(existing["items"]) != existing.get("items_hash"):
                raise IntegrityError(
                    f"{path}: items do not match its items_hash; the sample was changed"
                )
            logged = [e for e in audit.events() if e.get("type") == "sample.drawn"]
            if not logged:  # interrupted between writing the file and logging it
                audit.append(
                    "sample.drawn", actor, {**_event_payload(existing, path), "recovered": True}
                )
            elif logged[-1]["payload"].get("items_hash") != existing["items_hash"]:
                raise IntegrityError(
                    f"{path} differs from the sample.drawn event; the sample was changed"
                )
            return {**existing, "already_drawn": True}

        policy = policy or recorded_policy(run_dir)
        run_id = manifest.get("run_id") or run.get("run_id")
        population = read_population(run_dir)
        count = len(population["conversation_id"])
        if count == 0:
            raise UsageError(f"{run_dir} released no conversations; there is nothing to review")
        released = manifest.get("counts", {}).get("released")
        if released is not None and released != count:
            raise IntegrityError(
                f"{run_dir}/index lists {count} conversations but the manifest says {released} were released"
            )
        seed_source = "given" if seed is not None else "run_id"
        if seed is None:
            if not run_id:
                raise UsageError(f"{run_dir} records no run_id to derive a seed from; pass --seed")
            seed = seed_from_run_id(run_id)
        sample = {
            "version": 1,
            "run_id": run_id,
            "seed_source": seed_source,
            **build_sample(population, policy, seed),
            "drawn_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "drawn_by": actor,
        }
        write_json_atomic(sample, path)
        audit.append("sample.drawn", actor, _event_payload(sample, path))
        return {**sample, "already_drawn": False}


def summary_text(sample: dict[str, Any], max_strata: int = 20) -> str:
    lines = [
        f"review sample: {sample['size']} of {sample['population']} conversations "
        f"(zero-failure size {sample.get('target_size')} for leak rate {sample['target_leak_rate']:g} "
        f"at {sample['confidence']:.0%} confidence; at least {sample.get('min_per_stratum')} per stratum)",
        f"seed {sample['seed']} ({'given' if sample.get('seed_source') == 'given' else 'derived from the run id'})  "
        f"items_hash {sample['items_hash'][:16]}",
        f"strata ({len(sample['strata'])}, by {', '.join(sample.get('strata_by', [])) or 'none'}): sampled/population",
    ]
    strata = sorted(sample["strata"].items(), key=lambda kv: (-kv[1]["sampled"], kv[0]))
    for name, s in strata[:max_strata]:
        lines.append(
            f"  {name}: {s['sampled']}/{s['population']}"
            + (f"  ({s['without_ner']} without NER)" if s.get("without_ner") else "")
        )
    if len(strata) > max_strata:
        lines.append(f"  ... {len(strata) - max_strata} more strata")
    return "\n".join(lines)
