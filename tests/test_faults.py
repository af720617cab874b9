"""Exactly once under faults: a detector worker process is killed (SIGKILL, by PID) mid-run.

The run is a `redact run --address` on the shared `ray start` head. Ray restarts the actor and
retries the shard it held; the run finishes, every input record is in data/ or quarantine/
exactly once, findings match the released data, the manifest adds up, and the outputs are
byte-identical to an uninterrupted run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cluster_helpers import (
    check_run,
    markers,
    output_sums,
    process_name,
    reference_run,
    shared_head,
    shared_inputs,
    wait_for,
)
from tests.conftest import ROOT

pytestmark = pytest.mark.ray


@pytest.fixture(scope="session")
def head(request):
    return shared_head(request)


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
    with open(log_path, "wb") as log:
        driver = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                  env={**os.environ, **head.job_env()})  # fmt: skip
    try:
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
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    log = log_path.read_text(errors="replace")
    assert rc == 0, log[-5000:]

    done = markers(out)
    assert len(done) == 8 and len(done_at_kill) < 8, "the worker was not killed mid-run"
    later = [m for m in done if m["shard"] not in done_at_kill]
    assert later and all(m["worker"]["pid"] != victim for m in later)

    check_run(out, src)
    assert output_sums(out) == output_sums(reference)
