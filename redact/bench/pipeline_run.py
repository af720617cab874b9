"""One measured `redact run` (child process of `redact bench`).

    python -m redact.bench.pipeline_run --input F --output RUN --policy P --workers N --result R

Starts embedded Ray with N CPUs (timed: Ray init), then runs `redact.pipeline.job.run`, the
code path of `redact run` (read input, validate, detect, replace, write Parquet, manifest),
while a sampler reads the detector worker processes' peak RSS and CPU time from /proc.

Each shard's completion marker holds how long the worker spent on it ("seconds") and is
written (atomically, so its file time is the moment it finished) when the shard is done.
From them: the processing span (first shard start to last shard end), and the in-run
start-up (run start to first shard start: planning, actor spawn, imports, model load).
Writes the measurements as JSON to R.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from redact.bench.procmem import ProcessSampler, cpu_seconds

WORKER_NEEDLE = "ShardWorker"


def shard_spans(run_dir: Path) -> list[tuple[float, float]]:
    """(start, end) epoch seconds of every shard: end = marker file time, start = end - seconds."""
    spans = []
    for marker in sorted((run_dir / "shards").glob("*.json")):
        end = marker.stat().st_mtime
        spans.append((end - float(json.loads(marker.read_text()).get("seconds", 0.0)), end))
    return spans


def lazy_model_loads(run_dir: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Seconds spent loading spaCy packages on first use (inside processing): per package
    summed over workers, and per worker (pid) summed over packages."""
    by_model: dict[str, float] = {}
    by_worker: dict[str, float] = {}
    for marker in (run_dir / "shards").glob("*.json"):
        data = json.loads(marker.read_text())
        pid = str((data.get("worker") or {}).get("pid", "?"))
        for model, seconds in data.get("models_loaded_s", {}).items():
            by_model[model] = by_model.get(model, 0.0) + float(seconds)
            by_worker[pid] = by_worker.get(pid, 0.0) + float(seconds)
    return by_model, by_worker


def pattern_cache_counts(run_dir: Path) -> dict[str, int]:
    """Large tokenizer patterns that first-use model loads took from the regex cache (hits)
    or compiled (misses), over all workers: tells a cold-cache run from a warm one."""
    total = {"hits": 0, "misses": 0}
    for marker in (run_dir / "shards").glob("*.json"):
        for counts in json.loads(marker.read_text()).get("models_pattern_cache", {}).values():
            for k in total:
                total[k] += int(counts.get(k, 0))
    return total


def measure(input_path: str, output: str, policy: str, workers: int) -> dict[str, Any]:
    import ray

    from redact.pipeline.job import RunOptions, run
    from redact.pipeline.ray_exec import init_ray

    t0 = time.perf_counter()
    used = init_ray(None, workers)
    ray_init_s = time.perf_counter() - t0
    try:
        with ProcessSampler(WORKER_NEEDLE) as sampler:
            driver_cpu0 = cpu_seconds(os.getpid()) or 0.0
            run_start = time.time()
            t1 = time.perf_counter()
            manifest = run(RunOptions(inputs=[input_path], output=output, policy=policy, workers=workers,
                                      operator="bench", quiet=True))  # fmt: skip
            wall_s = time.perf_counter() - t1
            run_end = time.time()
            driver_cpu_s = (cpu_seconds(os.getpid()) or 0.0) - driver_cpu0
    finally:
        ray.shutdown()

    spans = shard_spans(Path(output))
    if not spans:  # no markers to time shards by: count the whole run as processing
        spans = [(run_start, run_end)]
    first_start = min(s for s, _ in spans)
    last_end = max(e for _, e in spans)
    pids = sorted(sampler.peak_kib)
    loads_by_model, loads_by_worker = lazy_model_loads(Path(output))
    return {
        "workers": workers,
        "ray_cpus": used,
        "ray_init_s": ray_init_s,
        "wall_s": wall_s,
        "in_run_startup_s": max(0.0, first_start - run_start),
        "processing_s": max(1e-6, last_end - first_start),
        "tail_s": max(0.0, run_end - last_end),
        "busy_s": sum(e - s for s, e in spans),
        "shards": len(spans),
        "lazy_model_load_s": loads_by_model,
        "lazy_model_load_s_by_worker": loads_by_worker,
        "pattern_cache": pattern_cache_counts(Path(output)),
        "driver_cpu_s": driver_cpu_s,
        "counts": manifest["counts"],
        "peak_rss_mib_by_worker": {str(p): sampler.peak_kib[p] / 1024 for p in pids},
        "cpu_s_by_worker": {str(p): sampler.cpu_s.get(p, 0.0) for p in pids},
        # CPU each worker spent from the first shard's start on (start-up excluded)
        "processing_cpu_s_by_worker": {
            str(p): sampler.cpu_s.get(p, 0.0) - sampler.cpu_at(p, first_start) for p in pids
        },
        "worker_titles": sorted(set(sampler.titles.values())),
        # busy CPU-seconds of the whole machine over the processing span (workers and the rest)
        "machine_busy_cpu_s": sampler.machine_busy_between(first_start, last_end),
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m redact.bench.pipeline_run")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--policy", required=True)
    p.add_argument("--workers", type=int, required=True)
    p.add_argument("--result", required=True)
    args = p.parse_args(argv)
    result = measure(args.input, args.output, args.policy, args.workers)
    Path(args.result).write_text(json.dumps(result, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
