"""Language routing: the record's `language` value (LMSYS uses English names) to an ISO code."""

from __future__ import annotations

LANGUAGE_CODES = {
    "english": "en", "french": "fr", "german": "de", "spanish": "es", "portuguese": "pt",
    "italian": "it", "dutch": "nl", "russian": "ru", "chinese": "zh", "japanese": "ja",
    "korean": "ko", "polish": "pl", "czech": "cs", "ukrainian": "uk", "turkish": "tr",
    "arabic": "ar", "vietnamese": "vi", "indonesian": "id", "swedish": "sv", "finnish": "fi",
    "danish": "da", "norwegian": "nb", "greek": "el", "hungarian": "hu", "romanian": "ro",
    "hindi": "hi", "persian": "fa", "hebrew": "he", "thai": "th", "catalan": "ca",
}


def language_code(name: str | None) -> str | None:
    if not name:
        return None
    key = name.strip().casefold()
    if key in LANGUAGE_CODES:
        return LANGUAGE_CODES[key]
    if len(key) in (2, 3) and key.isalpha():
        return key
    return None
