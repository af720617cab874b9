"""The release gate end to end: a fully reviewed run passes; each way of breaking it is
reported as the failing check, with exit 1; bad arguments exit 2.

The fully reviewed run is built once per module (a copy of the session run, the sample drawn,
two reviewers' verdicts and approvals recorded with their audit events as the dashboard does)
and copied for each test. Most gates run in-process through `redact.cli.main` (the same code
path as the command, without a new interpreter loading spaCy again); the pass and one failure
also run as real subprocesses through `redact_cli`.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from audit.dashboard.store import ReviewStore, default_db_path
from audit.log import AuditLog
from audit.sampling import draw_sample, items_hash, load_sample, sample_path
from audit.verify import verify_run
from policies.gate import evaluate
from policies.gate.checks import CHECKS
from policies.gate.residual import scan_run
from policies.model import load_policy
from redact.cli import main as cli_main
from redact.io.writer import data_table, write_json_atomic, write_parquet
from tests.conftest import OPERATOR, ROOT, redact_cli

REVIEWERS = (("rev-bob", "reviewer"), ("rev-carol", "admin"))
PASSWORD = "correct horse battery staple"
CHECK_NAMES = [name for name, _ in CHECKS]
PLANTED_EMAIL = "zebulon.quartermaine@example.org"


# ---------------------------------------------------------------------------------------------
# helpers: what the dashboard records (store row + audit event), data file rewrites, the gate
# ---------------------------------------------------------------------------------------------
def add_user(run_dir: Path, name: str, role: str) -> None:
    ReviewStore(default_db_path(run_dir)).add_user(name, PASSWORD, role)
    AuditLog(run_dir).append("user.added", "admin", {"name": name, "role": role})


def record_verdict(
    run_dir: Path, item: dict, reviewer: str, verdict: str = "ok", entity_type=None
) -> None:
    AuditLog(run_dir).append(
        "review.verdict",
        reviewer,
        {
            "item_id": int(item["id"]),
            "conversation_id": item["conversation_id"],
            "verdict": verdict,
            "entity_type": entity_type,
            "comment_sha256": None,
        },
    )
    ReviewStore(default_db_path(run_dir)).record_verdict(item["id"], reviewer, verdict, entity_type)


def record_signoff(
    run_dir: Path, reviewer: str, role: str, decision: str, sample_hash: str
) -> None:
    AuditLog(run_dir).append(
        "review.signoff",
        reviewer,
        {"decision": decision, "sample_hash": sample_hash, "role": role, "comment_sha256": None},
    )
    ReviewStore(default_db_path(run_dir)).record_signoff(
        reviewer, role, decision, None, sample_hash
    )


def data_file(run_dir: Path) -> Path:
    return sorted((run_dir / "data").glob("*.parquet"))[0]


def rewrite_data(run_dir: Path, change) -> None:
    """Rewrite the first data file with `change(rows)` applied (as an editor with pyarrow would)."""
    path = data_file(run_dir)
    rows = pq.read_table(path).to_pylist()
    change(rows)
    write_parquet(data_table(rows), path)


def gate(run_dir: Path, policy: Path, capsys, *extra: str) -> tuple[int, str, dict]:
    """`redact gate` in-process: (exit code, text report, JSON report)."""
    out = run_dir.parent / "gate.json"
    capsys.readouterr()
    rc = cli_main(
        ["gate", "--run", str(run_dir), "--policy", str(policy), "--json", str(out), *extra]
    )
    text = capsys.readouterr().out
    return rc, text, json.loads(out.read_text(encoding="utf-8"))


def failed(report: dict) -> set[str]:
    return {c["name"] for c in report["checks"] if not c["passed"]}


def message(report: dict, name: str) -> str:
    return next(c["message"] for c in report["checks"] if c["name"] == name)


def line(text: str, name: str) -> str:
    return next(ln for ln in text.splitlines() if ln.split()[1:2] == [name])


def write_policy(path: Path, **changes) -> Path:
    """The demo policy as the tests gate with it; `changes` are dotted-path overrides."""
    data = yaml.safe_load((ROOT / "policies" / "demo.yaml").read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        node = data
        *parents, leaf = dotted.split("__")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reviewed(session_run, tmp_path_factory) -> dict:
    """A fully reviewed copy of the session run and a gate policy it passes."""
    base = tmp_path_factory.mktemp("gate")
    run_dir = base / "run"
    shutil.copytree(session_run, run_dir)
    # The test policy: the demo policy with two reviewers and exactly the residual findings
    # this run has today as its allowance (so one planted e-mail tips it over).
    demo = load_policy(ROOT / "policies" / "demo.yaml")
    baseline = scan_run(demo, sorted((run_dir / "data").glob("*.parquet")))
    policy = write_policy(
        base / "policy.yaml",
        release__review__min_reviewers=2,
        release__allow_policy_mismatch=True,
        release__residual__max_contact_hits=len(baseline.contact_hits),
        release__residual__max_name_hits=len(baseline.name_hits),
        release__residual__max_name_hit_rate=0.0,
    )
    sample = draw_sample(run_dir, load_policy(policy), seed=7, actor=OPERATOR)
    for name, role in REVIEWERS:
        add_user(run_dir, name, role)
    for item in sample["items"]:
        record_verdict(run_dir, item, "rev-bob")
    for item in sample["items"][:10]:
        record_verdict(run_dir, item, "rev-carol")
    for name, role in REVIEWERS:
        record_signoff(run_dir, name, role, "approve", sample["items_hash"])
    return {"run": run_dir, "policy": policy, "sample": sample, "base": base}


@pytest.fixture
def run(reviewed, tmp_path) -> Path:
    dest = tmp_path / "run"
    shutil.copytree(reviewed["run"], dest)
    return dest


# ---------------------------------------------------------------------------------------------
# the pass
# ---------------------------------------------------------------------------------------------
def test_fully_reviewed_run_passes(reviewed, run, tmp_path):
    junit, md, js = tmp_path / "gate.xml", tmp_path / "gate.md", tmp_path / "out" / "gate.json"
    proc = redact_cli(
        "gate",
        "--run",
        str(run),
        "--policy",
        str(reviewed["policy"]),
        "--junit",
        str(junit),
        "--markdown",
        str(md),
        "--json",
        str(js),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    # header (2 lines), one line per check, then the verdict
    assert [ln.split()[1] for ln in lines[2:-1]] == CHECK_NAMES
    assert all(ln.startswith("PASS  ") for ln in lines[2:-1])
    assert lines[-1].startswith("PASS: all 12 checks passed")
    assert "2 distinct reviewer(s) approved" in proc.stdout

    report = json.loads(js.read_text())
    assert report["passed"] is True and len(report["checks"]) == 12
    approvals = next(c for c in report["checks"] if c["name"] == "reviewer_approvals")
    assert approvals["evidence"]["approved_by"] == ["rev-bob", "rev-carol"]

    suite = ET.parse(junit).getroot()
    cases = suite.findall(".//testcase")
    assert [c.get("name") for c in cases] == CHECK_NAMES
    assert suite.get("tests") == "12" and suite.get("failures") == "0"
    assert not suite.findall(".//failure")

    table = md.read_text()
    assert "Release gate: PASS" in table
    assert sum(1 for ln in table.splitlines() if ln.startswith("| `")) == 12

    # The gate's result is in the audit log, after everything it checked, and the chain holds.
    last = list(AuditLog(run).events())[-1]
    assert last["type"] == "gate.evaluated"
    assert last["payload"]["passed"] is True
    assert last["payload"]["checks"] == dict.fromkeys(CHECK_NAMES, True)
    assert last["payload"]["policy_hash"] == report["policy_hash"]
    assert verify_run(run).ok


def test_gating_again_still_passes(reviewed, run, capsys):
    """The gate's own gate.evaluated events never break the audit check of the next gate."""
    for _ in range(2):
        rc, text, _ = gate(run, reviewed["policy"], capsys)
        assert rc == 0, text
    assert [e["type"] for e in AuditLog(run).events()][-2:] == ["gate.evaluated"] * 2


def test_evaluate_api_returns_checks(reviewed, run):
    report = evaluate(run, load_policy(reviewed["policy"]), actor="ci", record=False)
    assert report.passed and [c.name for c in report.checks] == CHECK_NAMES
    assert all(isinstance(c.evidence, dict) and c.message for c in report.checks)
    assert report.check("review_sample").evidence["size"] == len(reviewed["sample"]["items"])
    assert list(AuditLog(run).events())[-1]["type"] != "gate.evaluated"  # record=False


# ---------------------------------------------------------------------------------------------
# one break per check
# ---------------------------------------------------------------------------------------------
def test_edited_data_file_fails_the_audit_trail(reviewed, run, capsys):
    def edit(rows):
        rows[0]["conversation"][0]["content"] = "an innocent edit after the run"

    rewrite_data(run, edit)
    rc, text, report = gate(run, reviewed["policy"], capsys)
    assert rc == 1
    assert failed(report) == {"audit_trail"}
    assert line(text, "audit_trail").startswith("FAIL")
    assert f"changed file data/{data_file(run).name}" in message(report, "audit_trail")
    assert text.strip().splitlines()[-1].startswith("FAIL: 1 of 12 checks failed (audit_trail)")


def test_dropped_shard_fails_completeness(reviewed, run, capsys):
    name = data_file(run).name
    data_file(run).unlink()
    rc, text, report = gate(run, reviewed["policy"], capsys)
    assert rc == 1
    assert "completeness" in failed(report)
    assert failed(report) <= {"completeness", "audit_trail", "schema"}
    msg = message(report, "completeness")
    assert f"data/{name} is missing" in msg and "redact run --resume" in msg


def test_forbidden_column_fails_schema(reviewed, run, capsys):
    def add_user_id(rows):
        for i, row in enumerate(rows):
            row["user_id"] = f"u{i}"

    rewrite_data(run, add_user_id)
    rc, text, report = gate(run, reviewed["policy"], capsys)
    assert rc == 1
    assert failed(report) == {"schema", "audit_trail"}
    assert "user_id" in message(report, "schema") and "drop_fields" in message(report, "schema")


def test_wrong_column_type_fails_schema(reviewed, run, capsys):
    path = data_file(run)
    table = pq.read_table(path)
    i = table.schema.get_field_index("turn")
    table = table.set_column(i, "turn", table.column("turn").cast(pa.string()))
    write_parquet(table, path)
    rc, _, report = gate(run, reviewed["policy"], capsys)
    assert rc == 1 and "schema" in failed(report)
    assert "turn is string, expected int64" in message(report, "schema")


def test_planted_email_fails_the_residual_scan(reviewed, run, tmp_path):
    target = {}

    def plant(rows):
        row = rows[3]
        target["cid"] = row["conversation_id"]
        msg = row["conversation"][0]
        target["offset"] = len(msg["content"]) + len(" Reach me at ")
        msg["content"] += f" Reach me at {PLANTED_EMAIL} anytime."

    rewrite_data(run, plant)
    junit, md, js = tmp_path / "g.xml", tmp_path / "g.md", tmp_path / "g.json"
    proc = redact_cli(
        "gate",
        "--run",
        str(run),
        "--policy",
        str(reviewed["policy"]),
        "--junit",
        str(junit),
        "--markdown",
        str(md),
        "--json",
        str(js),
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads(js.read_text())
    assert failed(report) == {"residual_scan", "audit_trail"}  # changing data also breaks its hash
    msg = message(report, "residual_scan")
    assert f"{target['cid']} msg 0 @{target['offset']} EMAIL_ADDRESS" in msg
    hits = next(c for c in report["checks"] if c["name"] == "residual_scan")["evidence"]["hits"]
    assert {
        "conversation_id": target["cid"],
        "message_index": 0,
        "offset": target["offset"],
        "length": len(PLANTED_EMAIL),
        "type": "EMAIL_ADDRESS",
    } in hits
    # Locations only: the value appears in no report and not in the audit log.
    for text in (
        proc.stdout,
        proc.stderr,
        junit.read_text(),
        md.read_text(),
        js.read_text(),
        (run / "audit" / "events.jsonl").read_text(),
    ):
        assert PLANTED_EMAIL not in text and "zebulon" not in text.lower()
    suite = ET.parse(junit).getroot()
    failures = {
        c.get("name") for c in suite.findall(".//testcase") if c.find("failure") is not None
    }
    assert failures == {"residual_scan", "audit_trail"} and suite.get("failures") == "2"
    assert "❌ **FAIL**" in md.read_text()


def test_removed_signoff_fails_reviewer_approvals(reviewed, run, capsys):
    with sqlite3.connect(default_db_path(run)) as db:
        db.execute("DELETE FROM signoffs WHERE reviewer = ?", ("rev-carol",))
    rc, text, report = gate(run, reviewed["policy"], capsys)
    assert rc == 1
    assert failed(report) == {"reviewer_approvals"}
    msg = message(report, "reviewer_approvals")
    assert "1 of 2 required distinct reviewer(s) approved the current sample (rev-bob)" in msg
    assert "rev-carol" in msg and "no longer holds" in msg


def test_too_few_approvals_says_how_many_more(reviewed, run, capsys):
    policy = write_policy(
        run.parent / "p3.yaml",
        **{**_policy_overrides(reviewed), "release__review__min_reviewers": 3},
    )
    rc, _, report = gate(run, policy, capsys)
    assert rc == 1 and failed(report) == {"reviewer_approvals"}
    assert (
        "1 more reviewer(s), not the operator op-alice, must review the sample and approve"
        in message(report, "reviewer_approvals")
    )


def test_operator_signoff_fails_the_two_person_rule(reviewed, run, capsys):
    add_user(run, OPERATOR, "reviewer")
    record_signoff(run, OPERATOR, "reviewer", "approve", reviewed["sample"]["items_hash"])
    rc, text, report = gate(run, reviewed["policy"], capsys)
    assert rc == 1
    assert failed(report) == {"operator_not_approver"}
    assert f"the run's operator {OPERATOR} approved the release" in message(
        report, "operator_not_approver"
    )
    approvals = next(c for c in report["checks"] if c["name"] == "reviewer_approvals")["evidence"]
    assert approvals["approved_by"] == ["rev-bob", "rev-carol"]
    assert f"{OPERATOR} is the run's operator" in approvals["not_counted"]


def test_sample_below_the_policy_size_fails_review_sample(reviewed, run, capsys):
    sample = load_sample(run)
    sample["items"] = sample["items"][:30]
    sample["size"] = 30
    sample["items_hash"] = items_hash(sample["items"])
    write_json_atomic(sample, sample_path(run))
    rc, text, report = gate(run, reviewed["policy"], capsys)
    assert rc == 1
    assert "review_sample" in failed(report)
    msg = message(report, "review_sample")
    assert msg.startswith("the sample has 30 items but the policy needs 45")
    assert "does not match the sample.drawn audit event" in msg
    # The approvals were given for the sample as drawn: they no longer count either.
    assert failed(report) <= {"review_sample", "audit_trail", "leak_bound", "reviewer_approvals"}


def test_stricter_policy_needs_a_bigger_sample(reviewed, run, capsys):
    policy = write_policy(
        run.parent / "strict.yaml",
        **{**_policy_overrides(reviewed), "release__review__target_leak_rate": 0.03},
    )
    rc, _, report = gate(run, policy, capsys)
    assert rc == 1 and "review_sample" in failed(report)
    size = len(reviewed["sample"]["items"])
    assert message(report, "review_sample").startswith(
        f"the sample has {size} items but the policy needs 76"
    )
    assert "leak_bound" in failed(report)
    assert f"{size} items cannot show this target; it takes 76" in message(report, "leak_bound")


def test_missing_verdicts_fail_review_verdicts_and_the_bound(reviewed, run, capsys):
    missing = [i["id"] for i in reviewed["sample"]["items"][-12:]]
    with sqlite3.connect(default_db_path(run)) as db:
        db.executemany("DELETE FROM verdicts WHERE item_id = ?", [(i,) for i in missing])
    rc, text, report = gate(run, reviewed["policy"], capsys)
    assert rc == 1
    assert {"review_verdicts", "leak_bound"} <= failed(report)
    assert "review the 12 sample item(s) without a verdict" in message(report, "leak_bound")
    n = len(reviewed["sample"]["items"])
    assert message(report, "review_verdicts").startswith(
        f"12 of {n} sample items have no verdict (items {', '.join(map(str, missing[:5]))} and 7 more): "
        f"review them in the dashboard"
    )


def test_missed_pii_verdict_fails_the_leak_bound(reviewed, run, capsys):
    item = reviewed["sample"]["items"][0]
    record_verdict(run, item, "rev-carol", "missed_pii", "PERSON")
    rc, _, report = gate(run, reviewed["policy"], capsys)
    assert rc == 1 and failed(report) == {"leak_bound"}
    assert message(report, "leak_bound").startswith("1 missed PII in ")


@pytest.mark.parametrize("index, verdict", [(-1, "ok"), (1, "ok"), (2, "missed_pii")])
def test_verdict_written_around_the_dashboard_is_refused(reviewed, run, capsys, index, verdict):
    """A verdict written straight into the store (no review.verdict audit event) is refused:
    on an item this reviewer never judged, a repeat of a logged verdict, or a changed one."""
    item = reviewed["sample"]["items"][index]
    ReviewStore(default_db_path(run)).record_verdict(item["id"], "rev-carol", verdict, "PERSON")
    rc, _, report = gate(run, reviewed["policy"], capsys)
    assert rc == 1 and "review_verdicts" in failed(report)
    assert f"item {item['id']} by rev-carol" in message(report, "review_verdicts")
    assert "do not match the audit log" in message(report, "review_verdicts")


def test_a_rejection_fails(reviewed, run, capsys):
    record_signoff(run, "rev-carol", "admin", "reject", reviewed["sample"]["items_hash"])
    rc, _, report = gate(run, reviewed["policy"], capsys)
    assert rc == 1 and failed(report) == {"no_rejections", "reviewer_approvals"}
    assert "rev-carol" in message(report, "no_rejections")


def test_policy_mismatch_fails_unless_allowed(reviewed, run, capsys):
    policy = write_policy(
        run.parent / "exact.yaml",
        **{**_policy_overrides(reviewed), "release__allow_policy_mismatch": False},
    )
    rc, _, report = gate(run, policy, capsys)
    assert rc == 1 and failed(report) == {"policy_hash"}
    msg = message(report, "policy_hash")
    assert "(differs in release." in msg and "release.review.min_reviewers" in msg
    # The policy the run was made with matches.
    rc, _, report = gate(run, ROOT / "policies" / "demo.yaml", capsys)
    assert "policy_hash" not in failed(report)


def test_ner_coverage_without_review_fails(reviewed, run, capsys):
    policy = write_policy(
        run.parent / "ner.yaml",
        **{**_policy_overrides(reviewed), "release__max_share_without_ner": 0.0},
    )
    rc, _, report = gate(run, policy, capsys)
    index = pq.read_table(sorted((run / "index").glob("*.parquet"))[0]).to_pylist()
    without = [r["conversation_id"] for r in index if not r["ner_coverage"]]
    in_sample = {i["conversation_id"] for i in reviewed["sample"]["items"]}
    if set(without) <= in_sample:  # every one happens to be reviewed: allowed
        assert rc == 0
    else:
        assert rc == 1 and failed(report) == {"ner_coverage"}
        assert (
            f"{len(without)} of {len(index)} released conversations without NER coverage"
            in message(report, "ner_coverage")
        )
    policy = write_policy(
        run.parent / "ner2.yaml",
        **{
            **_policy_overrides(reviewed),
            "release__max_share_without_ner": 0.0,
            "release__without_ner_ok_if_reviewed": False,
        },
    )
    rc, _, report = gate(run, policy, capsys)
    assert rc == 1 and failed(report) == {"ner_coverage"}
    assert "languages.ner_models" in message(report, "ner_coverage")


def test_unreviewed_run_fails_review_checks(session_run, tmp_path, reviewed, capsys):
    run_dir = tmp_path / "fresh"
    shutil.copytree(session_run, run_dir)
    rc, text, report = gate(run_dir, reviewed["policy"], capsys)
    assert rc == 1
    assert failed(report) == {
        "review_sample",
        "review_verdicts",
        "leak_bound",
        "reviewer_approvals",
    }
    assert "no review sample has been drawn" in message(report, "review_sample")


# ---------------------------------------------------------------------------------------------
# usage errors: exit 2
# ---------------------------------------------------------------------------------------------
def test_usage_errors_exit_2(reviewed, tmp_path):
    policy = str(reviewed["policy"])
    cases = [
        (["gate", "--run", str(tmp_path / "nope"), "--policy", policy], "no run directory"),
        (["gate", "--run", str(tmp_path), "--policy", policy], "manifest.json is missing"),
        (
            ["gate", "--run", str(reviewed["run"]), "--policy", str(tmp_path / "none.yaml")],
            "policy file not found",
        ),
        (["gate", "--run", str(reviewed["run"])], "--policy"),
    ]
    for args, expected in cases:
        proc = redact_cli(*args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert expected in proc.stderr


def test_unwritable_report_path_exits_2(reviewed, run, capsys):
    blocker = run.parent / "blocker"
    blocker.write_text("a file, not a folder")
    rc = cli_main(
        [
            "gate",
            "--run",
            str(run),
            "--policy",
            str(reviewed["policy"]),
            "--junit",
            str(blocker / "gate.xml"),
        ]
    )
    assert rc == 2
    assert "cannot write report" in capsys.readouterr().err


def _policy_overrides(reviewed) -> dict:
    """The overrides that made the module's test policy, to build variants of it."""
    p = load_policy(reviewed["policy"])
    return {
        "release__review__min_reviewers": p.release.review.min_reviewers,
        "release__allow_policy_mismatch": True,
        "release__residual__max_contact_hits": p.release.residual.max_contact_hits,
        "release__residual__max_name_hits": p.release.residual.max_name_hits,
        "release__residual__max_name_hit_rate": 0.0,
    }


def test_approval_written_around_the_dashboard_does_not_count(reviewed, run, capsys):
    add_user(run, "rev-dan", "reviewer")
    ReviewStore(default_db_path(run)).record_signoff(
        "rev-dan", "reviewer", "approve", None, reviewed["sample"]["items_hash"]
    )
    policy = write_policy(
        run.parent / "three.yaml",
        **{**_policy_overrides(reviewed), "release__review__min_reviewers": 3},
    )
    rc, _, report = gate(run, policy, capsys)
    assert rc == 1 and failed(report) == {"reviewer_approvals"}
    msg = message(report, "reviewer_approvals")
    assert (
        "rev-dan's sign-offs in the review store outnumber their review.signoff audit events" in msg
    )
