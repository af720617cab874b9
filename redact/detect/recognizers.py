"""The detection components, in one place (each lives in its own module with its own tests).

| component | module | finds |
|---|---|---|
| `EmailRecognizer`, `UrlRecognizer` | `patterns` | emails, URLs (when the policy enables URL) |
| `IpRecognizer` | `patterns` | IPv4/IPv6, not version strings ("version 1.2.3.4") |
| `CreditCardRecognizer`, `IbanRecognizer` | `patterns` | Luhn-valid cards, mod-97-valid IBANs (Presidio's checks) |
| `NationalIdRecognizer` | `patterns` | Presidio's national-ID recognisers + our context check |
| `PhoneRecognizer` | `patterns` | phone numbers validated by `phonenumbers` over many regions |
| `StreetAddressRecognizer` | `addresses` | US, UK, continental European, Latin American addresses |
| `ContextCueNames` | `cues` | "my name is X", "Hi X", sign-offs, `name = "X"` in code |
| `TitleNames` | `names` | "Dr. X", "Herr X", "Mme X" |
| `GazetteerNames` | `names` | given names in any case, with a following surname; world given names with support |
| `CyrillicNames` | `names` | Cyrillic full names by surname ending |
| `CjkNames` | `cjk` | Chinese, Japanese, Korean names after cues, before titles and honorifics |
| `listed_names` | `lists` | names listed with a firmly found person |
| `answered_names` | `answers` | a name given as the answer to "What's your name?" in the next message |
| `PersonFilter`, `OrgAsPerson` | `names` | cleaning spaCy PERSON spans; person-like ORG spans |
| `ner_regions` | `code` | where name detection may look (prose; strings/comments in code) |
| `propagate` | `propagate` | every other occurrence of a found value in the conversation |
"""

from __future__ import annotations

from redact.detect.addresses import StreetAddressRecognizer
from redact.detect.answers import answered_names
from redact.detect.cjk import CjkNames
from redact.detect.cues import ContextCueNames
from redact.detect.lists import listed_names
from redact.detect.names import (
    CyrillicNames,
    GazetteerNames,
    OrgAsPerson,
    PersonFilter,
    TitleNames,
)
from redact.detect.patterns import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    NationalIdRecognizer,
    PhoneRecognizer,
    UrlRecognizer,
    pattern_recognizers,
)

__all__ = [
    "CjkNames",
    "ContextCueNames",
    "CreditCardRecognizer",
    "CyrillicNames",
    "EmailRecognizer",
    "GazetteerNames",
    "IbanRecognizer",
    "IpRecognizer",
    "NationalIdRecognizer",
    "OrgAsPerson",
    "PersonFilter",
    "PhoneRecognizer",
    "StreetAddressRecognizer",
    "TitleNames",
    "UrlRecognizer",
    "answered_names",
    "listed_names",
    "pattern_recognizers",
]
