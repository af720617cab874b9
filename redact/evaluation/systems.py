"""The systems `redact eval` compares: our pipeline and plain Presidio, on the same records.

Each system turns records into `Removal`s: which original characters it replaced, with what
placeholder, under which report group. Ours runs the real path (`Detector` in batches, then
`redact_conversation` with the policy); the baseline is what a Presidio user writes:
`AnalyzerEngine` on a `SpacyNlpEngine` with the same spaCy package, default recognizers and
threshold, and `AnonymizerEngine` with default operators, one message at a time, as English.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from policies.model import Policy
from redact.errors import RecordError
from redact.evaluation.datasets import LabeledRecord, group_of


@dataclass(frozen=True, slots=True)
class Removal:
    message_index: int
    start: int
    end: int
    group: str | None  # report group of the detected type (None: a non-target type)
    placeholder: str


@dataclass(slots=True)
class SystemRun:
    name: str
    removals: list[list[Removal]]
    failed: int
    seconds: float
    startup_seconds: float


class OurSystem:
    name = "redact"

    def __init__(self, policy: Policy):
        from redact.detect.engine import Detector

        t0 = time.perf_counter()
        self.policy = policy
        self.detector = Detector(policy)
        self.startup = time.perf_counter() - t0

    def run(self, data: Sequence[LabeledRecord]) -> SystemRun:
        from redact.replace.placeholders import redact_conversation

        t0 = time.perf_counter()
        size = self.policy.detection.batch_records
        removals: list[list[Removal]] = []
        failed = 0
        for i in range(0, len(data), size):
            batch = data[i : i + size]
            detections = self.detector.detect([d.record for d in batch])
            for item, det in zip(batch, detections, strict=True):
                texts = [m.content for m in item.record.messages]
                if isinstance(det, RecordError):
                    # a quarantined record is withheld whole: nothing leaks, everything is removed
                    failed += 1
                    removals.append(
                        [Removal(j, 0, len(t), None, "QUARANTINED") for j, t in enumerate(texts)]
                    )
                    continue
                result = redact_conversation(texts, det.spans, self.policy)
                removals.append(
                    [
                        Removal(
                            r.span.message_index,
                            r.span.start,
                            r.span.end,
                            group_of(r.span.entity_type),
                            r.placeholder,
                        )
                        for r in result.replacements
                    ]
                )
        return SystemRun(self.name, removals, failed, time.perf_counter() - t0, self.startup)


class PresidioBaseline:
    name = "presidio"

    def __init__(self, model: str):
        t0 = time.perf_counter()
        from redact.detect.offline import ensure_offline

        ensure_offline()
        logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
        from presidio_anonymizer import AnonymizerEngine

        nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}])
        self.analyzer = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
        self.anonymizer = AnonymizerEngine()
        self.model = model
        self.startup = time.perf_counter() - t0

    def analyze(self, text: str):
        results = self.analyzer.analyze(text=text, language="en")
        self.anonymizer.anonymize(text=text, analyzer_results=results)
        return results

    def run(self, data: Sequence[LabeledRecord]) -> SystemRun:
        t0 = time.perf_counter()
        removals: list[list[Removal]] = []
        for item in data:
            rec: list[Removal] = []
            for j, message in enumerate(item.record.messages):
                # the anonymizer replaces every result span; where results overlap the higher
                # score's type names the placeholder
                for r in sorted(self.analyze(message.content), key=lambda r: -r.score):
                    rec.append(
                        Removal(j, r.start, r.end, group_of(r.entity_type), f"<{r.entity_type}>")
                    )
            removals.append(rec)
        return SystemRun(self.name, removals, 0, time.perf_counter() - t0, self.startup)
