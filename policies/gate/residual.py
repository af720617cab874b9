"""The gate's independent re-scan of the released text.

This deliberately does NOT use the run's `Detector` or its configuration: it builds its own
small scanner from Presidio's predefined pattern recognizers (each with its checksum or
validator: e-mail, phone numbers via `phonenumbers`, IP, credit card with Luhn, IBAN mod-97,
US SSN), plus an IPv4 pattern that also works next to CJK characters, and a bare spaCy NER
component for PERSON. Placeholders (`NAME_3`, `EMAIL_1`...) are never hits. A hit is reported
by conversation id, message index, offset, length and type, never by its value: the scanner
does not keep the matched text.

Names: NER on small models is noisy, so what a PERSON entity leaves after blanking
placeholders and titles must look like a name; one-word candidates are dropped when they are
software names, code, or a capitalised word opening a sentence of lower-case words, and the
rest must be tagged as proper nouns. Multi-word names always count.

Speed: only the `ner` component of each spaCy model runs over all text (the small models' NER
has its own tok2vec), through `nlp.pipe` in batches; the tagger sees only texts with one-word
candidates; texts without a capital letter skip NER, and each pattern recognizer runs only on
texts that could hold its type. Data files are scanned in parallel processes (one per CPU,
`REDACT_GATE_WORKERS` to override). A policy may ask for a deterministic share of
conversations (`release.residual.scan_fraction`) for very large runs.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from policies.model import PLACEHOLDER_PREFIXES, Policy

# Contact types the scan knows -> (presidio recognizer class name, minimum raw score).
# Scores are the recognizers' own: validated patterns (e-mail, card, IBAN) score 1.0, phone
# numbers 0.4, IPs 0.6, the "medium" SSN pattern 0.5; the "very weak" SSN patterns (0.05) and
# the bare "::" IPv6 pattern (0.1) stay below the minimum.
CONTACT_TYPES = {
    "EMAIL_ADDRESS": ("EmailRecognizer", 0.5),
    "PHONE_NUMBER": ("PhoneRecognizer", 0.4),
    "IP_ADDRESS": ("IpRecognizer", 0.5),
    "CREDIT_CARD": ("CreditCardRecognizer", 0.5),
    "IBAN_CODE": ("IbanRecognizer", 0.5),
    "NATIONAL_ID": ("UsSsnRecognizer", 0.5),
}


# Phone matches with fewer digits are short codes, extensions or postal codes, not numbers
# that reach a person.
MIN_PHONE_DIGITS = 7
# Presidio's IPv4 pattern needs a word boundary, which CJK text next to the address does not
# give ("服务器148.8.198.81拒绝"); this supplement uses digit/dot look-arounds instead and
# validates with `ipaddress`.
# "1.2.3.4", "8.8.8.8": section and version numbers or public resolvers, never a person's
# address; the detector keeps them too.
_ONE_DIGIT_OCTETS = re.compile(r"^\d\.\d\.\d\.\d(?:/\d+)?$")
_IPV4_LOOSE = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


# Exact pre-filters: a text that fails one cannot hold a match of that type, so the (slower)
# recognizer is skipped. `d` is the text's number of digits.
_NEEDS = {
    "EMAIL_ADDRESS": lambda t, d: "@" in t,
    "PHONE_NUMBER": lambda t, d: d >= 3,
    "IP_ADDRESS": lambda t, d: ":" in t or ("." in t and d >= 4),
    "CREDIT_CARD": lambda t, d: d >= 12,
    "IBAN_CODE": lambda t, d: d >= 2,
    "NATIONAL_ID": lambda t, d: d >= 9,
}
PERSON = "PERSON"
PERSON_LABELS = {"PERSON", "PER"}  # English models say PERSON, most others PER
# When two contact recognizers claim the same characters, report the more specific type.
_TYPE_ORDER = [
    "EMAIL_ADDRESS",
    "CREDIT_CARD",
    "IBAN_CODE",
    "NATIONAL_ID",
    "IP_ADDRESS",
    "PHONE_NUMBER",
]
CHUNK_CHARS = 50_000
NER_BATCH = 128
# What is left of an entity after removing placeholders must look like a name: letters,
# spaces, hyphens, apostrophes and dots, with at least one capital. This drops NER noise on
# code (`self.x`, `foo_bar()`) and entities that were only placeholders.
_NAME_SHAPE = re.compile(r"^[^\W\d_](?:[^\W\d_]|[\s'.\-])*$")
# Titles and salutations next to a placeholder ("Mrs NAME_1", "Cher NAME_2") are not names.
_TITLES = frozenset(
    """mr mrs ms miss mx dr prof sir madam madame dame lord lady mme mlle m herr frau sr sra
    srta dott sig signor signora don dona doña dear hi hello hey cher chère chers bonjour salut
    liebe lieber hallo querido querida hola caro cara ciao estimado estimada""".split()
)
# Software and model names that small NER models tag as PERSON in chat logs; a one-word PERSON
# entity that is one of these is not counted.
_NOT_PEOPLE = frozenset(
    """python java javascript typescript kotlin scala perl haskell rust golang django flask
    numpy pandas pytorch tensorflow keras excel powershell bash linux ubuntu docker kubernetes
    github chatgpt gpt vicuna koala alpaca llama bard openai sql mysql postgresql html css json
    yaml jupyter matlab""".split()
)
_CAMEL = re.compile(r"[a-z]{3}[A-Z]")  # CustomerStore, not McDonald or MacArthur
_STRIP = " \t\n.,;:'-"


@dataclass(frozen=True, slots=True)
class Hit:
    conversation_id: str
    message_index: int
    offset: int
    length: int
    type: str

    def location(self) -> str:
        return f"{self.conversation_id} msg {self.message_index} @{self.offset} {self.type}"


@dataclass
class ScanResult:
    conversations: int = 0  # released conversations seen
    scanned: int = 0  # conversations scanned (all of them unless scan_fraction < 1)
    ner_scanned: int = 0  # conversations whose language has an NER model in the policy
    messages: int = 0
    chars: int = 0
    scan_fraction: float = 1.0
    contact_types: list[str] = field(default_factory=list)
    ner_models: dict[str, str] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)

    @property
    def contact_hits(self) -> list[Hit]:
        return [h for h in self.hits if h.type != PERSON]

    @property
    def name_hits(self) -> list[Hit]:
        return [h for h in self.hits if h.type == PERSON]

    def by_type(self) -> dict[str, int]:
        return dict(sorted(Counter(h.type for h in self.hits).items()))

    def to_dict(self, limit: int = 50) -> dict:
        return {
            "conversations": self.conversations,
            "scanned": self.scanned,
            "ner_scanned": self.ner_scanned,
            "messages": self.messages,
            "chars": self.chars,
            "scan_fraction": self.scan_fraction,
            "contact_types": self.contact_types,
            "ner_models": self.ner_models,
            "hits_by_type": self.by_type(),
            "hits": [asdict(h) for h in self.hits[:limit]],
            "hits_listed": min(limit, len(self.hits)),
            "hits_total": len(self.hits),
        }


def in_fraction(conversation_id: str, fraction: float) -> bool:
    """Deterministic choice of a share of conversations (the same ones on every run)."""
    if fraction >= 1.0:
        return True
    digest = hashlib.sha256(conversation_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def chunks(text: str, size: int = CHUNK_CHARS) -> Iterator[tuple[int, str]]:
    """(offset, piece) pieces of at most `size` characters, cut at whitespace where possible."""
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind(" ", start + size // 2, end)
            if cut > start:
                end = cut
        yield start, text[start:end]
        start = end


_NER_CACHE: dict[str, object] = {}
_TAGGER_CACHE: dict[str, object] = {}


def _load_tagger(model: str):
    """The same package's part-of-speech components only (tok2vec, tagger/morphologizer,
    attribute ruler), used to confirm one-word PERSON candidates are proper nouns."""
    if model not in _TAGGER_CACHE:
        import spacy

        nlp = spacy.load(model)
        keep = {"tok2vec", "tagger", "morphologizer", "attribute_ruler"}
        nlp.select_pipes(enable=[n for n in nlp.pipe_names if n in keep])
        _TAGGER_CACHE[model] = nlp
    return _TAGGER_CACHE[model]


def _load_ner(model: str):
    """The NER-only pipeline of an installed spaCy package (loaded once per process)."""
    if model not in _NER_CACHE:
        _NER_CACHE[model] = _load_ner_uncached(model)
    return _NER_CACHE[model]


def _load_ner_uncached(model: str):
    import spacy

    if not spacy.util.is_package(model):
        from redact.errors import UsageError

        raise UsageError(
            f"the gate's residual scan needs the spaCy model {model!r} named in the policy's "
            f"languages.ner_models; install it (models are never downloaded at run time)"
        )
    nlp = spacy.load(model)
    keep = {"ner"}
    # The small models' NER has its own embedding; keep tok2vec only if NER listens to it.
    for name, component in nlp.pipeline:
        if name == "tok2vec" and getattr(component, "listening_components", None):
            if "ner" in component.listening_components:
                keep.add("tok2vec")
    nlp.select_pipes(enable=[n for n in nlp.pipe_names if n in keep])
    return nlp


def _valid_ip(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _code_context(text: str, start: int, end: int) -> bool:
    """A one-word candidate used as code: `new Map()`, `obj.Name`, `$Name`, `Name::x`."""
    before = text[start - 1] if start > 0 else ""
    after = text[end : end + 2]
    return before in (".", "$", "_", "`") or after[:1] in ("(", "_", "`", "<") or after == "::"


def _starts_a_sentence_of_words(text: str, start: int, end: int) -> bool:
    """A capitalised word that opens a sentence and runs on into lower-case words ("Format
    this card", "Detail the plan"): the small models' commonest false PERSON. A name there
    ("Maria asked...") is left to the detector and the review sample."""
    j = start - 1
    while j >= 0 and text[j] in " \t":
        j -= 1
    if j >= 0 and text[j] not in "\n.!?:;•*-–—>\"'“«(":
        return False
    k = end
    while k < len(text) and text[k] in " \t":
        k += 1
    return k > end and k < len(text) and text[k].islower()


class ResidualScanner:
    """Scans released records for personal data the redaction left behind."""

    def __init__(self, policy: Policy):
        from presidio_analyzer import predefined_recognizers as pr

        from redact.detect.offline import ensure_offline
        from redact.replace.placeholders import placeholder_pattern

        ensure_offline()  # the e-mail validator must not fetch the suffix list
        self.policy = policy
        wanted = set(policy.entities)
        self.contact_types = [t for t in _TYPE_ORDER if t in wanted]
        self.recognizers = []
        for entity in self.contact_types:
            cls_name, min_score = CONTACT_TYPES[entity]
            rec = getattr(pr, cls_name)()
            self.recognizers.append((entity, rec, min_score))
        self.scan_names = PERSON in wanted
        self.fraction = policy.release.residual.scan_fraction
        prefixes = set(PLACEHOLDER_PREFIXES) | {r.placeholder for r in policy.entities.values()}
        self.placeholder_re = placeholder_pattern(prefixes)
        self.models = {k.casefold(): v for k, v in policy.languages.ner_models.items()}
        self.fallback = policy.languages.fallback_language

    # -- language routing (the policy's map, by the record's language name) -----------------
    def model_for(self, language: str | None) -> str | None:
        if not self.scan_names:
            return None
        return self.models.get((language or self.fallback).casefold())

    def nlp(self, model: str):
        return _load_ner(model)

    # -- patterns ---------------------------------------------------------------------------
    def _placeholders(self, text: str) -> list[tuple[int, int]]:
        return [(m.start(), m.end()) for m in self.placeholder_re.finditer(text)]

    def scan_patterns(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, type) of contact details in one text; placeholders never count."""
        found: dict[tuple[int, int], str] = {}
        holes = self._placeholders(text)
        digits = _digits(text)
        for entity, rec, min_score in self.recognizers:
            if not _NEEDS[entity](text, digits):
                continue
            spans = [
                (r.start, r.end)
                for r in rec.analyze(text, rec.supported_entities, None)
                if r.score >= min_score and r.end > r.start
            ]
            if entity == "PHONE_NUMBER":
                spans = [(a, b) for a, b in spans if _digits(text[a:b]) >= MIN_PHONE_DIGITS]
            elif entity == "IP_ADDRESS":
                spans += [m.span() for m in _IPV4_LOOSE.finditer(text) if _valid_ip(m.group())]
                spans = [(a, b) for a, b in spans if not _ONE_DIGIT_OCTETS.match(text[a:b])]
            for start, end in spans:
                if any(start < e and s < end for s, e in holes):
                    continue
                key = (start, end)
                if key not in found or _TYPE_ORDER.index(entity) < _TYPE_ORDER.index(found[key]):
                    found[key] = entity
        # Drop spans inside a longer span already reported (e.g. a phone inside a card).
        spans = sorted(found.items(), key=lambda kv: (kv[0][0], -(kv[0][1] - kv[0][0])))
        out: list[tuple[int, int, str]] = []
        for (s, e), t in spans:
            if out and s < out[-1][1]:
                continue
            out.append((s, e, t))
        return out

    # -- names ------------------------------------------------------------------------------
    def name_spans(self, doc, text: str) -> list[tuple[int, int, bool]]:
        """(start, end, one_word) of names left in `text` by the NER `doc`.

        Placeholders and titles inside an entity are blanked (offsets kept); what remains must
        look like a name (letters, a capital, one line, not camelCase). One-word candidates are
        dropped when they are software names, used as code, or open a sentence of lower-case
        words; the rest are confirmed by `confirm_single` (part of speech). Multi-word names
        count as they are.
        """
        holes = self._placeholders(text)
        spans = []
        for ent in doc.ents:
            if ent.label_ not in PERSON_LABELS:
                continue
            s, e = ent.start_char, ent.end_char
            rest = text[s:e]
            for hs, he in holes:
                if hs < e and s < he:  # blank the placeholder part, keep offsets
                    a, b = max(hs, s) - s, min(he, e) - s
                    rest = rest[:a] + " " * (b - a) + rest[b:]
            for m in re.finditer(r"\S+", rest):
                if m.group().strip(_STRIP).casefold() in _TITLES:
                    rest = rest[: m.start()] + " " * (m.end() - m.start()) + rest[m.end() :]
            stripped = rest.strip(_STRIP)
            if not stripped or not _NAME_SHAPE.match(stripped) or stripped == stripped.lower():
                continue
            # A name never spans a line break; camelCase is code.
            if "\n" in stripped or _CAMEL.search(stripped):
                continue
            if len(stripped.replace(" ", "")) < 2:
                continue
            one_word = not any(c.isspace() for c in stripped)
            lead = len(rest) - len(rest.lstrip(_STRIP))
            start, end = s + lead, s + lead + len(stripped)
            if one_word and (
                stripped.casefold() in _NOT_PEOPLE
                or _code_context(text, start, end)
                or _starts_a_sentence_of_words(text, start, end)
            ):
                continue
            spans.append((start, end, one_word))
        return spans

    @staticmethod
    def confirm_single(doc, start: int, end: int) -> bool:
        """A one-word candidate counts when the tagger calls it a proper noun (sentence-initial
        imperatives such as "Draft" or "Summarize" are the small models' commonest false PERSON)."""
        span = doc.char_span(start, end, alignment_mode="expand")
        return span is None or any(t.pos_ in ("PROPN", "X", "") for t in span)

    # -- the scan ---------------------------------------------------------------------------
    def scan(self, records: Iterable[dict]) -> ScanResult:
        """Scan records ({conversation_id, language, conversation: [{content, role}]})."""
        result = ScanResult(
            scan_fraction=self.fraction,
            contact_types=list(self.contact_types) + ([PERSON] if self.scan_names else []),
            ner_models=dict(self.policy.languages.ner_models) if self.scan_names else {},
        )
        pending: dict[str, list[tuple[str, tuple[str, int, int]]]] = {}

        def flush(model: str) -> None:
            batch = pending.pop(model, [])
            if not batch:
                return
            texts = [t for t, _ in batch]
            docs = self.nlp(model).pipe(texts, batch_size=64)
            singles: list[tuple[str, tuple[str, int, int], list[tuple[int, int]]]] = []
            for (text, (cid, index, offset)), doc in zip(batch, docs, strict=True):
                one_word = []
                for s, e, single in self.name_spans(doc, text):
                    if single:
                        one_word.append((s, e))
                    else:
                        result.hits.append(Hit(cid, index, offset + s, e - s, PERSON))
                if one_word:
                    singles.append((text, (cid, index, offset), one_word))
            # Only texts with one-word candidates go through the (slower) tagger.
            tagged = _load_tagger(model).pipe([t for t, _, _ in singles], batch_size=64)
            for (_, (cid, index, offset), spans), doc in zip(singles, tagged, strict=True):
                for s, e in spans:
                    if self.confirm_single(doc, s, e):
                        result.hits.append(Hit(cid, index, offset + s, e - s, PERSON))

        for rec in records:
            result.conversations += 1
            cid = str(rec.get("conversation_id"))
            if not in_fraction(cid, self.fraction):
                continue
            result.scanned += 1
            model = self.model_for(rec.get("language"))
            if model:
                result.ner_scanned += 1
            for index, message in enumerate(rec.get("conversation") or []):
                text = (message or {}).get("content") or ""
                if not text:
                    continue
                result.messages += 1
                result.chars += len(text)
                for offset, piece in chunks(text):
                    for s, e, t in self.scan_patterns(piece):
                        result.hits.append(Hit(cid, index, offset + s, e - s, t))
                    # A name hit needs a capital letter, so a text without one needs no NER.
                    if model and any(c.isupper() for c in piece):
                        pending.setdefault(model, []).append((piece, (cid, index, offset)))
                        if len(pending[model]) >= NER_BATCH:
                            flush(model)
        for model in list(pending):
            flush(model)
        result.hits.sort(key=lambda h: (h.conversation_id, h.message_index, h.offset, h.type))
        return result


def released_records(data_files: Iterable[Path]) -> Iterator[dict]:
    """Rows of the released Parquet files, a batch at a time (only the columns the scan needs)."""
    import pyarrow.parquet as pq

    for path in data_files:
        pf = pq.ParquetFile(path)
        cols = [
            c for c in ("conversation_id", "language", "conversation") if c in pf.schema_arrow.names
        ]
        for batch in pf.iter_batches(batch_size=512, columns=cols):
            yield from batch.to_pylist()


# Scans are memoised by content: the sha256 of every data file and the policy parts the scan
# depends on. One process gating the same bytes twice (a test suite, `redact release` after
# `redact gate`) scans once; any change to a file or to those policy parts scans again.
_MEMO: dict[tuple, ScanResult] = {}
_MEMO_MAX = 8


def _memo_key(policy: Policy, data_files: list[Path]) -> tuple:
    from redact.pipeline.shard import file_sha256

    scope = {
        "entities": {k: v.placeholder for k, v in sorted(policy.entities.items())},
        "languages": policy.languages.model_dump(mode="json"),
        "scan_fraction": policy.release.residual.scan_fraction,
    }
    files = tuple((p.name, file_sha256(p)) for p in data_files)
    return files, repr(sorted(scope.items()))


def _scan_files(policy: Policy, data_files: list[Path]) -> ScanResult:
    return ResidualScanner(policy).scan(released_records(data_files))


def merge(results: list[ScanResult]) -> ScanResult:
    out = ScanResult(
        scan_fraction=results[0].scan_fraction,
        contact_types=results[0].contact_types,
        ner_models=results[0].ner_models,
    )
    for r in results:
        for f in ("conversations", "scanned", "ner_scanned", "messages", "chars"):
            setattr(out, f, getattr(out, f) + getattr(r, f))
        out.hits.extend(r.hits)
    out.hits.sort(key=lambda h: (h.conversation_id, h.message_index, h.offset, h.type))
    return out


def default_workers() -> int:
    """Processes for the scan: REDACT_GATE_WORKERS, else the CPUs this process may use."""
    env = os.environ.get("REDACT_GATE_WORKERS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def scan_run(policy: Policy, data_files: list[Path], workers: int | None = None) -> ScanResult:
    """Scan a run's released data files (memoised by their content).

    With several files and CPUs, files are scanned in parallel processes (each loads its own
    models once); a single file, or `workers=1`, scans in this process.
    """
    key = _memo_key(policy, data_files)
    if key not in _MEMO:
        workers = min(workers or default_workers(), len(data_files))
        if workers > 1:
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(max_workers=workers) as pool:
                parts = list(
                    pool.map(_scan_files, [policy] * len(data_files), [[f] for f in data_files])
                )
            result = merge(parts)
        else:
            result = _scan_files(policy, data_files)
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[key] = result
    return _MEMO[key]
