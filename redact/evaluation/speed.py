"""Detector throughput against plain Presidio, one process, same messages.

    python -m redact.evaluation.speed --n 300 --seed 7 [--no-baseline] [--json F]

Records come from `redact.demo_data.generate_conversations` (the `redact bench` generator:
LMSYS-shaped, varied prose, code in many answers). We time `Detector.detect` over batches of
`detection.batch_records` records (cache as the policy says, starting empty) and plain
Presidio's `analyze` + `anonymize` per message. Figures are characters per CPU second of this
process (per core), with wall time alongside; start-up (model loading) is reported apart.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from redact.records import Message, Record


def demo_records(n: int, seed: int) -> list[Record]:
    from redact.demo_data import generate_conversations

    out = []
    for row in generate_conversations(n, seed):
        messages = [Message(m["role"], m["content"]) for m in row["conversation"]]
        out.append(Record(row["conversation_id"], messages, row.get("language")))
    return out


def _timed(fn) -> tuple[float, float]:
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c0, time.perf_counter() - w0


def measure(
    n: int = 300, seed: int = 7, baseline: bool = True, policy_path: str | None = None
) -> dict[str, Any]:
    from policies.model import load_policy
    from redact.detect.engine import Detector

    records = demo_records(n, seed)
    chars = sum(r.char_count for r in records)
    policy = load_policy(policy_path)
    result: dict[str, Any] = {"records": len(records), "chars": chars, "seed": seed}

    w0 = time.perf_counter()
    detector = Detector(policy)
    result["redact_startup_s"] = round(time.perf_counter() - w0, 2)
    size = policy.detection.batch_records

    def run_ours():
        for i in range(0, len(records), size):
            detector.detect(records[i : i + size])

    cpu, wall = _timed(run_ours)
    result["redact"] = {
        "cpu_s": round(cpu, 3),
        "wall_s": round(wall, 3),
        "chars_per_cpu_s": round(chars / cpu),
        "ner_share_of_chars": round(
            detector.stats["ner_chars"] / max(1, detector.stats["chars"]), 3
        ),
        "cache_hits": detector.stats["cache_hits"],
        "messages": detector.stats["messages"],
    }
    if baseline:
        from redact.evaluation.systems import PresidioBaseline

        w0 = time.perf_counter()
        english = policy.languages.ner_models.get("English") or next(
            iter(policy.languages.ner_models.values())
        )
        presidio = PresidioBaseline(english)
        presidio.analyze("Call John Smith at 212-555-0100.")
        result["presidio_startup_s"] = round(time.perf_counter() - w0, 2)

        def run_presidio():
            for r in records:
                for m in r.messages:
                    presidio.analyze(m.content)

        cpu, wall = _timed(run_presidio)
        result["presidio"] = {
            "cpu_s": round(cpu, 3),
            "wall_s": round(wall, 3),
            "chars_per_cpu_s": round(chars / cpu),
        }
        result["speedup"] = round(
            result["redact"]["chars_per_cpu_s"] / result["presidio"]["chars_per_cpu_s"], 2
        )
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m redact.evaluation.speed")
    p.add_argument("--n", type=int, default=300)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--policy")
    p.add_argument("--no-baseline", action="store_true")
    p.add_argument("--json")
    args = p.parse_args(argv)
    result = measure(args.n, args.seed, not args.no_baseline, args.policy)
    text = json.dumps(result, indent=2, sort_keys=True)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
