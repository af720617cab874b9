"""`redact review add-user` and `redact review serve` argument handling."""

from __future__ import annotations

import getpass

from audit.dashboard.store import ReviewStore, default_db_path
from audit.log import AuditLog
from tests.conftest import redact_cli
from tests.test_dashboard_fixtures import build_run


def test_add_user_reads_password_from_stdin_and_logs(tmp_path):
    run = build_run(tmp_path)
    proc = redact_cli(
        "review",
        "add-user",
        "carol",
        "--role",
        "reviewer",
        "--run",
        str(run),
        input="s3cret-password\n",
    )
    assert proc.returncode == 0, proc.stderr
    assert "s3cret-password" not in proc.stdout + proc.stderr
    store = ReviewStore(default_db_path(run))
    assert store.verify_password("carol", "s3cret-password")["role"] == "reviewer"
    assert store.verify_password("carol", "s3cret-password\n") is None
    added = [e for e in AuditLog(run).events() if e["type"] == "user.added"]
    assert [(e["actor"], e["payload"]) for e in added] == [
        (getpass.getuser(), {"name": "carol", "role": "reviewer"})
    ]
    assert "s3cret" not in AuditLog(run).path.read_text()

    # again: updates the password and role
    proc = redact_cli(
        "review", "add-user", "carol", "--role", "admin", "--run", str(run), input="other-password"
    )
    assert proc.returncode == 0 and "updated" in proc.stdout
    assert store.verify_password("carol", "other-password")["role"] == "admin"


def test_add_user_with_db_only(tmp_path):
    db = tmp_path / "review.sqlite"
    proc = redact_cli(
        "review", "add-user", "dave", "--role", "admin", "--db", str(db), input="long-enough-pw\n"
    )
    assert proc.returncode == 0, proc.stderr
    assert ReviewStore(db).get_user("dave")["role"] == "admin"


def test_add_user_refusals(tmp_path):
    run = build_run(tmp_path)
    no_target = redact_cli(
        "review", "add-user", "x", "--role", "reviewer", input="long-enough-pw\n"
    )
    assert no_target.returncode == 2 and "--run" in no_target.stderr
    short = redact_cli(
        "review", "add-user", "x", "--role", "reviewer", "--run", str(run), input="short\n"
    )
    assert short.returncode == 2 and "at least 8" in short.stderr
    empty = redact_cli("review", "add-user", "x", "--role", "reviewer", "--run", str(run), input="")
    assert empty.returncode == 2 and "stdin" in empty.stderr
    bad_name = redact_cli(
        "review",
        "add-user",
        "<x>",
        "--role",
        "reviewer",
        "--run",
        str(run),
        input="long-enough-pw\n",
    )
    assert bad_name.returncode == 2
    bad_role = redact_cli(
        "review", "add-user", "x", "--role", "root", "--run", str(run), input="long-enough-pw\n"
    )
    assert bad_role.returncode == 2
    not_a_run = redact_cli(
        "review",
        "add-user",
        "x",
        "--role",
        "reviewer",
        "--run",
        str(tmp_path),
        input="long-enough-pw\n",
    )
    assert not_a_run.returncode == 2 and "run.json" in not_a_run.stderr


def test_serve_refuses_a_folder_without_a_run(tmp_path):
    proc = redact_cli("review", "serve", "--run", str(tmp_path), "--port", "1")
    assert proc.returncode == 2 and "run.json" in proc.stderr
