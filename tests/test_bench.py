"""`redact bench` runs end to end on a tiny input and reports sane figures (not a timed test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from policies.model import load_policy
from redact.bench import procmem
from redact.bench.commands import DEFAULT_POLICY, bench_policy
from redact.bench.report import figures, format_table
from tests.conftest import redact_cli


def _fake_run(workers: int, processing_s: float) -> dict:
    return {
        "workers": workers,
        "ray_init_s": 2.0,
        "wall_s": processing_s + 6.0,
        "in_run_startup_s": 5.0,
        "processing_s": processing_s,
        "tail_s": 0.5,
        "busy_s": processing_s * workers * 0.95,
        "shards": 8,
        "driver_cpu_s": 1.0,
        "counts": {"in": 100, "released": 100, "quarantined": 0, "findings": 40, "chars": 100_000},
        "peak_rss_mib_by_worker": {str(1000 + i): 400.0 + i for i in range(workers)},
        "cpu_s_by_worker": {str(1000 + i): 9.0 for i in range(workers)},
        "processing_cpu_s_by_worker": {str(1000 + i): processing_s * 0.9 for i in range(workers)},
        "machine_busy_cpu_s": processing_s * workers * 0.9 + 0.5,
        "cpus": 2,
    }


META = {"conversations": 100, "seed": 1, "messages": 300, "chars": 100_000, "cpus": 2, "policy": "p.yaml",
        "shard_records": 13, "load_before": 0.5, "load_after": 0.7}  # fmt: skip
BASELINE = {"model": "m", "messages": 300, "chars": 100_000, "findings": 90, "startup_s": 3.0,
            "wall_s": 10.0, "cpu_s": 9.5, "peak_rss_mib": 300.0}  # fmt: skip


def test_figures_from_measurements():
    fig = figures(META, [_fake_run(2, 1.25), _fake_run(1, 2.0)], BASELINE)
    one, two = fig["ours"]
    assert (one["workers"], two["workers"]) == (1, 2)
    assert one["chars_per_s_per_core"] == 50_000.0
    assert two["chars_per_s"] == 80_000.0 and two["chars_per_s_per_core"] == 40_000.0
    assert two["parallel_efficiency"] == pytest.approx(0.8)
    assert fig["baseline"]["chars_per_s_per_core"] == 10_000.0
    assert one["ratio_vs_presidio"] == 5.0
    assert one["startup_s"] == 7.0 and one["first_use_model_load_s"] == 0.0
    assert one["span_chars_per_s"] == one["chars_per_s"]  # nothing loaded on first use
    assert fig["targets"]["ratio_vs_presidio"]["met"] is True
    assert one["ratio_vs_presidio_cpu"] == pytest.approx(55_555.6 / 10_526.3, abs=0.01)
    assert fig["targets"]["parallel_efficiency_2"]["met"] is False
    assert fig["targets"]["peak_rss_mib_per_worker"]["value"] == 401.0
    assert one["others_cpu_s"] == 0.5 and one["others_cpu_share"] == pytest.approx(0.125)
    text = format_table(fig)
    assert "plain Presidio" in text and "ours (redact run)" in text and "NOT met" in text
    no_base = figures(META, [_fake_run(1, 2.0)], None)
    assert no_base["baseline"] is None and "ratio_vs_presidio" not in no_base["ours"][0]
    assert "plain Presidio" not in format_table(no_base)


def test_models_loaded_on_first_use_count_as_start_up():
    one, two = _fake_run(1, 4.0), _fake_run(2, 2.5)
    one["lazy_model_load_s_by_worker"] = {"1000": 1.0}
    # the worker that loads longest holds up the run
    two["lazy_model_load_s_by_worker"] = {"1000": 1.0, "1001": 0.5}
    one["lazy_model_load_s"] = {"fr_core_news_sm": 1.0}
    one["pattern_cache"] = {"hits": 1, "misses": 1}
    fig = figures(META, [one, two], BASELINE)
    a, b = fig["ours"]
    assert a["startup_s"] == 8.0 and b["startup_s"] == 8.0 and b["first_use_model_load_s"] == 1.0
    assert a["chars_per_s"] == pytest.approx(100_000 / 3.0, abs=0.1)
    assert b["chars_per_s"] == pytest.approx(100_000 / 1.5, abs=0.1)
    assert b["parallel_efficiency"] == pytest.approx(1.0)  # without the loads
    assert b["span_parallel_efficiency"] == pytest.approx(0.8)  # loads included
    assert fig["targets"]["parallel_efficiency_2"]["met"] is True
    assert fig["targets"]["startup_s"]["value"] == 8.0
    # CPU-seconds less the loads: 4.0*0.9-1.0 = 2.6 (1 worker), 2*2.5*0.9-1.5 = 3.0 (2 workers)
    assert a["chars_per_cpu_s"] == pytest.approx(100_000 / 2.6, abs=0.1)
    assert b["cpu_use"] == pytest.approx(3.0 / (2 * 1.5), abs=0.001)
    parts = b["efficiency_parts"]
    product = parts["chars_per_cpu_s"] * parts["cpu_use"]
    assert product == pytest.approx(b["parallel_efficiency"], abs=0.01)
    assert "efficiency_parts" not in a
    text = format_table(fig)
    assert "models loaded on first use 1.0s" in text and "x CPU use per worker" in text
    assert (
        "fr_core_news_sm 1.0s; large tokenizer patterns 1 from the regex cache, 1 compiled" in text
    )


def test_first_use_loads_and_pattern_cache_from_shard_markers(tmp_path):
    from redact.bench.pipeline_run import lazy_model_loads, pattern_cache_counts

    shards = tmp_path / "shards"
    shards.mkdir()
    markers = [
        {"worker": {"pid": 7}, "models_loaded_s": {"fr": 2.0},
         "models_pattern_cache": {"fr": {"hits": 1, "misses": 1}}},
        {"worker": {"pid": 8}, "models_loaded_s": {"fr": 0.5, "de": 1.0},
         "models_pattern_cache": {"fr": {"hits": 2, "misses": 0}, "de": {}}},
        {"worker": {"pid": 7}},
    ]  # fmt: skip
    for i, m in enumerate(markers):
        (shards / f"s{i}.json").write_text(json.dumps(m))
    by_model, by_worker = lazy_model_loads(tmp_path)
    assert by_model == {"fr": 2.5, "de": 1.0} and by_worker == {"7": 2.0, "8": 1.5}
    assert pattern_cache_counts(tmp_path) == {"hits": 3, "misses": 1}


def test_repeats_report_the_median_run_of_each_worker_count():
    runs = [_fake_run(1, 2.0), _fake_run(2, 2.0), _fake_run(1, 4.0), _fake_run(2, 1.0),
            _fake_run(1, 1.0), _fake_run(2, 1.25)]  # fmt: skip
    one, two = figures(META, runs, BASELINE)["ours"]
    assert one["processing_s"] == 2.0 and two["processing_s"] == 1.25  # the medians
    assert [r["processing_s"] for r in one["repeats"]] == [4.0, 2.0, 1.0]
    assert two["parallel_efficiency"] == pytest.approx(0.8)
    assert "3 repeats" in format_table(figures(META, runs, BASELINE))


def test_bench_policy_is_the_default_with_smaller_shards(tmp_path):
    path = bench_policy(DEFAULT_POLICY, tmp_path / "p.yaml", 7)
    policy, default = load_policy(path), load_policy(DEFAULT_POLICY)
    assert policy.detection.shard_records == 7
    assert policy.entities == default.entities
    assert policy.languages == default.languages


@pytest.mark.skipif(not procmem.available(), reason="needs /proc")
def test_procmem_finds_own_children_only():
    assert procmem.status_kib(os.getpid())["VmHWM"] > 0
    assert procmem.cpu_seconds(os.getpid()) > 0
    assert procmem.status_kib(2**22 + 12345) == {}
    needle = "bench-needle-1e9c"
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", needle])
    try:
        deadline = time.time() + 10
        while child.pid not in procmem.find_pids(needle) and time.time() < deadline:
            time.sleep(0.05)
        with procmem.ProcessSampler(needle, interval=0.05) as sampler:
            time.sleep(0.3)
        assert child.pid in sampler.peak_kib and sampler.peak_kib[child.pid] > 0
        assert procmem.find_pids(needle, root=child.pid) == []  # only descendants of the root
    finally:
        child.kill()
        child.wait()


def test_bench_usage_errors():
    proc = redact_cli("bench", "--n", "0", "--no-baseline", timeout=60)
    assert proc.returncode == 2 and "--n" in proc.stderr
    proc = redact_cli("bench", "--n", "3", "--workers", "0", timeout=60)
    assert proc.returncode == 2 and "--workers" in proc.stderr
    proc = redact_cli("bench", "--n", "3", "--repeat", "0", timeout=60)
    assert proc.returncode == 2 and "--repeat" in proc.stderr


def test_bench_cli_tiny(tmp_path):
    out = tmp_path / "out.json"
    proc = redact_cli(
        "bench", "--n", "6", "--workers", "1", "--json", str(out), check=True, timeout=900
    )
    assert "plain Presidio" in proc.stdout and "ours (redact run)" in proc.stdout
    fig = json.loads(out.read_text())
    assert fig["conversations"] == 6 and fig["chars"] > 0 and fig["messages"] >= 12
    (ours,) = fig["ours"]
    assert ours["workers"] == 1
    assert ours["released"] == 6 and ours["quarantined"] == 0
    assert ours["chars"] == fig["chars"]
    for key in ("wall_s", "processing_s", "startup_s", "ray_init_s", "chars_per_s", "chars_per_s_per_core",
                "chars_per_s_per_core_incl_startup", "peak_rss_mib_per_worker", "ratio_vs_presidio",
                "chars_per_cpu_s", "ratio_vs_presidio_cpu"):  # fmt: skip
        assert ours[key] is not None and ours[key] > 0, key
    assert ours["parallel_efficiency"] == 1.0
    assert ours["wall_s"] >= ours["processing_s"]
    assert 100 < ours["peak_rss_mib_per_worker"] < 8192
    base = fig["baseline"]
    assert base["chars"] == fig["chars"] and base["messages"] == fig["messages"]
    assert ours["others_cpu_s"] is not None and 0 <= ours["others_cpu_share"] <= 1
    for key in ("startup_s", "wall_s", "chars_per_s_per_core", "chars_per_cpu_s", "peak_rss_mib"):
        assert base[key] > 0, key
    assert set(fig["targets"]) >= {"ratio_vs_presidio", "startup_s", "peak_rss_mib_per_worker"}
