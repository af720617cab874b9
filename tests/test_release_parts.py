"""The release's parts without the gate: word counts, feature YAML, shard naming and schema
unification, size buckets, and the card's names rule, on synthetic runs (no Ray, no NLP)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from audit.dashboard.store import ReviewStore, default_db_path
from audit.log import AuditLog
from audit.sampling import draw_sample
from policies.gate.report import Check, GateReport
from policies.model import load_policy, policy_hash
from redact.io.writer import write_json_atomic, write_parquet
from redact.pipeline.shard import file_sha256
from redact.release.bundle import build_bundle, copy_data, released_shards
from redact.release.features import features_yaml
from redact.release.stats import data_statistics, size_category, word_counts
from redact.release.sums import verify_sums
from tests.audit_fixtures import DEMO_POLICY, OPERATOR, default_conversations, make_run


def passing_report(policy) -> GateReport:
    return GateReport(
        run_dir="run",
        run_id="r",
        policy_name=policy.name,
        policy_hash=policy_hash(policy),
        checks=[
            Check("audit_trail", True, {}, "ok"),
            Check("reviewer_approvals", True, {}, "by rev-bob"),
        ],
        evaluated_at="2024-01-01T00:00:00+00:00",
        actor="tester",
    )


def card_of(dest: Path) -> tuple[dict, str]:
    text = (dest / "README.md").read_text()
    head, _, body = text[4:].partition("\n---\n")
    return yaml.safe_load(head), body


def test_word_counts_are_str_split_for_every_whitespace_character():
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    texts = [f"a{s}b{s}{s}c " for s in spaces] + [
        "",
        "   ",
        "x",
        "日本語\u3000テキスト",
        "tab\tand\nnew",
    ]
    texts += [f"a{chr(c)}b" for c in range(0x20, 0x3100) if not 0xD800 <= c <= 0xDFFF]
    got = word_counts(pa.array(texts + [None])).to_pylist()
    assert got == [len(t.split()) for t in texts] + [0]


def test_features_yaml_is_what_datasets_derives():
    from datasets import Features

    schema = pa.schema(
        [
            ("conversation_id", pa.string()),
            (
                "conversation",
                pa.list_(pa.struct([("content", pa.string()), ("role", pa.string())])),
            ),
            ("turn", pa.int64()),
            ("tags", pa.list_(pa.string())),
            ("scores", pa.struct([("x", pa.float64()), ("y", pa.struct([("z", pa.bool_())]))])),
            ("nested", pa.list_(pa.list_(pa.int32()))),
            ("empty", pa.null()),
            ("when", pa.timestamp("us")),
            ("blob", pa.binary()),
            ("big", pa.large_string()),
            ("dict", pa.dictionary(pa.int32(), pa.string())),
            ("f32", pa.float32()),
            ("day", pa.date32()),
            ("fixed", pa.list_(pa.int64(), 3)),
            ("large", pa.large_list(pa.string())),
            ("redacted", pa.bool_()),
        ]
    )
    assert features_yaml(schema) == Features.from_arrow_schema(schema)._to_yaml_list()


@pytest.mark.parametrize(
    ("n", "bucket"),
    [
        (0, "n<1K"),
        (999, "n<1K"),
        (1000, "1K<n<10K"),
        (999_999, "100K<n<1M"),
        (1_000_000, "1M<n<10M"),
    ],
)
def test_size_category(n, bucket):
    assert size_category(n) == bucket


@pytest.fixture
def synthetic_run(tmp_path) -> Path:
    # 52 conversations in shards of 25; the last two quarantined, so part-00002 is empty.
    return make_run(tmp_path / "run", default_conversations(52), shard_size=25, quarantined=2)


def test_shards_in_order_empty_ones_skipped_and_sums_verify(synthetic_run, tmp_path):
    manifest = json.loads((synthetic_run / "manifest.json").read_text())
    assert [r for r, _ in released_shards(manifest)] == [
        "data/part-00000.parquet",
        "data/part-00001.parquet",
    ]
    policy = load_policy(DEMO_POLICY)
    dest = tmp_path / "bundle"
    dest.mkdir()
    prov = build_bundle(synthetic_run, policy, manifest, passing_report(policy), dest, "f" * 64)
    names = sorted(p.name for p in (dest / "data").iterdir())
    assert names == ["train-00000-of-00002.parquet", "train-00001-of-00002.parquet"]
    for i, name in enumerate(names):
        assert (dest / "data" / name).read_bytes() == (
            synthetic_run / f"data/part-0000{i}.parquet"
        ).read_bytes()
    assert [e["how"] for e in prov["data_files"]] == ["copied", "copied"]
    assert verify_sums(dest) == []
    meta, body = card_of(dest)
    assert meta["dataset_info"]["splits"][0]["num_examples"] == 50
    assert meta["language"] == ["de", "en", "fr"]
    assert "No review sample was drawn." in body
    stats = data_statistics(sorted((dest / "data").glob("*.parquet")))
    assert stats["conversations"] == 50 and stats["turns"] == {1: 50}
    assert stats["users"] is None
    # German has no NER model in the synthetic run: the limitations name it with its share
    assert "German 12 (24.00%)" in body
    (dest / "README.md").write_text("changed")
    assert verify_sums(dest) == ["README.md: sha256 differs"]


def test_shards_with_different_schemas_are_unified(synthetic_run, tmp_path):
    manifest = json.loads((synthetic_run / "manifest.json").read_text())
    rel = "data/part-00001.parquet"
    table = pq.read_table(synthetic_run / rel)
    table = table.append_column("source_site", pa.array(["x"] * table.num_rows))
    write_parquet(table, synthetic_run / rel)
    manifest["files"][rel]["sha256"] = file_sha256(synthetic_run / rel)
    write_json_atomic(manifest, synthetic_run / "manifest.json")
    entries = copy_data(synthetic_run, released_shards(manifest), tmp_path / "b")
    schemas = [pq.read_schema(tmp_path / "b" / e["file"]).remove_metadata() for e in entries]
    assert schemas[0].equals(schemas[1]) and "source_site" in schemas[0].names
    assert entries[0]["how"] == "rewritten to the unified schema"
    first = pq.read_table(tmp_path / "b" / entries[0]["file"])
    assert first.column("source_site").null_count == first.num_rows
    assert first.drop(["source_site"]).equals(
        pq.read_table(synthetic_run / "data/part-00000.parquet")
    )


def test_a_changed_shard_is_not_released(synthetic_run, tmp_path):
    from redact.errors import IntegrityError

    manifest = json.loads((synthetic_run / "manifest.json").read_text())
    table = pq.read_table(synthetic_run / "data/part-00000.parquet").slice(1)
    write_parquet(table, synthetic_run / "data/part-00000.parquet")
    with pytest.raises(IntegrityError, match="changed after the run"):
        copy_data(synthetic_run, released_shards(manifest), tmp_path / "b")


@pytest.mark.parametrize("show", [True, False])
def test_reviewer_names_only_where_the_policy_allows(synthetic_run, tmp_path, show):
    data = yaml.safe_load(DEMO_POLICY.read_text())
    data["card"] = {"license": "cc-by-4.0", "show_reviewer_names": show}
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data))
    policy = load_policy(path)
    sample = draw_sample(synthetic_run, policy, seed=3, actor=OPERATOR)
    store = ReviewStore(default_db_path(synthetic_run))
    for item in sample["items"]:
        store.record_verdict(item["id"], "rev-bob", "ok")
    for name, role in (("rev-bob", "reviewer"), ("rev-dan", "reviewer"), ("rev-carol", "admin")):
        store.record_signoff(name, role, "approve", None, sample["items_hash"])
    AuditLog(synthetic_run).append("test", "tester", {})
    report = passing_report(policy)
    report.checks[1].evidence = {"approved_by": ["rev-bob", "rev-carol", "rev-dan"]}
    dest = tmp_path / "bundle"
    dest.mkdir()
    manifest = json.loads((synthetic_run / "manifest.json").read_text())
    build_bundle(synthetic_run, policy, manifest, report, dest, "f" * 64)
    meta, body = card_of(dest)
    assert meta["license"] == "cc-by-4.0" and "license_name" not in meta
    assert meta["pretty_name"] == "Redacted chat conversations"
    if show:
        assert "(admin: rev-carol; reviewer: rev-bob, rev-dan)" in body
        assert "by rev-bob" in body  # the gate's message, names and all
    else:
        assert "(1 admin, 2 reviewers)" in body
        assert "rev-bob" not in body and "rev-carol" not in body
    assert f"sample of **{sample['size']:,} conversations**" in body


def _stub_gate(monkeypatch, passed: bool):
    import policies.gate

    def evaluate(run_dir, policy, actor=None, record=True):
        report = passing_report(policy)
        report.actor = actor
        if not passed:
            report.checks.append(Check("leak_bound", False, {}, "not reviewed"))
        AuditLog(run_dir).append("gate.evaluated", actor, {"passed": report.passed})
        report.recorded = True
        return report

    monkeypatch.setattr(policies.gate, "evaluate", evaluate)


def test_release_into_an_existing_empty_folder_and_logged(synthetic_run, tmp_path, monkeypatch):
    from redact.release.bundle import release

    _stub_gate(monkeypatch, passed=True)
    out = tmp_path / "bundle"
    out.mkdir()
    result = release(synthetic_run, DEMO_POLICY, out, actor="rel-eng")
    assert result.built and sorted(p.name for p in out.iterdir()) == [
        "README.md",
        "SHA256SUMS",
        "data",
        "figures",
        "provenance.json",
    ]
    assert {p.name for p in tmp_path.iterdir()} == {"run", "bundle"}  # no partial folder left
    events = list(AuditLog(synthetic_run).events())
    assert [e["type"] for e in events[-2:]] == ["gate.evaluated", "release.built"]
    assert events[-1]["actor"] == "rel-eng"
    assert events[-1]["payload"]["sums_hash"] == file_sha256(out / "SHA256SUMS")
    assert json.loads((out / "provenance.json").read_text())["audit_head"] == events[-2]["hash"]


def test_failed_gate_or_failed_build_leaves_nothing(synthetic_run, tmp_path, monkeypatch):
    import redact.release.bundle as bundle

    _stub_gate(monkeypatch, passed=False)
    result = bundle.release(synthetic_run, DEMO_POLICY, tmp_path / "out" / "b")
    assert not result.built and not (tmp_path / "out").exists()

    _stub_gate(monkeypatch, passed=True)

    def broken(ctx):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bundle, "render_card", broken)
    out = tmp_path / "b2"
    with pytest.raises(RuntimeError, match="disk full"):
        bundle.release(synthetic_run, DEMO_POLICY, out)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial folder
    assert "release.built" not in [e["type"] for e in AuditLog(synthetic_run).events()]
