"""Helpers for the cluster, storage, fault and resume tests (not a test module).

- `RayHead`: a real `ray start --head --block` on loopback with every port chosen free and its
  own temp dir, stopped by PID (every process of the session it runs in), never `ray stop`,
  which would kill other people's clusters on this machine.
- `moto_s3`: moto's S3 server on loopback, with the AWS variables a run reads.
- `shared_head`: one such head per test process, shared by the job, fault, storage and
  reference runs (a Ray start is the slowest part of a small run), stopped at session end.
- `reference_run`: one uninterrupted run of the small many-shard input, made once per test
  process and shared by the node, fault and resume tests as the byte-identical baseline.
- checks that every input record ends in data/ or quarantine/ exactly once, and that findings
  match the released data.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import yaml

from tests.conftest import ROOT, redact_cli

BIN = Path(sys.executable).parent
N_CONVERSATIONS = 30
SHARD_RECORDS = 4  # 30 conversations + 2 bad lines -> 8 shards: a run can stop between shards
SEED = 23
_cache: dict[str, Any] = {}


def free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def env_with_venv(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for Ray processes: this virtualenv first on PATH (a job's `python`)."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    env.update(extra or {})
    return env


# -- processes ------------------------------------------------------------------------------


def session_pids(sid: int) -> list[int]:
    """PIDs of every live process in session `sid` (a session this test created)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        state, session = fields[0], int(fields[3])
        if session == sid and state != "Z":
            pids.append(int(entry))
    return pids


def stop_session(sid: int, grace: float = 15.0) -> None:
    """SIGTERM every process of the session, then SIGKILL what is left after `grace` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        pids = session_pids(sid)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and session_pids(sid):
            time.sleep(0.25)


def process_name(pid: int) -> str:
    """The process title (Ray workers set theirs, e.g. `ray::MapWorker(...ShardWorker)`)."""
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def ray_core_alive(sid: int) -> list[int]:
    """Ray processes of a session that can still run or write shards (raylet, GCS, workers)."""
    return [
        pid for pid in session_pids(sid)
        if any(k in process_name(pid) for k in ("raylet", "gcs_server", "ShardWorker", "ray::IDLE"))
    ]  # fmt: skip


def wait_for(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


# -- a real `ray start --head` ---------------------------------------------------------------


class RayHead:
    """`ray start --head --block --num-cpus N` on 127.0.0.1 in its own session and temp dir."""

    def __init__(self, num_cpus: int = 2):
        self.num_cpus = num_cpus
        self.temp_dir = tempfile.mkdtemp(prefix="rh", dir="/tmp")  # short: socket paths
        (self.gcs_port, self.dashboard_port, *self.other_ports) = free_ports(9)
        self.log_path = Path(self.temp_dir) / "head.log"
        self.proc: subprocess.Popen | None = None

    @property
    def dashboard(self) -> str:
        return f"http://127.0.0.1:{self.dashboard_port}"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.gcs_port}"

    def start(self, timeout: float = 180) -> RayHead:
        client, agent_http, agent_grpc, runtime_env, metrics, node_mgr, obj_mgr = self.other_ports
        cmd = [
            str(BIN / "ray"), "start", "--head", "--block", "--disable-usage-stats",
            "--num-cpus", str(self.num_cpus), "--node-ip-address", "127.0.0.1",
            "--port", str(self.gcs_port),
            "--dashboard-host", "127.0.0.1", "--dashboard-port", str(self.dashboard_port),
            "--ray-client-server-port", str(client),
            "--dashboard-agent-listen-port", str(agent_http),
            "--dashboard-agent-grpc-port", str(agent_grpc),
            "--runtime-env-agent-port", str(runtime_env),
            "--metrics-export-port", str(metrics),
            "--node-manager-port", str(node_mgr), "--object-manager-port", str(obj_mgr),
            "--temp-dir", self.temp_dir,
        ]  # fmt: skip
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env=env_with_venv(), start_new_session=True
        )
        log.close()
        try:
            wait_for(self._ready, timeout, interval=1.0, what="the Ray head and its dashboard")
        except BaseException:
            self.stop()
            raise
        return self

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(
                f"ray start exited {self.proc.returncode}:\n{self.log_path.read_text()[-3000:]}"
            )
        if b"Ray runtime started" not in self.log_path.read_bytes():
            return False
        try:
            urllib.request.urlopen(f"{self.dashboard}/api/version", timeout=5)
        except urllib.error.HTTPError:
            return True  # it answers (perhaps asking for the token): up
        except OSError:
            return False
        return True

    def stop(self) -> None:
        if self.proc is None:
            return
        stop_session(self.proc.pid, grace=5)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self.proc = None
        shutil.rmtree(self.temp_dir, ignore_errors=True)  # session logs, sockets, spill

    def job_env(self) -> dict[str, str]:
        """Environment for the `ray job` CLI: sends the cluster's token when auth is on."""
        return env_with_venv({"RAY_AUTH_MODE": "token"})

    def ray_cli(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "ray"), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.job_env(),
        )


def shared_head(request) -> RayHead:
    """The test process's `ray start --head` (2 CPUs); call from a session-scoped fixture."""
    if "head" not in _cache:
        head = RayHead(num_cpus=2).start()
        _cache["head"] = head
        atexit.register(head.stop)  # also if the session is cut short
        request.addfinalizer(head.stop)
    return _cache["head"]


def make_working_dir(root: Path) -> Path:
    """What `ray job submit --working-dir .` uploads from a checkout, minus caches and data."""
    for package in ("redact", "audit", "policies"):
        shutil.copytree(
            ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    return root


def submit_job(
    head: RayHead, working_dir: Path, redact_args: list[str], env_vars: dict[str, str] | None = None
):
    """`ray job submit ... -- python -m redact ARGS`; the HMAC key travels in the runtime env."""
    runtime_env = {
        "env_vars": {"REDACT_HMAC_KEY": os.environ["REDACT_HMAC_KEY"], **(env_vars or {})}
    }
    return head.ray_cli(
        "job", "submit", "--address", head.dashboard, "--working-dir", str(working_dir),
        "--runtime-env-json", json.dumps(runtime_env),
        "--", "python", "-m", "redact", *redact_args,
    )  # fmt: skip


# -- moto's S3 server --------------------------------------------------------------------------


@contextlib.contextmanager
def moto_s3(bucket: str = "redact-test"):
    """Start moto's S3 server on loopback; yields (endpoint, env for `redact run`, boto3 client)."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://127.0.0.1:{port}"
        env = {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        client = boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )  # fmt: skip
        client.create_bucket(Bucket=bucket)
        yield endpoint, env, client
    finally:
        server.stop()


# -- inputs, policies and the reference run ----------------------------------------------------


def write_policy(path: Path, shard_records: int = SHARD_RECORDS, **detection: Any) -> Path:
    """The demo policy with small shards (and any other detection settings given)."""
    policy = yaml.safe_load((ROOT / "policies" / "demo.yaml").read_text())
    policy.setdefault("detection", {})
    policy["detection"].update({"shard_records": shard_records, **detection})
    path.write_text(yaml.safe_dump(policy, sort_keys=False))
    return path


def write_input(path: Path, n: int = N_CONVERSATIONS, seed: int = SEED) -> Path:
    """Generated conversations plus two bad lines, so quarantine is exercised too."""
    from redact.demo_data import write_demo_data

    write_demo_data(path, n, seed=seed)
    with path.open("ab") as f:
        f.write(b'{"conversation_id": "broken", "conversation": [\n')
        f.write(b"\n")
    return path


def shared_inputs(tmp_path_factory) -> tuple[Path, Path]:
    """(input, policy) for the many-shard tests, written once per test process."""
    if "inputs" not in _cache:
        d = tmp_path_factory.mktemp("shared-input")
        _cache["inputs"] = (write_input(d / "conversations.jsonl"), write_policy(d / "policy.yaml"))
    return _cache["inputs"]


def reference_run(tmp_path_factory, head: RayHead) -> Path:
    """An uninterrupted run of `shared_inputs` on the shared head, made once per test process."""
    if "reference" not in _cache:
        src, policy = shared_inputs(tmp_path_factory)
        out = tmp_path_factory.mktemp("reference") / "run"
        redact_cli(
            "run", "--input", str(src), "--output", str(out), "--policy", str(policy),
            "--address", head.address, "--workers", "2", "--operator", "op-ref", "--quiet",
            check=True, env=head.job_env(),
        )  # fmt: skip
        _cache["reference"] = out
    return _cache["reference"]


def output_sums(
    run_dir: Path, folders=("data", "findings", "quarantine", "index")
) -> dict[str, str]:
    """sha256 of every file (hidden ones too) in the output folders."""
    sums = {}
    for folder in folders:
        for f in sorted((run_dir / folder).iterdir()):
            sums[f"{folder}/{f.name}"] = hashlib.sha256(f.read_bytes()).hexdigest()
    return sums


def input_lines(path: Path) -> int:
    data = path.read_bytes()
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


def check_run(run_dir: Path, input_path: Path) -> dict[str, Any]:
    """Exactly once and consistent: every input line is released or quarantined once, the
    manifest adds up and lists every file with its hash, and findings match released data."""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    counts = manifest["counts"]
    n = input_lines(input_path)
    assert counts["in"] == n == counts["released"] + counts["quarantined"], counts

    released = [
        r
        for f in sorted((run_dir / "data").glob("*.parquet"))
        for r in pq.read_table(f).to_pylist()
    ]
    quarantined = [
        r
        for f in sorted((run_dir / "quarantine").glob("*.parquet"))
        for r in pq.read_table(f).to_pylist()
    ]
    findings = [
        r
        for f in sorted((run_dir / "findings").glob("*.parquet"))
        for r in pq.read_table(f).to_pylist()
    ]
    assert len(released) == counts["released"] and len(quarantined) == counts["quarantined"]
    assert len(findings) == counts["findings"]

    # Every input line once: released ids are unique and, with quarantine sources, cover the input.
    ids = [r["conversation_id"] for r in released]
    assert len(ids) == len(set(ids)), "a conversation was released twice"
    expected_ids = []
    for line in input_path.read_bytes().splitlines():
        try:
            expected_ids.append(json.loads(line)["conversation_id"])
        except (ValueError, KeyError, TypeError):
            pass
    quarantined_ids = Counter(q["conversation_id"] for q in quarantined if q["conversation_id"])
    assert Counter(ids) + quarantined_ids == Counter(expected_ids)
    sources = [q["source"] for q in quarantined]
    assert len(sources) == len(set(sources)), "a record was quarantined twice"

    # Files on disk are exactly those the manifest lists, with its hashes.
    on_disk = output_sums(run_dir)
    assert set(on_disk) == set(manifest["files"])
    for rel, info in manifest["files"].items():
        assert on_disk[rel] == info["sha256"], rel

    # Findings belong to released conversations, and each placeholder is in the released text.
    by_id = {r["conversation_id"]: r for r in released}
    per_conv: Counter[str] = Counter()
    for f in findings:
        assert f["conversation_id"] in by_id, "a finding for a conversation that was not released"
        text = by_id[f["conversation_id"]]["conversation"][f["message_index"]]["content"]
        token = rf"(?<![A-Za-z0-9_]){re.escape(f['placeholder'])}(?![A-Za-z0-9_])"
        assert re.search(token, text), "a finding whose placeholder is not in the released text"
        per_conv[f["conversation_id"]] += 1
    index = [
        r
        for f in sorted((run_dir / "index").glob("*.parquet"))
        for r in pq.read_table(f).to_pylist()
    ]
    assert {r["conversation_id"]: r["findings"] for r in index} == {
        cid: per_conv.get(cid, 0) for cid in by_id
    }
    assert sum(manifest["replacements_by_type"].values()) == len(findings)
    return manifest


def markers(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((run_dir / "shards").glob("part-*.json"))]


__all__ = [
    "BIN",
    "RayHead",
    "check_run",
    "env_with_venv",
    "free_ports",
    "markers",
    "moto_s3",
    "output_sums",
    "redact_cli",
    "reference_run",
    "session_pids",
    "make_working_dir",
    "shared_head",
    "shared_inputs",
    "submit_job",
    "stop_session",
    "wait_for",
    "write_input",
    "write_policy",
]
