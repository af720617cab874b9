"""Pattern recognisers for contact and account data, run on every language and inside code.

Each recogniser is a small class with `find(text, ctx) -> list[Finding]`. They share one cheap
pre-check per text (is there an '@', a digit, ...) so most messages pay for a few `in` tests
and one or two regex scans, not for a full Presidio `analyze` call per recogniser.

Checksums stay Presidio's: cards are Luhn-checked by `CreditCardRecognizer.validate_result`,
IBANs mod-97 and per-country format checked by `IbanRecognizer.validate_result`, and national
identifiers come from Presidio's country recognisers (with their own check digits).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import phonenumbers

from redact.detect.cjk import NO_SPACE_LETTERS, WORD_CHAR
from redact.detect.findings import Finding
from redact.records import (
    CREDIT_CARD,
    EMAIL_ADDRESS,
    IBAN_CODE,
    IP_ADDRESS,
    NATIONAL_ID,
    PHONE_NUMBER,
    URL,
)


@dataclass(slots=True)
class TextContext:
    """What a recogniser may know about the text besides the text itself."""

    language: str | None = None  # ISO code of the record's language, if known
    phone_regions: tuple[str, ...] = ("US", "GB")


def _context_before(text: str, start: int, width: int = 40) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    before = text[max(line_start, start - width) : start]
    # JSON-escaped text pasted into a chat keeps literal "\n": a line break all the same
    escaped = max(before.rfind("\\n"), before.rfind("\\t"))
    return before[escaped + 2 if escaped >= 0 else 0 :].casefold()


# --------------------------------------------------------------------------- email / URL
_W = WORD_CHAR
_NO_SPACE_RUN = re.compile(rf"[{NO_SPACE_LETTERS}]+")


def spaced_view(text: str) -> str:
    """The text with letters of scripts written without spaces turned into spaces (same
    length), for third-party patterns that rely on word boundaries ("SSN是536-22-8726吗")."""
    return _NO_SPACE_RUN.sub(lambda m: " " * len(m.group()), text)


class EmailRecognizer:
    name = "EmailRecognizer"
    entity = EMAIL_ADDRESS
    # "我的邮箱是wang@qq.com。" is "wang@qq.com"; "kim@naver.com으로" ends before the particle.
    _ALNUM = rf"[^\W_{NO_SPACE_LETTERS}]"
    PATTERN = re.compile(
        rf"(?<!{_W})(?<![.%+-]){_W}(?:{_W}|[.%+-]){{0,63}}@"
        rf"(?:{_ALNUM}(?:(?:{_W}|-){{0,61}}{_ALNUM})?\.)+[^\W\d_{NO_SPACE_LETTERS}]{{2,24}}(?!{_W}|-)"
    )

    def find(self, text: str, ctx: TextContext) -> list[Finding]:
        if "@" not in text:
            return []
        return [
            Finding(m.start(), m.end(), self.entity, self.name, 0.95)
            for m in self.PATTERN.finditer(text)
        ]


class UrlRecognizer:
    name = "UrlRecognizer"
    entity = URL
    PATTERN = re.compile(
        rf"(?<!{_W})(?:https?://|www\.)[^\s<>\"'`)\]{NO_SPACE_LETTERS}]+"
        rf"[^\s<>\"'`)\].,;:!?{NO_SPACE_LETTERS}]",
        re.IGNORECASE,
    )

    def find(self, text: str, ctx: TextContext) -> list[Finding]:
        if "http" not in text and "www." not in text:
            return []
        return [
            Finding(m.start(), m.end(), self.entity, self.name, 0.6)
            for m in self.PATTERN.finditer(text)
        ]


# --------------------------------------------------------------------------- IP addresses
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_VERSION_CUES = re.compile(
    r"(?:\bversions?|\bver\.?|\bv|\brelease|\bbuild|\bfirmware|\bupdate|\bupgrade|\bpatch|\bsection|"
    r"\bchapter|\bstep|\bsdk|\bapi|\bpackage|\blibrary|\bpython|\bnode|\bjava|\bkernel|\bios|\bandroid|"
    r"\bchrome|\bfirefox|==|>=|<=|~=|\^|@)\s*[:=]?\s*$"
)
_IP_CUES = re.compile(
    r"\b(?:ip|ips|ipv4|address|addr|host|hostname|server|ping|ssh|connect|connected|subnet|gateway|dns|"
    r"proxy|router|curl|http|https|from|to|client|src|dst|remote|inet|nginx|listen|bind)\b"
)


# Addresses that identify no one: public resolvers, loopback, unspecified, broadcast.
NON_PERSONAL_IPS = frozenset(
    "8.8.8.8 8.8.4.4 1.1.1.1 1.0.0.1 9.9.9.9 149.112.112.112 208.67.222.222 208.67.220.220 "
    "127.0.0.1 0.0.0.0 255.255.255.255 255.255.255.0 ::1 ::".split()
)


class IpRecognizer:
    """IPv4 and IPv6, but not version strings: "version 1.2.3.4" and "v1.2.3.4" are not IPs,
    nor well-known addresses that identify no one (8.8.8.8, 127.0.0.1)."""

    name = "IpRecognizer"
    entity = IP_ADDRESS
    V4 = re.compile(rf"(?<![A-Za-z0-9_.\-]){_OCTET}(?:\.{_OCTET}){{3}}(?![A-Za-z0-9_\-]|\.\d)")
    V6 = re.compile(
        rf"(?<!{_W})(?<![:.])(?:[0-9A-Fa-f]{{0,4}}:){{2,7}}(?:[0-9A-Fa-f]{{0,4}}|\d+\.\d+\.\d+\.\d+)"
        rf"(?!{_W}|:)"
    )

    def find(self, text: str, ctx: TextContext) -> list[Finding]:
        out: list[Finding] = []
        if text.count(".") >= 3:
            for m in self.V4.finditer(text):
                if m.group() in NON_PERSONAL_IPS:
                    continue
                before = _context_before(text, m.start(), 30)
                if _VERSION_CUES.search(before):
                    continue
                after = text[m.end() : m.end() + 12]
                if re.match(
                    r"[-+](?:alpha|beta|rc|dev|snapshot|release|final)", after, re.IGNORECASE
                ):
                    continue
                octets = [int(x) for x in m.group().split(".")]
                score = 0.9
                if max(octets) < 10 and not _IP_CUES.search(before):
                    score = 0.4  # "1.2.3.4": more often a section or version number than an IP
                out.append(Finding(m.start(), m.end(), self.entity, self.name, score))
        if text.count(":") >= 2:
            for m in self.V6.finditer(text):
                value = m.group()
                if len(value) < 6 or not any(c.isdigit() for c in value):
                    continue
                try:
                    ipaddress.IPv6Address(value)
                except ValueError:
                    continue
                if value.count(":") < 3 and "::" not in value:
                    continue
                out.append(Finding(m.start(), m.end(), self.entity, self.name, 0.85))
        return out


# --------------------------------------------------------------------------- cards, IBANs
class CreditCardRecognizer:
    """13-19 digits, optionally grouped by spaces or dashes, Luhn-valid (Presidio's check)."""

    name = "CreditCardRecognizer"
    entity = CREDIT_CARD
    PATTERN = re.compile(
        rf"(?<!{_W})(?<![\-.])(?:[2-6]\d{{2,3}}|1800|2131)(?:[ \-]?\d{{2,6}}){{2,5}}(?!{_W}|-|\.\d)"
    )
    MAESTRO = ("5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763")

    def __init__(self):
        from presidio_analyzer.predefined_recognizers import CreditCardRecognizer as _Presidio

        self._presidio = _Presidio()

    # Any 12-19 digit run right after "card" counts, checksum or not: a mistyped or
    # made-up card number a user writes is still what they meant as their card number.
    CUED = re.compile(
        r"(?i:(?:\b(?:card|cc|carte|tarjeta|karte|kreditkarte|carta|cartão|kaart|karta)\b"
        r"|卡号|卡號|信用卡|银行卡|銀行卡|カード番号|카드[ \t]?번호)"
        r"(?:[ \t]*(?:no\.?|number|num|nr\.?|#|n°|nº|numéro|número|nummer|numero|是|为|：))?[ \t:#]*)"
        rf"(?P<number>\d(?:[ \-]?\d){{11,18}})(?!{_W}|-|\.\d)"
    )

    def find(self, text: str, ctx: TextContext) -> list[Finding]:
        out = []
        for m in self.PATTERN.finditer(text):
            digits = re.sub(r"\D", "", m.group())
            low = 12 if digits.startswith(self.MAESTRO) else 13
            if not low <= len(digits) <= 19 or len(set(digits)) < 2:
                continue
            if self._presidio.validate_result(m.group()):
                out.append(Finding(m.start(), m.end(), self.entity, self.name, 1.0))
        for m in self.CUED.finditer(text):
            s, e = m.span("number")
            if len(set(re.sub(r"\D", "", m.group("number")))) > 1 and not any(
                f.start <= s and e <= f.end for f in out
            ):
                out.append(Finding(s, e, self.entity, self.name, 0.6))
        return out


class IbanRecognizer:
    """Country code, check digits, BBAN; mod-97 and country format checked by Presidio."""

    name = "IbanRecognizer"
    entity = IBAN_CODE
    PATTERN = re.compile(
        r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ \-]?[A-Z0-9]{1,4}){3,9}(?![A-Za-z0-9])"
    )

    def __init__(self):
        from presidio_analyzer.predefined_recognizers import IbanRecognizer as _Presidio

        self._presidio = _Presidio()

    def find(self, text: str, ctx: TextContext) -> list[Finding]:
        out = []
        for m in self.PATTERN.finditer(text):
            value = m.group()
            # Longest valid prefix that ends at a group boundary ("... 00 2 days" keeps "... 00").
            cuts = [len(value)] + [i for i in range(len(value) - 1, 14, -1) if value[i] in " -"]
            for cut in cuts:
                candidate = value[:cut].rstrip(" -")
                if self._presidio.validate_result(candidate):
                    out.append(
                        Finding(m.start(), m.start() + len(candidate), self.entity, self.name, 1.0)
                    )
                    break
        return out


# --------------------------------------------------------------------------- national IDs
_ID_CUES = re.compile(
    r"\b(?:ssn|social security|national insurance|ni number|nino|nhs|dni|nie|nif|codice fiscale|"
    r"fiscal code|pesel|henkilötunnus|hetu|id number|id no|identity|identification|passport|tax id|"
    r"personal number|número|numero|ausweis|personalausweis|steuer|aadhaar)\b"
)


class NationalIdRecognizer:
    """Presidio's national-ID recognisers (their own patterns and check digits), scored with
    our context check: weak patterns count only next to a cue such as "SSN" or "DNI"."""

    name = "NationalIdRecognizer"
    entity = NATIONAL_ID

    def __init__(self):
        from presidio_analyzer.predefined_recognizers import (
            EsNieRecognizer,
            EsNifRecognizer,
            FiPersonalIdentityCodeRecognizer,
            ItFiscalCodeRecognizer,
            NhsRecognizer,
            PlPeselRecognizer,
            UkNinoRecognizer,
            UsSsnRecognizer,
        )

        # (recognizer, cheap pre-check): Presidio's regexes run only where their shape occurs
        self._recognizers = [
            (UsSsnRecognizer(), re.compile(r"\d{3}[- .]?\d{2}[- .]?\d{4}|\d{5}-\d{4}|\d{3}-\d{6}")),
            (UkNinoRecognizer(), re.compile(r"[A-Za-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-Da-d]")),
            (NhsRecognizer(), re.compile(r"\d{3}[- ]?\d{3}[- ]?\d{4}")),
            (EsNifRecognizer(), re.compile(r"\d{7}-?[A-Z]")),
            (EsNieRecognizer(), re.compile(r"[XYZ]-?\d{7}")),
            (ItFiscalCodeRecognizer(), re.compile(r"[A-Za-z]{6}\d{2}[A-Za-z]\d{2}[A-Za-z]")),
            (PlPeselRecognizer(), re.compile(r"\d{11}")),
            (FiPersonalIdentityCodeRecognizer(), re.compile(r"\d{6}[-+A]\d{3}")),
        ]
        self._prefilter = re.compile(r"\d{2}")

    def find(self, text: str, ctx: TextContext) -> list[Finding]:
        if not self._prefilter.search(text):
            return []
        view = spaced_view(text)
        out = []
        for rec, shape in self._recognizers:
            if not shape.search(view):
                continue
            for r in rec.analyze(view, rec.supported_entities, None):
                score = float(r.score)
                if _ID_CUES.search(_context_before(view, r.start, 50)):
                    score = min(1.0, score + 0.45)
                if score >= 0.3:
                    out.append(
                        Finding(
                            r.start,
                            r.end,
                            self.entity,
                            f"{self.name}:{r.entity_type}",
                            round(score, 4),
                        )
                    )
        return out


# --------------------------------------------------------------------------- phone numbers
_PHONE_CUES = re.compile(
    r"(?:\b(?:phone|tel|telephone|mobile|mob|cell|call|text|sms|whatsapp|fax|contact|reach|dial|ring|"
    r"number|nummer|numéro|numero|número|telefon|téléphone|teléfono|telefono|telefone|handy|portable|"
    r"móvil|celular|cellulare|tél)\b|\btel\.|📞|☎|"
    # other scripts (no \b: CJK has no word boundaries)
    r"телефон|тел\.|моб\.|мобильный|номер|телефону|τηλ|τηλέφωνο|κινητό|电话|電話|手机|手機|"
    r"携帯|전화|휴대폰|هاتف|جوال|טלפון|โทร)[^\n]{0,25}$"
)
_DATE_LIKE = re.compile(
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}:\d{2}(?::\d{2})?)"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"
)
_SSN_LIKE = re.compile(r"^\d{3}-\d{2}-\d{4}$")
_DATE_START = re.compile(r"^(?:19|20)\d\d[-/.](?:0?[1-9]|1[0-2])[-/.]")
_YEAR_GROUP = re.compile(r"(?<!\d)(?:19[5-9]\d|20[0-4]\d)(?!\d)")
# Used with .match(text, pos): no "^" (it would only ever match at the start of the text).
_PHONE_CUES_AFTER = re.compile(
    r"[ \t]*[-(]?[ \t]*(?:office|fax|mobile|cell|home|work|tel|phone|landline|direct|main|"
    r"bureau|portable|mobil|privat|handy|casa|móvil|celular|oficina|ufficio)\b",
    re.IGNORECASE,
)
WORLD_REGIONS = (
    "US",
    "GB",
    "CA",
    "AU",
    "IN",
    "IE",
    "NZ",
    "ZA",
    "FR",
    "DE",
    "ES",
    "IT",
    "NL",
    "BE",
    "CH",
    "AT",
    "PT",
    "BR",
    "MX",
    "AR",
    "CO",
    "CL",
    "PL",
    "SE",
    "NO",
    "DK",
    "FI",
    "IS",
    "CZ",
    "SK",
    "HU",
    "RO",
    "GR",
    "CY",
    "TR",
    "RU",
    "UA",
    "IL",
    "AE",
    "SA",
    "EG",
    "MA",
    "NG",
    "KE",
    "JP",
    "KR",
    "CN",
    "HK",
    "TW",
    "SG",
    "MY",
    "PH",
    "ID",
    "TH",
    "VN",
    "SI",
    "HR",
    "RS",
    "BG",
    "LT",
    "LV",
    "EE",
    "LU",
    "GL",
    "UY",
    "PE",
)


class PhoneRecognizer:
    """Phone-shaped digit runs validated by `phonenumbers`.

    International numbers (+CC or 00CC) are checked without a region; national formats are
    tried against the regions of the record's language (`TextContext.phone_regions`). A number
    must be valid for its region, or merely possible when a cue such as "phone" or "call"
    precedes it. Dates, times and version strings are never phone numbers.
    """

    name = "PhoneRecognizer"
    entity = PHONE_NUMBER
    CANDIDATE = re.compile(
        r"(?:(?<![A-Za-z0-9_+/.\-])|(?<=\\[nt]))(?:(?:\+|00)\s?\d{1,3}[ \t.\-/]*)?(?:\(\d{1,5}\)[ \t.\-/]*)?\d(?:[\d \t.\-/]|\(\d{1,5}\)){3,20}\d"
        r"(?:\s?(?:x|ext\.?|#)\s?\d{1,5})?(?![A-Za-z0-9_]|-\d|\.\d)"
    )

    def find(self, text: str, ctx: TextContext) -> list[Finding]:
        out = []
        for m in self.CANDIDATE.finditer(text):
            value = m.group().rstrip(" \t.-/")
            start = m.start()
            for part, offset in _split_runs(value):
                found = self._check(text, start + offset, part, ctx)
                if found:
                    out.append(found)
        return out

    def _check(self, text: str, start: int, value: str, ctx: TextContext) -> Finding | None:
        digits = re.sub(r"\D", "", value)
        if not 7 <= len(digits) <= 15 and not (value.startswith(("+", "00")) and len(digits) <= 17):
            return None
        stripped = value.strip()
        if _DATE_LIKE.match(stripped) or _SSN_LIKE.match(stripped) or _DATE_START.match(stripped):
            return None
        if text[start + len(value) : start + len(value) + 1] == ":":
            return None  # a time follows: "2010-12-15 19:30"
        if re.fullmatch(r"\d{1,4}\.\d+", stripped):
            return None  # a decimal number: coordinates (39.710185), seconds (46.680956)
        if re.fullmatch(r"[\d.]+", stripped):
            groups = stripped.split(".")
            if len(groups) >= 3 and any(len(g) == 1 for g in groups):
                return None  # version-like: 10.0.19041.1, 1.2.3.4
            if _VERSION_CUES.search(_context_before(text, start, 30)):
                return None
        if re.fullmatch(r"\d+", stripped) and not value.startswith("00") and len(digits) > 12:
            return None
        cue = bool(_PHONE_CUES.search(_context_before(text, start, 40)))
        cue = cue or bool(_PHONE_CUES_AFTER.match(text, start + len(value)))
        # alone on its line, grouped like a phone: a signature or contact block
        cue = cue or (("(" in value or "-" in value) and _alone_on_line(text, start, len(value)))
        international = value.startswith(("+", "00"))
        regions = (None,) if international else ctx.phone_regions
        if cue and not international and not _YEAR_GROUP.search(value):
            # with a cue, national formats of any common region count ("order #4711-2023-08" not)
            regions = tuple(dict.fromkeys(regions + WORLD_REGIONS))
        parse_value = "+" + value[2:] if value.startswith("00") else value
        for region in regions:
            try:
                number = phonenumbers.parse(parse_value, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                score = 0.85 if (international or cue or not stripped.isdigit()) else 0.6
                return Finding(start, start + len(value), self.entity, self.name, score)
        if (cue or international) and len(digits) >= 7 and not _YEAR_GROUP.search(value):
            # merely possible (no region validates it), but written +CC... or announced as a phone
            for region in regions[:3]:
                try:
                    number = phonenumbers.parse(parse_value, region)
                except phonenumbers.NumberParseException:
                    continue
                if phonenumbers.is_possible_number(number):
                    return Finding(start, start + len(value), self.entity, self.name, 0.6)
        return None


def _alone_on_line(text: str, start: int, length: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start + length)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    return line.strip(" \t\r\\") == text[start : start + length].strip()


def _split_runs(value: str) -> list[tuple[str, int]]:
    """A candidate, or its pieces when two numbers are separated by a wide gap or ' / '."""
    parts = re.split(r"(\s{2,}|\s/\s|\t)", value)
    if len(parts) == 1:
        return [(value, 0)]
    out, pos = [], 0
    for piece in parts:
        if piece and not piece.isspace() and piece.strip() != "/":
            out.append((piece, pos))
        pos += len(piece)
    return out


def pattern_recognizers(entities: set[str]) -> list:
    """The pattern recognisers that serve at least one of the wanted entity types."""
    available = [
        EmailRecognizer,
        UrlRecognizer,
        IpRecognizer,
        CreditCardRecognizer,
        IbanRecognizer,
        NationalIdRecognizer,
        PhoneRecognizer,
    ]
    return [cls() for cls in available if cls.entity in entities]
