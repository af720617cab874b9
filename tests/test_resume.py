"""Resume: the driver is killed mid-run (SIGKILL); `redact run --resume` with the same
arguments skips the finished shards and ends byte-identical to an uninterrupted run, with a
valid audit chain. Resuming with another policy, input or key is refused (exit 2).

The runs attach to the shared `ray start` head (`--address`). An embedded Ray goes down with a
killed driver (Ray's reaper); its orphaned agents do not matter because `redact run` without an
address always starts a fresh embedded Ray (`address="local"`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

from tests.cluster_helpers import (
    check_run,
    markers,
    output_sums,
    process_name,
    reference_run,
    session_pids,
    shared_head,
    shared_inputs,
    wait_for,
    write_policy,
)
from tests.conftest import ROOT, redact_cli

pytestmark = pytest.mark.ray

SHARDS = 8


@pytest.fixture(scope="session")
def head(request):
    return shared_head(request)


def test_resume_after_killed_driver_is_byte_identical_to_an_uninterrupted_run(
    head, tmp_path_factory
):
    src, policy = shared_inputs(tmp_path_factory)
    reference = reference_run(tmp_path_factory, head)
    d = tmp_path_factory.mktemp("resume")
    out, log_path = d / "run", d / "driver.log"
    args = ["run", "--input", str(src), "--output", str(out), "--policy", str(policy),
            "--address", head.address, "--workers", "2", "--operator", "op-resume"]  # fmt: skip
    with open(log_path, "wb") as log:
        driver = subprocess.Popen([sys.executable, "-m", "redact", *args], cwd=ROOT, stdout=log,
                                  stderr=subprocess.STDOUT, env={**os.environ, **head.job_env()})  # fmt: skip
    try:
        wait_for(
            lambda: (out / "shards").is_dir() and len(markers(out)) >= 2, 600, what="two shards"
        )
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait()
        # The cluster ends a dead driver's job: its detector actors go, markers stop appearing.
        wait_for(lambda: not _job_workers(head), 60, what="the killed job's workers to stop")
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    done_before = len(markers(out))
    assert 2 <= done_before < SHARDS, "the driver finished before it was killed"
    assert not (out / "manifest.json").exists()

    proc = redact_cli(*args, "--resume", env=head.job_env())
    assert proc.returncode == 0, proc.stderr[-5000:]
    assert f"{done_before} already done, {SHARDS - done_before} to process" in proc.stderr
    assert f"[{SHARDS}/{SHARDS}]" in proc.stderr

    check_run(out, src)
    assert output_sums(out) == output_sums(reference)

    # One chain: started, resumed, each file logged once, finished; and it verifies.
    events = [
        json.loads(line) for line in (out / "audit" / "events.jsonl").read_text().splitlines()
    ]
    types = [e["type"] for e in events]
    assert (
        types[0] == "run.started"
        and types.count("run.resumed") == 1
        and types[-1] == "run.finished"
    )
    logged = [e["payload"]["file"] for e in events if e["type"] == "shard.written"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(logged) == sorted(manifest["files"])
    verify = redact_cli("audit", "verify", "--run", str(out))
    assert verify.returncode == 0, verify.stdout + verify.stderr


def _job_workers(head) -> list[int]:
    return [p for p in session_pids(head.proc.pid) if "ShardWorker" in process_name(p)]


@pytest.fixture
def unfinished(head, tmp_path_factory, tmp_path):
    """A run interrupted before its last shard: the reference run without its end."""
    src, policy = shared_inputs(tmp_path_factory)
    run = tmp_path / "run"
    shutil.copytree(reference_run(tmp_path_factory, head), run)
    (run / "manifest.json").unlink()
    (run / "shards" / f"part-{SHARDS - 1:05d}.json").unlink()
    return src, policy, run


def _resume(src, policy, run, *extra, env=None):
    return redact_cli("run", "--input", str(src), "--output", str(run), "--policy", str(policy),
                      "--resume", *extra, env=env)  # fmt: skip


def test_resume_refuses_another_policy(unfinished, tmp_path):
    src, _, run = unfinished
    other = write_policy(tmp_path / "other.yaml", batch_records=7)  # same shard size, new hash
    proc = _resume(src, other, run)
    assert proc.returncode == 2
    assert "cannot resume" in proc.stderr and "the policy differ" in proc.stderr


def test_resume_refuses_other_input(unfinished, tmp_path):
    src, policy, run = unfinished
    changed = tmp_path / src.name
    changed.write_bytes(src.read_bytes().replace(b"\n", b"\n\n", 1))
    proc = _resume(changed, policy, run)
    assert proc.returncode == 2
    assert "cannot resume" in proc.stderr and "input files" in proc.stderr


def test_resume_refuses_another_key(unfinished):
    src, policy, run = unfinished
    proc = _resume(src, policy, run, env={"REDACT_HMAC_KEY": "another-key-0123456789"})
    assert proc.returncode == 2 and "HMAC key" in proc.stderr


def test_rerun_without_resume_is_refused(unfinished):
    src, policy, run = unfinished
    proc = redact_cli("run", "--input", str(src), "--output", str(run), "--policy", str(policy))
    assert proc.returncode == 2 and "pass --resume" in proc.stderr


def test_resume_after_a_driver_died_between_manifest_and_last_event(
    head, tmp_path_factory, tmp_path
):
    """manifest.json written, `run.finished` not logged: --resume completes the audit log."""
    src, policy = shared_inputs(tmp_path_factory)
    run = tmp_path / "run"
    shutil.copytree(reference_run(tmp_path_factory, head), run)
    log = run / "audit" / "events.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    assert json.loads(lines[-1])["type"] == "run.finished"
    log.write_text("".join(lines[:-1]))
    assert redact_cli("audit", "verify", "--run", str(run)).returncode != 0

    proc = _resume(src, policy, run)
    assert proc.returncode == 0 and "nothing to resume" in proc.stderr
    assert json.loads(log.read_text().splitlines()[-1])["type"] == "run.finished"
    verify = redact_cli("audit", "verify", "--run", str(run))
    assert verify.returncode == 0, verify.stdout + verify.stderr
