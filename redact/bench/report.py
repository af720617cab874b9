"""Figures from raw bench measurements, and the table `redact bench` prints.

Definitions (rates count characters of message content, as `Record.char_count` does):
- ours, start-up = Ray init + in-run start-up (run start to first shard start: planning,
  actor spawn, imports, load of the fallback language's model) + first-use model loads: other
  languages' models load when a worker first meets that language, inside its shard; the
  largest per-worker sum of those loads counts as start-up too ("Ray plus model load").
- ours, chars/s = chars / (processing span - first-use model loads), the span being the time
  from the first shard's start to the last shard's end in `redact run` (workers reading
  input, detecting, replacing, writing Parquet; the gaps Ray leaves between shards count too).
  chars/s/core = chars/s / workers. Plain Presidio's rate likewise excludes its model load.
- ours, span = chars / the whole processing span, first-use loads included (and its
  efficiency): what a run of this size sees.
- ours, including start-up = chars / (Ray init + whole run wall) / workers.
- ours, in-worker = chars / the sum of the shard times the workers report, less first-use
  model loads (per core).
- others = the machine's busy CPU time (/proc/stat) over the processing span less the
  workers': Ray's driver and services, the bench itself, any other load.
- ours, per CPU-second = chars / the CPU time the worker processes spent from the first
  shard's start on, less their first-use model loads (robust against other load on a shared
  machine). CPU use = those CPU-seconds / (workers x processing span less first-use loads).
- Presidio: chars/s/core = chars / loop wall; per CPU-second = chars / loop CPU time; its
  start-up (imports, engines, warm-up call) is reported apart.
- parallel efficiency(N) = (chars/s at N) / (N/m x chars/s at m), m the smallest worker count
  measured (1 by default). It splits exactly into (chars per CPU-second at N / at m) x (CPU use
  at N / at m): the first falls when the same work costs each process more CPU (cores that
  share caches or a physical core, a host's other tenants, work every worker repeats), the
  second when workers wait (start-up stragglers, uneven shards, Ray's gaps between shards).
"""

from __future__ import annotations

from typing import Any

# Targets of issue 5 (speed), checked on every bench run.
TARGET_RATIO = 5.0
TARGET_STARTUP_S = 15.0
TARGET_RSS_MIB = 1536.0


def target_efficiency(workers: int) -> float:
    return 0.90 if workers <= 2 else 0.85


def _rate(chars: float, seconds: float) -> float:
    return chars / seconds if seconds > 0 else 0.0


def ours_figures(run: dict[str, Any]) -> dict[str, Any]:
    w = run["workers"]
    chars = run["counts"]["chars"]
    loads_by_worker = run.get("lazy_model_load_s_by_worker", {})
    # the worker that spent longest loading models on first use holds up the run that long
    first_use = max(loads_by_worker.values(), default=0.0)
    loads = sum(loads_by_worker.values())
    startup = run["ray_init_s"] + run["in_run_startup_s"] + first_use
    steady_s = max(run["processing_s"] - first_use, 1e-6)
    cps = _rate(chars, steady_s)
    span_cps = _rate(chars, run["processing_s"])
    cpu = sum(run["processing_cpu_s_by_worker"].values()) - loads
    rss = list(run["peak_rss_mib_by_worker"].values())
    busy = run.get("machine_busy_cpu_s")
    others = (
        max(0.0, busy - sum(run["processing_cpu_s_by_worker"].values()))
        if busy is not None
        else None
    )
    return {
        "workers": w,
        "conversations": run["counts"]["in"],
        "released": run["counts"]["released"],
        "quarantined": run["counts"]["quarantined"],
        "findings": run["counts"]["findings"],
        "chars": chars,
        "shards": run["shards"],
        "worker_processes": len(rss),
        "ray_init_s": round(run["ray_init_s"], 3),
        "in_run_startup_s": round(run["in_run_startup_s"], 3),
        "first_use_model_load_s": round(first_use, 3),
        "startup_s": round(startup, 3),
        "wall_s": round(run["wall_s"], 3),
        "processing_s": round(run["processing_s"], 3),
        "tail_s": round(run["tail_s"], 3),
        "chars_per_s": round(cps, 1),
        "chars_per_s_per_core": round(cps / w, 1),
        "span_chars_per_s": round(span_cps, 1),
        "span_chars_per_s_per_core": round(span_cps / w, 1),
        "chars_per_s_per_core_incl_startup": round(
            _rate(chars, run["ray_init_s"] + run["wall_s"]) / w, 1
        ),
        "in_worker_chars_per_s_per_core": round(_rate(chars, run["busy_s"] - loads), 1),
        "chars_per_cpu_s": round(_rate(chars, cpu), 1) if cpu > 0 else None,
        "cpu_use": round(cpu / (w * steady_s), 3) if cpu > 0 else None,
        "peak_rss_mib_per_worker": round(max(rss), 1) if rss else None,
        "peak_rss_mib_by_worker": {
            k: round(v, 1) for k, v in run["peak_rss_mib_by_worker"].items()
        },
        "driver_cpu_s": round(run["driver_cpu_s"], 3),
        # CPU the rest of the machine (Ray's driver and services, this bench, anything else)
        # used during the processing span, and its share of all CPUs over the span
        "others_cpu_s": round(others, 2) if others is not None else None,
        "others_cpu_share": (
            round(others / ((run.get("cpus") or 1) * run["processing_s"]), 3)
            if others is not None
            else None
        ),
        "lazy_model_load_s": {k: round(v, 3) for k, v in run.get("lazy_model_load_s", {}).items()},
        "pattern_cache": run.get("pattern_cache", {}),
    }


def baseline_figures(b: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": b["model"],
        "messages": b["messages"],
        "chars": b["chars"],
        "findings": b["findings"],
        "startup_s": round(b["startup_s"], 3),
        "wall_s": round(b["wall_s"], 3),
        "chars_per_s_per_core": round(_rate(b["chars"], b["wall_s"]), 1),
        "chars_per_cpu_s": round(_rate(b["chars"], b["cpu_s"]), 1),
        "peak_rss_mib": round(b["peak_rss_mib"], 1),
    }


def figures(
    meta: dict[str, Any], runs: list[dict[str, Any]], baseline: dict[str, Any] | None
) -> dict[str, Any]:
    ours = _medians([ours_figures(r) for r in runs])
    base = baseline_figures(baseline) if baseline else None
    if ours:
        m = ours[0]
        for o in ours:
            expected = m["chars_per_s"] * o["workers"] / m["workers"]
            o["parallel_efficiency"] = round(o["chars_per_s"] / expected, 3) if expected else None
            span_expected = m["span_chars_per_s"] * o["workers"] / m["workers"]
            o["span_parallel_efficiency"] = (
                round(o["span_chars_per_s"] / span_expected, 3) if span_expected else None
            )
            if o is not m and m["chars_per_cpu_s"] and o["chars_per_cpu_s"] and m["cpu_use"]:
                o["efficiency_parts"] = {
                    "chars_per_cpu_s": round(o["chars_per_cpu_s"] / m["chars_per_cpu_s"], 3),
                    "cpu_use": round(o["cpu_use"] / m["cpu_use"], 3),
                }
            if base and base["chars_per_s_per_core"]:
                o["ratio_vs_presidio"] = round(
                    o["chars_per_s_per_core"] / base["chars_per_s_per_core"], 2
                )
                if base["chars_per_cpu_s"] and o["chars_per_cpu_s"]:
                    o["ratio_vs_presidio_cpu"] = round(
                        o["chars_per_cpu_s"] / base["chars_per_cpu_s"], 2
                    )
    targets: dict[str, Any] = {}
    if ours:
        one = ours[0]
        for key in ("ratio_vs_presidio", "ratio_vs_presidio_cpu"):
            if key in one:
                targets[key] = {
                    "value": one[key],
                    "target": TARGET_RATIO,
                    "met": one[key] >= TARGET_RATIO,
                }
        startup = max(o["startup_s"] for o in ours)
        targets["startup_s"] = {
            "value": startup,
            "target": TARGET_STARTUP_S,
            "met": startup <= TARGET_STARTUP_S,
        }
        rss = [o["peak_rss_mib_per_worker"] for o in ours if o["peak_rss_mib_per_worker"]]
        if rss:
            targets["peak_rss_mib_per_worker"] = {"value": max(rss), "target": TARGET_RSS_MIB,
                                                  "met": max(rss) <= TARGET_RSS_MIB}  # fmt: skip
        for o in ours[1:]:
            t = target_efficiency(o["workers"])
            targets[f"parallel_efficiency_{o['workers']}"] = {"value": o["parallel_efficiency"], "target": t,
                                                              "met": (o["parallel_efficiency"] or 0) >= t}  # fmt: skip
    return {**meta, "ours": ours, "baseline": base, "targets": targets}


REPEAT_KEYS = (
    "chars_per_s",
    "startup_s",
    "processing_s",
    "chars_per_cpu_s",
    "first_use_model_load_s",
)


def _medians(all_runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per worker count, the run with the median chars/s (the lower middle of an even
    count), with every repeat's headline figures attached."""
    out = []
    for w in sorted({o["workers"] for o in all_runs}):
        same = sorted((o for o in all_runs if o["workers"] == w), key=lambda o: o["chars_per_s"])
        chosen = dict(same[(len(same) - 1) // 2])
        if len(same) > 1:
            chosen["repeats"] = [{k: o[k] for k in REPEAT_KEYS} for o in same]
        out.append(chosen)
    return out


def _fmt(value: Any, spec: str = ",.0f", none: str = "-") -> str:
    return none if value is None else format(value, spec)


def format_table(fig: dict[str, Any]) -> str:
    lines = [
        f"redact bench: {fig['conversations']} conversations (seed {fig['seed']}), {fig['messages']:,} messages, "
        f"{fig['chars']:,} characters",
        f"machine: {fig['cpus']} CPUs, load average {fig['load_before']:.1f} before / {fig['load_after']:.1f} after; "
        f"policy {fig['policy']} with detection.shard_records={fig['shard_records']}",
        "",
    ]
    head = ("", "workers", "wall s", "start-up s", "chars/s", "chars/s/core", "x Presidio", "efficiency",
            "chars/CPU-s", "x Presidio (CPU)", "peak RSS/worker")  # fmt: skip
    rows = []
    for o in fig["ours"]:
        rows.append((
            "ours (redact run)", str(o["workers"]), _fmt(o["wall_s"], ".1f"), _fmt(o["startup_s"], ".1f"),
            _fmt(o["chars_per_s"]), _fmt(o["chars_per_s_per_core"]), _fmt(o.get("ratio_vs_presidio"), ".2f"),
            _fmt(o.get("parallel_efficiency"), ".0%"), _fmt(o["chars_per_cpu_s"]),
            _fmt(o.get("ratio_vs_presidio_cpu"), ".2f"),
            _fmt(o["peak_rss_mib_per_worker"], ",.0f") + (" MiB" if o["peak_rss_mib_per_worker"] else ""),
        ))  # fmt: skip
    b = fig.get("baseline")
    if b:
        rows.append((
            "plain Presidio", "1", _fmt(b["wall_s"], ".1f"), _fmt(b["startup_s"], ".1f"),
            _fmt(b["chars_per_s_per_core"]), _fmt(b["chars_per_s_per_core"]), "1.00", "-",
            _fmt(b["chars_per_cpu_s"]), "1.00",
            f"{b['peak_rss_mib']:,.0f} MiB",
        ))  # fmt: skip
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
    for r in (head, *rows):
        lines.append(
            "  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r))
        )
    lines.append("")
    for o in fig["ours"]:
        span_eff, first = o.get("span_parallel_efficiency"), fig["ours"][0]
        lines.append(
            f"  {o['workers']} worker(s): start-up {o['startup_s']:.1f}s = Ray init {o['ray_init_s']:.1f}s + "
            f"actors and first model {o['in_run_startup_s']:.1f}s + models loaded on first use "
            f"{o['first_use_model_load_s']:.1f}s; processing span {o['processing_s']:.1f}s over {o['shards']} shards\n"
            f"    whole span, first-use loads included: {_fmt(o['span_chars_per_s_per_core'])} chars/s/core"
            + (f", efficiency {span_eff:.0%}" if span_eff is not None and o is not first else "")
            + "\n"
            f"    including start-up {_fmt(o['chars_per_s_per_core_incl_startup'])} chars/s/core; "
            f"in-worker {_fmt(o['in_worker_chars_per_s_per_core'])} chars/s/core; "
            f"{_fmt(o['chars_per_cpu_s'])} chars per worker CPU-second; "
            f"{o['findings']:,} replacements"
        )
        if o.get("others_cpu_s") is not None:
            lines.append(
                f"    other processes (Ray's driver and services, this bench, anything else) used "
                f"{o['others_cpu_s']:.1f} CPU-s during processing, {o['others_cpu_share']:.0%} of the machine"
            )
        if o.get("repeats"):
            each = ", ".join(
                f"{_fmt(x['chars_per_s'])} ({x['startup_s']:.1f}s)" for x in o["repeats"]
            )
            lines.append(
                f"    {len(o['repeats'])} repeats, chars/s (start-up): {each}; median shown"
            )
        if o.get("lazy_model_load_s"):
            loads = ", ".join(f"{m} {v:.1f}s" for m, v in sorted(o["lazy_model_load_s"].items()))
            cache = o.get("pattern_cache") or {}
            if cache.get("hits") or cache.get("misses"):
                loads += (
                    f"; large tokenizer patterns {cache.get('hits', 0)} from the regex cache, "
                    f"{cache.get('misses', 0)} compiled"
                )
            lines.append(f"    models loaded on first use (all workers together): {loads}")
        parts = o.get("efficiency_parts")
        if parts:
            m = fig["ours"][0]
            lines.append(
                f"    efficiency {o['parallel_efficiency']:.0%} = chars per worker CPU-second {parts['chars_per_cpu_s']:.0%} "
                f"of the {m['workers']}-worker run's x CPU use per worker {parts['cpu_use']:.0%} of its "
                f"({o['cpu_use']:.0%} against {m['cpu_use']:.0%} of a core)"
            )
    if b:
        lines.append(
            f"  plain Presidio: {b['model']}, AnalyzerEngine + AnonymizerEngine defaults, one process, every "
            f"message as English\n    {_fmt(b['chars_per_cpu_s'])} chars per CPU-second; {b['findings']:,} findings"
        )
    lines.append(
        "  chars/s excludes start-up (Ray plus model loads, reported apart): the span from the first shard's\n"
        "  start to the last shard's end, which includes reading and writing Parquet, less the models loaded\n"
        "  on first use; wall s is the whole `redact run`."
    )
    busy = max(fig["load_before"], fig["load_after"])
    if busy > 0.5 * (fig["cpus"] or 1):
        lines.append(
            f"  warning: the machine was busy (load average up to {busy:.1f} on {fig['cpus']} CPUs): wall-clock "
            "figures (chars/s, efficiency, start-up) are unreliable; the CPU-time columns are not."
        )
    if fig["targets"]:
        lines.append("")
        lines.append("targets (issue 5):")
        for name, t in fig["targets"].items():
            lines.append(
                f"  {name}: {t['value']} (target {t['target']}) {'met' if t['met'] else 'NOT met'}"
            )
    return "\n".join(lines)
