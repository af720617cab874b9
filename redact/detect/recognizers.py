"""Chat-aware recognisers added to Presidio's predefined set."""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

_STREET_TYPES = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Close|Square|Sq|Parkway|Pkwy|Highway|Hwy"
)


class StreetAddressRecognizer(PatternRecognizer):
    """House number, street name and street type (US/UK style), optionally unit, city, ZIP."""

    PATTERNS = [
        Pattern(
            "street_address",
            rf"\b\d{{1,6}}[A-Za-z]?\s+(?:[A-Z][A-Za-z'.-]*\s+){{1,4}}(?:{_STREET_TYPES})\b\.?"
            r"(?:,?\s+(?:Apt|Suite|Unit|#)\.?\s*[\w-]+)?"
            r"(?:,\s*[A-Z][A-Za-z .'-]+(?:,\s*[A-Z]{2})?(?:\s+\d{5}(?:-\d{4})?)?)?",
            0.6,
        ),
    ]
    CONTEXT = ["address", "live", "lives", "located", "street", "ship", "deliver", "mail"]

    def __init__(self):
        super().__init__(
            supported_entity="STREET_ADDRESS",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language="en",
            name="StreetAddressRecognizer",
        )


def extra_recognizers() -> list:
    return [StreetAddressRecognizer()]
