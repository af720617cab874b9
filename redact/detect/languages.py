"""Language routing: the record's `language` value (LMSYS uses English names) to an ISO code."""

from __future__ import annotations

LANGUAGE_CODES = {
    "english": "en",
    "french": "fr",
    "german": "de",
    "spanish": "es",
    "portuguese": "pt",
    "italian": "it",
    "dutch": "nl",
    "russian": "ru",
    "chinese": "zh",
    "japanese": "ja",
    "korean": "ko",
    "polish": "pl",
    "czech": "cs",
    "ukrainian": "uk",
    "turkish": "tr",
    "arabic": "ar",
    "vietnamese": "vi",
    "indonesian": "id",
    "swedish": "sv",
    "finnish": "fi",
    "danish": "da",
    "norwegian": "nb",
    "greek": "el",
    "hungarian": "hu",
    "romanian": "ro",
    "hindi": "hi",
    "persian": "fa",
    "hebrew": "he",
    "thai": "th",
    "catalan": "ca",
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


# Phone regions tried for national formats (numbers without +CC), by ISO language code. Every
# language also tries the fallback regions; international formats need no region.
PHONE_REGIONS = {
    "en": ("US", "GB", "CA", "AU", "IN", "IE", "NZ", "ZA", "PH", "NG", "SG"),
    "fr": ("FR", "BE", "CH", "CA", "LU", "MA", "SN", "CI"),
    "de": ("DE", "AT", "CH", "LU"),
    "es": ("ES", "MX", "AR", "CO", "CL", "PE", "VE", "US"),
    "pt": ("PT", "BR", "AO", "MZ"),
    "it": ("IT", "CH", "SM"),
    "nl": ("NL", "BE"),
    "pl": ("PL",),
    "ru": ("RU", "KZ", "BY"),
    "uk": ("UA",),
    "cs": ("CZ", "SK"),
    "tr": ("TR",),
    "sv": ("SE", "FI"),
    "da": ("DK",),
    "nb": ("NO",),
    "fi": ("FI",),
    "el": ("GR", "CY"),
    "hu": ("HU",),
    "ro": ("RO", "MD"),
    "zh": ("CN", "TW", "HK", "SG"),
    "ja": ("JP",),
    "ko": ("KR",),
    "vi": ("VN",),
    "id": ("ID",),
    "th": ("TH",),
    "ar": ("SA", "AE", "EG", "MA"),
    "he": ("IL",),
    "hi": ("IN",),
    "fa": ("IR",),
    "ca": ("ES", "AD"),
}
FALLBACK_REGIONS = ("US", "GB")


def phone_regions(code: str | None) -> tuple[str, ...]:
    regions = PHONE_REGIONS.get(code or "", ())
    return tuple(dict.fromkeys(regions + FALLBACK_REGIONS))
