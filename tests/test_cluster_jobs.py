"""`ray job submit ... -- python -m redact run ...` against a real `ray start --head` cluster,
with the input and the run directory on S3 (moto's server on loopback).

The head is the test process's shared one (2 CPUs, loopback, free ports, own temp dir), stopped
by PID at the end of the session. The job's `python` is this virtualenv's (first on the head's
PATH); the code travels as the job's working dir, a minimal copy of the packages; the S3
endpoint and credentials travel in the job's runtime env (a test store: real credentials come
from the nodes, see deploy/README.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.cluster_helpers import (
    RayHead,
    check_run,
    make_working_dir,
    markers,
    moto_s3,
    output_sums,
    reference_run,
    shared_head,
    shared_inputs,
    submit_job,
    write_input,
)
from tests.conftest import ROOT, redact_cli

pytestmark = pytest.mark.ray
BUCKET = "redact-jobs"


@pytest.fixture(scope="session")
def head(request) -> RayHead:
    return shared_head(request)


@pytest.fixture(scope="module")
def working_dir(tmp_path_factory) -> Path:
    return make_working_dir(tmp_path_factory.mktemp("job-wd"))


@pytest.fixture(scope="module")
def s3(monkeypatch_module):
    with moto_s3(BUCKET) as (_, env, client):
        for k, v in env.items():
            monkeypatch_module.setenv(k, v)
        yield env, client


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def _download(client, prefix: str, dest: Path) -> Path:
    """What `aws s3 sync s3://bucket/prefix dest` does, for a reviewer's local copy."""
    for obj in client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)["Contents"]:
        target = dest / obj["Key"].removeprefix(prefix)
        target.parent.mkdir(parents=True, exist_ok=True)
        client.download_file(BUCKET, obj["Key"], str(target))
    return dest


def test_ray_job_redacts_s3_data_with_progress_summary_and_same_bytes(
    head, working_dir, s3, tmp_path_factory
):
    env, client = s3
    src, policy = shared_inputs(tmp_path_factory)
    reference = reference_run(tmp_path_factory, head)
    client.upload_file(str(src), BUCKET, "raw/conversations.jsonl")
    run_uri = f"s3://{BUCKET}/runs/job-1"
    proc = submit_job(head, working_dir, ["run", "--input", f"s3://{BUCKET}/raw/", "--output", run_uri,
                                          "--policy", str(policy), "--operator", "op-job"], env_vars=env)  # fmt: skip
    transcript = proc.stdout + proc.stderr
    (tmp_path_factory.mktemp("transcript") / "ray-job-submit.txt").write_text(transcript)
    assert proc.returncode == 0, transcript[-6000:]
    assert "succeeded" in transcript

    # Progress while it runs: Ray Data's progress log, a line per shard, the summary at the end.
    assert "Dataset" in transcript and "execution finished" in transcript
    assert f"-> {run_uri}" in transcript
    for k in range(1, 9):
        assert f"[{k}/8] part-0000" in transcript
    assert "records in 32  released 30  quarantined 2" in transcript

    # The outputs, brought home: complete, exactly once, the same bytes as a local run.
    local = _download(client, "runs/job-1/", tmp_path_factory.mktemp("from-s3") / "run")
    manifest = check_run(local, src)
    assert manifest["operator"] == "op-job"
    assert manifest["inputs"][0]["path"] == f"s3://{BUCKET}/raw/conversations.jsonl"
    assert output_sums(local) == output_sums(reference)
    verify = redact_cli("audit", "verify", "--run", str(local))
    assert verify.returncode == 0, verify.stdout + verify.stderr

    # The job's driver attached to this cluster: its detector actors ran under the head's raylet.
    logs = [p.name for p in Path(head.temp_dir).glob("session_*/logs/worker-*")]
    pids = {m["worker"]["pid"] for m in markers(local)}
    assert pids and all(
        any(n.endswith((f"-{pid}.out", f"-{pid}.err")) for n in logs) for pid in pids
    )

    # The finished run on S3 is recognised: resuming has nothing to do; a plain rerun is refused.
    args = ["run", "--input", f"s3://{BUCKET}/raw/", "--output", run_uri, "--policy", str(policy)]
    again = redact_cli(*args, "--resume")
    assert again.returncode == 0 and "nothing to resume" in again.stderr
    refused = redact_cli(*args)
    assert refused.returncode == 2 and "already holds a finished run" in refused.stderr


def test_failed_job_has_nonzero_exit_and_says_why(head, working_dir, tmp_path):
    proc = submit_job(head, working_dir, ["run", "--input", str(tmp_path / "missing.jsonl"),
                                          "--output", str(tmp_path / "run")])  # fmt: skip
    transcript = proc.stdout + proc.stderr
    assert proc.returncode != 0, transcript[-3000:]
    assert "failed" in transcript and "exit code 2" in transcript
    assert "input path not found" in transcript
    assert not (tmp_path / "run").exists()


def test_a_failure_inside_the_workers_fails_the_run_and_says_why(head, tmp_path):
    """The policy names a model the workers do not have: the run stops with exit 2, naming it."""
    policy = yaml.safe_load((ROOT / "policies" / "demo.yaml").read_text())
    policy["languages"]["ner_models"]["German"] = "de_not_installed_sm"
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(policy))
    src = write_input(tmp_path / "conversations.jsonl", n=3)
    proc = redact_cli("run", "--input", str(src), "--output", str(tmp_path / "run"),
                      "--policy", str(tmp_path / "policy.yaml"), "--address", head.address,
                      "--workers", "1", env=head.job_env())  # fmt: skip
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "a detector worker could not start" in proc.stderr
    assert "de_not_installed_sm" in proc.stderr and "languages.ner_models.German" in proc.stderr
    assert not (tmp_path / "run" / "manifest.json").exists()
