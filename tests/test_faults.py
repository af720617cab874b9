"""Exactly once under faults: a detector worker process is killed (SIGKILL, by PID) mid-run.

The run is a `redact run --address` on the shared `ray start` head. Ray restarts the actor and
retries the shard it held; the run finishes, every input record is in data/ or quarantine/
exactly once, findings match the released data, the manifest adds up, and the outputs are
byte-identical to an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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
    write_input,
    write_policy,
)
from tests.conftest import ROOT

pytestmark = pytest.mark.ray


@pytest.fixture(scope="session")
def head(request):
    return shared_head(request)


@contextlib.contextmanager
def _driver(cmd: list[str], log_path: Path, head):
    """`redact run` on the head, its output in `log_path`; killed if still running at the end."""
    with open(log_path, "wb") as log:
        driver = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                  env={**os.environ, **head.job_env()})  # fmt: skip
    try:
        yield driver
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()


def _session_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[3])


def test_killed_detector_worker_is_replaced_and_every_record_lands_once(head, tmp_path_factory):
    src, policy = shared_inputs(tmp_path_factory)
    reference = reference_run(tmp_path_factory, head)
    d = tmp_path_factory.mktemp("fault")
    out, log_path = d / "run", d / "driver.log"
    cmd = [sys.executable, "-m", "redact", "run", "--input", str(src), "--output", str(out),
           "--policy", str(policy), "--address", head.address, "--workers", "2",
           "--operator", "op-fault"]  # fmt: skip
    with _driver(cmd, log_path, head) as driver:
        first = wait_for(
            lambda: markers(out) if (out / "shards").is_dir() else None, 600, what="a first shard"
        )
        victim = first[0]["worker"]["pid"]
        # That PID is a detector actor's worker process on this test's cluster.
        assert _session_of(victim) == head.proc.pid
        assert "ShardWorker" in process_name(victim)
        os.kill(victim, signal.SIGKILL)
        done_at_kill = {m["shard"] for m in markers(out)}
        rc = driver.wait(timeout=900)
    log = log_path.read_text(errors="replace")
    assert rc == 0, log[-5000:]

    done = markers(out)
    assert len(done) == 8 and len(done_at_kill) < 8, "the worker was not killed mid-run"
    later = [m for m in done if m["shard"] not in done_at_kill]
    assert later and all(m["worker"]["pid"] != victim for m in later)

    check_run(out, src)
    assert output_sums(out) == output_sums(reference)


def _holds_open(pid: int, needles: tuple[str, ...]) -> bool:
    """Whether process `pid` has a file open whose path contains one of `needles`."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        with contextlib.suppress(OSError):
            if any(n in os.readlink(f"/proc/{pid}/fd/{fd}") for n in needles):
                return True
    return False


def test_shard_that_keeps_killing_its_worker_fails_the_run_after_the_retries(
    head, tmp_path_factory
):
    """Ray Data alone would restart the worker and retry the shard forever: a shard whose
    worker dies every time it works on it (here: killed once it has the shard's input open)
    must fail the run after --shard-retries, with a message that says so."""
    d = tmp_path_factory.mktemp("poison")
    src = write_input(d / "in.jsonl", n=200)
    policy = write_policy(d / "policy.yaml", shard_records=1000)  # one shard
    out, log_path = d / "run", d / "driver.log"
    cmd = [sys.executable, "-m", "redact", "run", "--input", str(src), "--output", str(out),
           "--policy", str(policy), "--address", head.address, "--workers", "1",
           "--shard-retries", "1", "--operator", "op-poison"]  # fmt: skip
    killed: set[int] = set()
    with _driver(cmd, log_path, head) as driver:
        deadline = time.monotonic() + 600
        while driver.poll() is None and time.monotonic() < deadline and len(killed) < 6:
            for pid in session_pids(head.proc.pid):
                if (
                    pid not in killed
                    and "ShardWorker" in process_name(pid)
                    and _holds_open(pid, (str(src), str(out)))
                ):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                    killed.add(pid)
            time.sleep(0.02)
        rc = driver.wait(timeout=600)
    log = log_path.read_text(errors="replace")
    assert rc != 0, f"the run finished after {len(killed)} worker kills:\n{log[-3000:]}"
    assert len(killed) == 2, (killed, log[-3000:])  # the first try and the one retry
    assert "1 of 1 shard(s) did not finish" in log and "Unfinished: part-00000." in log, log[-3000:]
    assert "--resume" in log, log[-3000:]
    assert "worker process died on the same shard 2 time(s)" in log, log[-3000:]
    assert not (out / "manifest.json").exists() and not markers(out)
