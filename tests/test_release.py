"""`redact release`: refused unless the gate passes; the bundle (data, card, figures, sums,
provenance) is checked against the data with pyarrow, against `sha256sum`'s format, and by
loading it with the `datasets` library offline."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from audit.dashboard.store import ReviewStore, default_db_path
from audit.log import AuditLog, event_hash
from audit.sampling import draw_sample, load_sample
from audit.stats import clopper_pearson_upper
from policies.model import load_policy, policy_hash
from redact.detect.languages import language_code
from redact.records import ENTITY_TYPES
from tests.conftest import OPERATOR, ROOT, redact_cli

REVIEWERS = (("rev-bob", "reviewer"), ("rev-carol", "admin"))
PASSWORD = "correct horse battery staple"


# ---------------------------------------------------------------------------------------------
# fixtures: a lenient policy and a fully reviewed run
# ---------------------------------------------------------------------------------------------
def write_policy(path: Path, show_names: bool = False) -> Path:
    """The demo policy, made lenient enough for the small test run to pass the gate."""
    data = yaml.safe_load((ROOT / "policies" / "demo.yaml").read_text(encoding="utf-8"))
    rel = data.setdefault("release", {})
    rel["allow_policy_mismatch"] = True  # the run was made with demo.yaml itself
    rel.setdefault("residual", {}).update(
        {"max_contact_hits": 1000, "max_name_hits": 1000, "max_name_hit_rate": 1.0}
    )
    rel["max_share_without_ner"] = 1.0
    rel.setdefault("review", {})["min_reviewers"] = 1
    data["card"] = {
        "license": "other",
        "license_name": "test-license",
        "license_link": "LICENSE.md",
        "pretty_name": "Release test",
        "show_reviewer_names": show_names,
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def review_run(run_dir: Path, policy_path: Path) -> dict:
    """Draw the sample, then what the dashboard records: users, an ok verdict on every item,
    approvals, each with its audit event."""
    sample = draw_sample(run_dir, load_policy(policy_path), seed=7, actor=OPERATOR)
    store = ReviewStore(default_db_path(run_dir))
    audit = AuditLog(run_dir)
    for name, role in REVIEWERS:
        store.add_user(name, PASSWORD, role)
        audit.append("user.added", "admin", {"name": name, "role": role})
    for item in sample["items"]:
        store.record_verdict(item["id"], "rev-bob", "ok")
        audit.append(
            "review.verdict",
            "rev-bob",
            {
                "item_id": int(item["id"]),
                "conversation_id": item["conversation_id"],
                "verdict": "ok",
                "entity_type": None,
                "comment_sha256": None,
            },
        )
    for name, role in REVIEWERS:
        store.record_signoff(name, role, "approve", None, sample["items_hash"])
        audit.append(
            "review.signoff",
            name,
            {
                "decision": "approve",
                "sample_hash": sample["items_hash"],
                "role": role,
                "comment_sha256": None,
            },
        )
    return sample


@pytest.fixture(scope="module")
def released(session_run, tmp_path_factory):
    """A copy of the session run (as `run_copy` makes), fully reviewed, released once."""
    base = tmp_path_factory.mktemp("release")
    run_dir = base / "run"
    shutil.copytree(session_run, run_dir)
    policy = write_policy(base / "policy.yaml")
    review_run(run_dir, policy)
    out = base / "bundle"
    proc = redact_cli("release", "--run", str(run_dir), "--policy", str(policy), "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {"run": run_dir, "policy": policy, "out": out, "proc": proc}


def front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    head, _, _ = card[4:].partition("\n---\n")
    return yaml.safe_load(head)


def table_after(card: str, heading: str) -> list[dict[str, str]]:
    """The first Markdown table after `heading`, as dicts keyed by its header."""
    lines = card[card.index(heading) :].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| "))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    header, body = rows[0], rows[2:]
    return [dict(zip(header, r, strict=True)) for r in body]


def number(text: str) -> float:
    return float(text.replace(",", ""))


# ---------------------------------------------------------------------------------------------
# refusals
# ---------------------------------------------------------------------------------------------
def test_refused_when_the_gate_fails(run_copy, tmp_path):
    policy = write_policy(tmp_path / "policy.yaml")
    draw_sample(run_copy, load_policy(policy), seed=7, actor=OPERATOR)  # drawn, never reviewed
    out = tmp_path / "out" / "bundle"
    proc = redact_cli("release", "--run", str(run_copy), "--policy", str(policy), "--out", str(out))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # The gate's text report: one line per check, the failing sign-off among them, the verdict.
    assert re.search(r"^FAIL\s+reviewer_approvals\s", proc.stdout, re.M), proc.stdout
    assert re.search(r"^FAIL\s+review_verdicts\s", proc.stdout, re.M), proc.stdout
    assert "the release is blocked" in proc.stdout
    assert "refused" in proc.stderr
    assert not out.exists()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    types = [e["type"] for e in AuditLog(run_copy).events()]
    assert types[-1] == "gate.evaluated" and "release.built" not in types


def test_refuses_a_non_empty_out_dir_before_gating(run_copy, tmp_path):
    policy = write_policy(tmp_path / "policy.yaml")
    out = tmp_path / "bundle"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    before = sum(1 for _ in AuditLog(run_copy).events())
    proc = redact_cli("release", "--run", str(run_copy), "--policy", str(policy), "--out", str(out))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "not empty" in proc.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert sum(1 for _ in AuditLog(run_copy).events()) == before  # the gate did not even run

    inside = redact_cli(
        "release",
        "--run",
        str(run_copy),
        "--policy",
        str(policy),
        "--out",
        str(run_copy / "data" / "bundle"),
    )
    assert inside.returncode == 2 and "inside the run" in inside.stderr


# ---------------------------------------------------------------------------------------------
# the bundle
# ---------------------------------------------------------------------------------------------
def test_bundle_layout_and_data_are_the_released_shards(released):
    out, run_dir = released["out"], released["run"]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    shards = sorted(
        r for r, info in manifest["files"].items() if r.startswith("data/") and info["rows"]
    )
    n = len(shards)
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert names == sorted(
        ["README.md", "SHA256SUMS", "provenance.json"]
        + [f"data/train-{i:05d}-of-{n:05d}.parquet" for i in range(n)]
        + [f"figures/{f}.png" for f in ("languages", "models", "replacements", "turns")]
    )
    for i, rel in enumerate(shards):  # byte-identical, in shard order
        assert (out / f"data/train-{i:05d}-of-{n:05d}.parquet").read_bytes() == (
            run_dir / rel
        ).read_bytes()
    for png in (out / "figures").glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert "release written to" in released["proc"].stdout


def test_every_file_in_sha256sums_verifies(released):
    out = released["out"]
    listed = {}
    for line in (out / "SHA256SUMS").read_text().splitlines():
        digest, rel = line.split("  ", 1)
        listed[rel] = digest
    everything = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(listed) == everything - {"SHA256SUMS", "provenance.json"}
    for rel, digest in listed.items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == digest, rel
    if shutil.which("sha256sum"):
        check = subprocess.run(
            ["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=out, capture_output=True, text=True
        )
        assert check.returncode == 0, check.stdout + check.stderr


def test_provenance_and_the_release_built_event(released):
    out, run_dir = released["out"], released["run"]
    prov = json.loads((out / "provenance.json").read_text())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    events = list(AuditLog(run_dir).events())
    prev = "0" * 64
    for e in events:  # the chain still holds with the release appended
        assert e["prev"] == prev and e["hash"] == event_hash(prev, e)
        prev = e["hash"]
    built = events[-1]
    gate = events[-2]
    assert built["type"] == "release.built" and gate["type"] == "gate.evaluated"
    assert gate["payload"]["passed"] is True
    assert built["actor"] == getpass.getuser()
    sums_hash = hashlib.sha256((out / "SHA256SUMS").read_bytes()).hexdigest()
    assert built["payload"]["out"] == out.name
    assert built["payload"]["sums_hash"] == sums_hash == prov["sums"]["sha256"]
    assert built["payload"]["files"] == len((out / "SHA256SUMS").read_text().splitlines())
    assert (
        built["payload"]["provenance_sha256"]
        == hashlib.sha256((out / "provenance.json").read_bytes()).hexdigest()
    )
    assert prov["run_id"] == manifest["run_id"]
    # the head when the bundle was built: the gate's event
    assert prov["audit_head"] == gate["hash"]
    assert prov["policy"]["hash"] == policy_hash(load_policy(released["policy"]))
    assert prov["gate"]["passed"] is True
    assert {c["name"]: c["passed"] for c in prov["gate"]["checks"]} == gate["payload"]["checks"]


def test_front_matter_matches_the_data(released):
    out, run_dir = released["out"], released["run"]
    meta = front_matter((out / "README.md").read_text())
    files = sorted((out / "data").glob("*.parquet"))
    table = pa.concat_tables(pq.read_table(f) for f in files)
    assert meta["pretty_name"] == "Release test"
    assert (meta["license"], meta["license_name"], meta["license_link"]) == (
        "other",
        "test-license",
        "LICENSE.md",
    )
    split = meta["dataset_info"]["splits"][0]
    assert split["name"] == "train" and split["num_examples"] == table.num_rows
    assert meta["dataset_info"]["download_size"] == sum(f.stat().st_size for f in files)
    assert meta["dataset_info"]["dataset_size"] == split["num_bytes"] > 0
    assert meta["configs"] == [
        {"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*"}]}
    ]
    assert meta["task_categories"] == ["conversational", "text-generation"]
    assert meta["size_categories"] == ["n<1K"]
    index = pa.concat_tables(
        pq.read_table(f) for f in sorted((run_dir / "index").glob("*.parquet"))
    )
    codes = sorted({language_code(v) for v in index.column("language").to_pylist()} - {None})
    assert meta["language"] == codes and "en" in codes
    # features: what `datasets` itself derives from the files' schema
    from datasets import Features

    schema = pq.read_schema(files[0]).remove_metadata()
    assert meta["dataset_info"]["features"] == Features.from_arrow_schema(schema)._to_yaml_list()
    types = {f["name"]: f for f in meta["dataset_info"]["features"]}
    assert types["conversation"]["list"] == [
        {"name": "content", "dtype": "string"},
        {"name": "role", "dtype": "string"},
    ]
    assert types["turn"]["dtype"] == "int64" and types["redacted"]["dtype"] == "bool"


def test_card_numbers_equal_figures_recomputed_from_the_data(released):
    out, run_dir = released["out"], released["run"]
    card = (out / "README.md").read_text()
    rows = pa.concat_tables(
        pq.read_table(f) for f in sorted((out / "data").glob("*.parquet"))
    ).to_pylist()
    prompts = [
        len(m["content"].split()) for r in rows for m in r["conversation"] if m["role"] == "user"
    ]
    responses = [
        len(m["content"].split())
        for r in rows
        for m in r["conversation"]
        if m["role"] == "assistant"
    ]
    [stats] = table_after(card, "## Dataset statistics")
    assert number(stats["# Convs"]) == len(rows)
    assert number(stats["# Models"]) == len({r["model"] for r in rows})
    assert number(stats["# Langs"]) == len({r["language"] for r in rows})
    assert "user_id" not in rows[0] and stats["# Users"] == "not released"
    assert stats["Avg. # Turns per Sample"] == f"{sum(r['turn'] for r in rows) / len(rows):.2f}"
    assert stats["Avg. # Words per Prompt"] == f"{sum(prompts) / len(prompts):.2f}"
    assert stats["Avg. # Words per Response"] == f"{sum(responses) / len(responses):.2f}"
    assert "in **words**" in card

    # redaction summary: from the run's findings and quarantine files
    findings = pa.concat_tables(
        pq.read_table(f) for f in sorted((run_dir / "findings").glob("*.parquet"))
    )
    by_type = Counter(findings.column("entity_type").to_pylist())
    card_types = {
        r["Entity type"]: number(r["Replacements"]) for r in table_after(card, "| Entity type")
    }
    assert card_types == dict(by_type)
    quarantined = sum(
        pq.read_metadata(f).num_rows for f in (run_dir / "quarantine").glob("*.parquet")
    )
    assert f"{quarantined:,} quarantined" in card
    redacted = sum(r["redacted"] for r in rows)
    assert f"**{redacted:,} of {len(rows):,} released conversations" in card

    # review outcome: sample, verdicts, bound
    sample = load_sample(run_dir)
    policy = load_policy(released["policy"])
    n = len(sample["items"])
    assert f"sample of **{n:,} conversations**" in card
    assert {r["Verdict"]: number(r["Count"]) for r in table_after(card, "| Verdict")} == {"ok": n}
    upper = clopper_pearson_upper(0, n, policy.release.review.confidence)
    assert (
        f"**{upper * 100:.3f}%** (target {policy.release.review.target_leak_rate * 100:.3f}%: met)"
        in card
    )
    assert "(1 admin, 1 reviewer)" in card
    for name, _ in REVIEWERS:  # show_reviewer_names is false
        assert name not in card

    # gate: every check, each passed
    gate = table_after(card, "## Release gate")
    assert len(gate) == 12 and all(r["Result"] == "pass" for r in gate)

    # versions and limitations from the evidence
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert f"| spacy | {manifest['versions']['spacy']} |" in card
    for t in ENTITY_TYPES:
        if t not in policy.entities:
            assert t in card.split("## Limitations")[1]
    index = pa.concat_tables(
        pq.read_table(f) for f in sorted((run_dir / "index").glob("*.parquet"))
    ).to_pylist()
    no_ner = Counter(r["language"] for r in index if not r["ner_coverage"])
    limits = card.split("## Limitations")[1]
    for lang, count in no_ner.items():
        assert f"{lang} {count:,} ({count / len(index) * 100:.2f}%)" in limits
    assert "![Conversations per model](figures/models.png)" in card


def test_bundle_loads_with_datasets_offline(released, tmp_path):
    out = released["out"]
    meta = front_matter((out / "README.md").read_text())
    script = (
        "import json, sys, datasets\n"
        "out, cache = sys.argv[1], sys.argv[2]\n"
        "a = datasets.load_dataset(out, cache_dir=cache)['train']\n"
        "b = datasets.load_dataset('parquet', data_dir=out + '/data', cache_dir=cache)['train']\n"
        "print(json.dumps({'folder': a.num_rows, 'data_dir': b.num_rows, 'columns': a.column_names,\n"
        "                  'first': a[0]['conversation'][0]['role']}))\n"
    )
    env = {"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    proc = subprocess.run(
        [sys.executable, "-c", script, str(out), str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    rows = sum(pq.read_metadata(f).num_rows for f in (out / "data").glob("*.parquet"))
    assert (
        got["folder"]
        == got["data_dir"]
        == rows
        == meta["dataset_info"]["splits"][0]["num_examples"]
    )
    assert got["columns"][:3] == ["conversation_id", "model", "conversation"]
