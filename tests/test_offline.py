"""A run without any network (inside `unshare -n`) succeeds and warns about nothing."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(
    shutil.which("unshare") is None or shutil.which("ip") is None or os.geteuid() != 0,
    reason="needs root with unshare and ip to build a network namespace",
)


def test_run_inside_a_network_namespace_without_warnings(tmp_path):
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("unshare -n is not permitted here")
    src = tmp_path / "in.jsonl"
    record = {
        "conversation_id": "off-1",
        "conversation": [
            {"content": "I'm Peter Jansen, reach me at peter.jansen@example.org or http://example.org", "role": "user"},
            {"content": "Thanks Peter Jansen.", "role": "assistant"},
        ],
        "language": "English",
    }
    src.write_text(json.dumps(record) + "\n")
    cache = tmp_path / "home"  # empty caches: nothing may be fetched to fill them
    cmd = " ".join(
        [shlex.quote(sys.executable), "-m", "redact", "run", "--input", shlex.quote(str(src)),
         "--output", shlex.quote(str(tmp_path / "run")), "--workers", "1"]
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    proc = subprocess.run(
        ["unshare", "-n", "sh", "-c", f"ip link set lo up && {cmd}"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    for marker in ("Warning", "WARNING", "unable to fetch", "Failed to establish", "Downloading"):
        assert marker not in out, f"{marker!r} in output:\n{out[-3000:]}"
    data = (tmp_path / "run" / "manifest.json").read_text()
    assert json.loads(data)["counts"]["released"] == 1
