"""Shared fixtures: a real `redact run` over generated conversations, made once per session.

Tests that change a run work on a copy (`run_copy`). The HMAC key comes from the environment
so no test writes a key file into the home folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("REDACT_HMAC_KEY", "test-key-0123456789abcdef")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

OPERATOR = "op-alice"


def redact_cli(*args: str, check: bool = False, timeout: int = 600, input: str | None = None, env: dict | None = None):
    """Run the real CLI in a subprocess; returns CompletedProcess with text output."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "redact", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
        env=full_env,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"redact {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def session_input(tmp_path_factory) -> Path:
    from redact.demo_data import write_demo_data

    path = tmp_path_factory.mktemp("input") / "conversations.jsonl"
    write_demo_data(path, 80, seed=11)
    return path


@pytest.fixture(scope="session")
def session_run(tmp_path_factory, session_input) -> Path:
    """A finished run (demo policy, operator op-alice). Read-only: use `run_copy` to change it."""
    run_dir = tmp_path_factory.mktemp("runs") / "run"
    redact_cli(
        "run", "--input", str(session_input), "--output", str(run_dir),
        "--policy", str(ROOT / "policies" / "demo.yaml"), "--operator", OPERATOR,
        "--workers", "2", "--quiet", check=True,
    )
    return run_dir


@pytest.fixture
def run_copy(session_run, tmp_path) -> Path:
    dest = tmp_path / "run"
    shutil.copytree(session_run, dest)
    return dest
