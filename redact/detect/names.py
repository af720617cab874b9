"""Person names beyond plain NER: filtering NER's false positives, and rule-based names.

- `PersonFilter` cleans spaCy PERSON spans: trims greetings and punctuation, and rejects
  placeholders (NAME_1), identifiers (UserManager, get_name), digits, common words ("Total",
  "Thanks"), model and product names (ChatGPT, Vicuna) and all-lower-case spans that are not
  known given names.
- `GazetteerNames` finds given names from the census list in any casing ("sarah", "SARAH
  CONNOR"), extended by a following surname; names that are also common words only count with
  a surname next to them.
- `TitleNames` finds names after honorifics in several languages (Mr, Dr, Herr, Mme, Sra...).
"""

from __future__ import annotations

import re

import regex

from redact.detect.findings import Finding
from redact.detect.lexicon import (
    AMBIGUOUS_GIVEN,
    NAME_PARTICLES,
    fold,
    given_names,
    is_dictionary_word,
    is_given,
    is_name_word,
    is_word_not_name,
    not_names,
    not_names_in,
    stop_words,
    surnames,
    world_given_names,
)
from redact.records import PERSON

# Words of letters (any script), with inner apostrophes and hyphens: O'Brien, Jean-Pierre.
WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’\-](?=[^\W\d_]))*")
_PLACEHOLDER = regex.compile(r"\b(?:NAME|EMAIL|PHONE|ADDRESS|IP|CREDIT_CARD|IBAN|ID|URL)_\d+\b")
_CODE_CHARS = regex.compile(r"[_=(){}\[\]<>/\\@#$%^*|~;:\"`+]|::|\d")
_CAMEL = regex.compile(r"\p{Ll}\p{Lu}")
_NAME_PREFIXES = (
    "mc",
    "mac",
    "de",
    "di",
    "da",
    "du",
    "la",
    "le",
    "van",
    "von",
    "o'",
    "o’",
    "d'",
    "d’",
)
_LEADING = regex.compile(
    r"^(?:(?:hi|hello|hey|dear|thanks|thank you|cheers|regards|best|bonjour|hallo|hola|ciao|olá|"
    r"cher|chère|liebe|lieber|querido|querida|caro|cara)\b[\s,]*)+",
    regex.IGNORECASE,
)
_INVERSION = regex.compile(
    r"(?i)-(?:t-)?(?:tu|vous|il|elle|ils|elles|je|moi|toi|nous|on|le|la|les|lui|leur|y|en|ce)$"
)
_TRAIL = regex.compile(r"(?:['’]s)?[\s\W]*$")


# Languages that capitalise every noun: a capitalised word there says little.
_NOUN_CAPITALISING = frozenset({"de", "lb"})
# What precedes the first word of a sentence, line or quotation.
_SENTENCE_OPENERS = frozenset(".!?:;\n\"“”«»'‘’([{-–—*•>#|")


def _shape(word: str) -> str:
    if word.isupper():
        return "upper"
    if word[:1].isupper():
        return "title"
    return "lower"


def looks_like_identifier(word: str) -> bool:
    """CamelCase or mixed identifiers, but not McDonald / DeShawn / O'Brien."""
    if not _CAMEL.search(word):
        return False
    low = word.casefold()
    for p in _NAME_PREFIXES:
        if low.startswith(p) and len(_CAMEL.findall(word)) == 1:
            idx = _CAMEL.search(word).start()
            if idx + 1 <= len(p) + 1:
                return False
    return True


class PersonFilter:
    """Decide whether a PERSON span from NER is a name, and trim it to the name."""

    def clean(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        value = text[start:end]
        lead = _LEADING.match(value)
        if lead:
            start += lead.end()
        value = text[start:end]
        trail = _TRAIL.search(value)
        if trail and trail.start() < len(value):
            end = start + trail.start()
        while start < end and not text[start].isalpha():
            start += 1
        if end - start < 2:
            return None
        value = text[start:end]
        if _PLACEHOLDER.search(value):
            return None
        # "Aurora Y. Strømsnes\\n\\n475 2": cut at a line break, digit or code character
        cut = _CODE_CHARS.search(value)
        newline = value.find("\n")
        stops = [i for i in ((cut.start() if cut else -1), newline) if i >= 0]
        if stops:
            end = start + min(stops)
            while end > start and not text[end - 1].isalpha() and text[end - 1] != ".":
                end -= 1
            if end - start < 2:
                return None
            value = text[start:end]
        # Lower-case words before a capitalised name are not part of it ("ask Élisabeth",
        # from a model reading another language); particles stay ("van Dijk" keeps going).
        words_at = list(WORD.finditer(value))
        k = 0
        while (
            k + 1 < len(words_at)
            and words_at[k].group().islower()
            and fold(words_at[k].group()) not in NAME_PARTICLES
            and words_at[k + 1].group()[:1].isupper()
        ):
            k += 1
        if k:
            start += words_at[k].start()
            value = text[start:end]
        common = not_names()
        # Trim common words at the end ("CLAUDINE WILL CALL", "Anna said"), then re-measure.
        matches = list(WORD.finditer(value))
        while len(matches) > 1 and matches[-1].group().casefold() in common:
            matches.pop()
        if matches:
            end = start + matches[-1].end()
            value = text[start:end]
        words = [m.group() for m in matches]
        if not words or len(words) > 4:
            return None
        if any(_INVERSION.search(w) for w in words):
            return None  # "Peux-tu", "penses-tu": French verb-subject inversion
        folded = [w.casefold() for w in words]
        if all(w in common for w in folded):
            return None
        if any(looks_like_identifier(w) for w in words):
            return None
        if len(words) > 1 and folded[-1] in _ORG_WORDS:
            return None  # "Liberty Mutual Insurance", "Santana Country Club": organisations
        if len(words) == 1:
            w = words[0]
            if w.isupper() and len(w) <= 3:
                return None  # API, NLP, CEO
            if folded[0] in AMBIGUOUS_GIVEN and folded[0] in common:
                return None
            if is_dictionary_word(w) and not is_name_word(w):
                return None  # Price, Season, Monday: words, not people
        if all(_shape(w) == "lower" for w in words) and not any(is_given(w) for w in words):
            return None
        return start, end


_ORG_WORDS = frozenset(
    """
    inc ltd llc plc corp co company corporation group holdings bank bancorp bancorporation trust
    fund capital partners associates university college school institute institution hospital
    clinic foundation association society club party council ministry department agency
    office committee union federation league team records studios studio media press news
    gmbh ag sa sas srl spa bv nv oy ab as kg ltda shares series preference pref gdr adr etf
    technologies technology systems solutions services software labs network networks
    international global industries enterprises products airlines airways motors pharma
    insurance therapeutics pharmaceuticals biosciences sciences electric energy metals mining
    resources financial investments bancshares realty properties acquisition acquisitions
    mutual aktiengesellschaft holding lines logistics communications entertainment
    """.split()
)
_INITIAL = regex.compile(r"^\p{Lu}\.?$")


class OrgAsPerson:
    """spaCy's small models tag many unfamiliar personal names as ORG ("Chiyuri H Sangi",
    "Nikolaj"). An ORG span that reads like a name (title-case words or initials, no company
    words, no dictionary words, no acronyms) counts as a person."""

    def __init__(self, person_filter: PersonFilter):
        self.person_filter = person_filter

    def person_span(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        cleaned = self.person_filter.clean(text, start, end)
        if cleaned is None:
            return None
        s, e = cleaned
        words = WORD.findall(text[s:e])
        if not words or len(words) > 4:
            return None
        names = 0
        for w in words:
            f = w.casefold()
            if _INITIAL.match(w):
                continue
            if not w[:1].isupper() or (w.isupper() and len(w) > 1):
                return None
            if f in _ORG_WORDS or f in not_names() or is_word_not_name(w) or is_dictionary_word(w):
                return None
            names += 1
        return (s, e) if names else None


# Vietnamese: most syllables, folded without their accents, are also given names of the lists
# ("năm" -> Nam, "làm" -> Lam, "Kinh"), and common nouns are capitalised in titles. In
# Vietnamese text (by its letters, whatever the record's label) a gazetteer name is a family
# name from this list and one to three capitalised syllables: "Nguyễn Văn An", "TRẦN THỊ LAN".
_VI_LETTERS = re.compile(r"[\u1ea0-\u1ef9ăĂđĐơƠưƯ]")
_VI_SURNAMES = (
    "Nguyễn|Trần|Lê|Phạm|Hoàng|Huỳnh|Phan|Vũ|Võ|Đặng|Bùi|Đỗ|Hồ|Ngô|Dương|Lý|Đào|Đoàn|Vương|"
    "Trịnh|Trương|Lâm|Mai|Đinh|Lương|Tạ|Hà|Cao|Tô|Châu|Quách|Thái|Tăng|Kiều|Triệu|Lưu|Tôn|"
    "Khúc|Lục|Mạc|Ông|Chu|Đàm|Giang|Hứa|Lạc|Nghiêm|Phùng|Quan|Thân|Tiêu|Từ"
)
_VI_NAME = regex.compile(
    rf"(?<![\p{{L}}\p{{M}}])(?:(?:{_VI_SURNAMES})(?:[ \t]\p{{Lu}}\p{{Ll}}[\p{{Ll}}\p{{M}}]*){{1,3}}"
    rf"|(?:{_VI_SURNAMES.upper()})(?:[ \t]\p{{Lu}}[\p{{Lu}}\p{{M}}]*){{1,3}})(?![\p{{L}}\p{{M}}])"
)
# places and streets named after people, or shaped like names
_VI_NOT_PEOPLE = frozenset(
    "Hồ Chí Minh|Lê Lợi|Trần Hưng Đạo|Hà Nội|Hà Giang|Hà Tĩnh|Hà Nam|Hà Đông|Cao Bằng|Cao Lãnh|"
    "Thái Bình|Thái Nguyên|Lâm Đồng|Giang Nam|Quan Hóa|Châu Đốc|Phan Thiết|Phan Rang|Hồ Tây|"
    "Hoàng Sa|Mai Châu".split("|")
)


# Vietnamese addresses people by kinship or rank before the given name ("chị Hoa", "anh Tuấn",
# "em Linh", "thầy Minh"), and "mình là Linh" is "I'm Linh".
_VI_KIN = "anh|chị|em|cô|chú|bác|ông|bà|bạn|cháu|thầy|dì|cậu|mợ|thím|sếp"
_VI_ADDRESSED = regex.compile(
    rf"(?<![\p{{L}}\p{{M}}])(?:(?i:{_VI_KIN})|(?:mình|tôi|em|tớ|tui|Mình|Tôi|Em|Tớ) là)[ \t]+"
    rf"(?P<name>\p{{Lu}}\p{{Ll}}[\p{{Ll}}\p{{M}}]*(?:[ \t]\p{{Lu}}\p{{Ll}}[\p{{Ll}}\p{{M}}]*)?)(?![\p{{L}}\p{{M}}])"
)


def _vietnamese_names(text: str, addressed: bool = False) -> list[Finding]:
    out = [
        Finding(m.start(), m.end(), PERSON, "GazetteerNames", 0.7)
        for m in _VI_NAME.finditer(text)
        if m.group().title() not in _VI_NOT_PEOPLE
    ]
    if addressed:
        out += [
            Finding(m.start("name"), m.end("name"), PERSON, "GazetteerNames", 0.65)
            for m in _VI_ADDRESSED.finditer(text)
            if m.group("name").title() not in _VI_NOT_PEOPLE
        ]
    return out


def vietnamese_text(text: str, marks: int | None = None) -> bool:
    """Whether a message is mostly Vietnamese: 5+ letters only Vietnamese writes (`marks`,
    counted here when not given), and at least 8% of its letters (a Vietnamese name in
    English text stays English)."""
    if marks is None:
        marks = len(_VI_LETTERS.findall(text))
    if marks < 5:
        return False
    letters = sum(1 for ch in text if ch.isalpha())
    return marks >= 0.08 * letters


class GazetteerNames:
    """Given names from the census list, in any case, plus a following surname."""

    name = "GazetteerNames"

    def __init__(self):
        self._given = given_names()
        self._world = world_given_names()
        self._surnames = surnames()
        self._common = not_names()
        self._stop = stop_words()

    def find(self, text: str, language: str | None = None) -> list[Finding]:
        vi_marks = len(_VI_LETTERS.findall(text))  # one scan for both uses below
        if vietnamese_text(text, vi_marks):
            return _vietnamese_names(text, addressed=True)
        words = [(m.start(), m.end(), m.group()) for m in WORD.finditer(text)]
        common = not_names_in(language)
        out: list[Finding] = []
        i = 0
        while i < len(words):
            s, e, w = words[i]
            f = fold(w)
            parts = [p for p in f.split("-") if p]
            shape = _shape(w)
            if len(w) < 3 or not any(len(p) >= 3 and p in self._given for p in parts):
                if shape == "title" and any(len(p) >= 3 and p in self._world for p in parts):
                    j = self._world_name_end(text, words, i, language)
                    if j is not None:
                        out.append(
                            Finding(s, words[j][1], PERSON, self.name, 0.7 if j > i else 0.6)
                        )
                        i = j + 1
                        continue
                i += 1
                continue
            if shape == "title" and looks_like_identifier(w):
                i += 1
                continue
            # Extend to the right: surname or second given name, same casing, one space apart.
            j = i
            company = False
            while j + 1 < len(words) and j - i < 2:
                ns, ne, nw = words[j + 1]
                gap = text[words[j][1] : ns]
                nf = fold(nw)
                if (
                    gap not in (" ", "-")
                    or _shape(nw) != shape
                    and not (shape == "title" and nw.isupper())
                    and not (shape == "title" and nf in NAME_PARTICLES)  # "Esther da Conceição"
                ):
                    break
                if nf in _ORG_WORDS and _shape(nw) != "lower":
                    company = True  # "Liberty Braves Group": a company, not a person
                    break
                if (
                    nf in NAME_PARTICLES
                    and j + 2 < len(words)
                    and _shape(words[j + 2][2]) != "lower"
                ):
                    j += 1  # "Mohamed van Bernicia": keep the particle, look at what follows
                    continue
                if nf in self._stop or nf in self._common:
                    break
                if shape == "lower" and (is_dictionary_word(nw) or is_word_not_name(nw)):
                    break
                if nf in self._surnames or nf in self._given or (shape != "lower" and len(nw) > 2):
                    j += 1
                    continue
                break
            if company:
                i = j + 2
                continue
            full = j > i
            if (shape == "lower" or (not full and shape != "upper")) and is_word_not_name(w):
                i += 1  # "season", "margot" (a magpie) alone are words; "Margot Pinto" is a name
                continue
            ambiguous = all(p in AMBIGUOUS_GIVEN or p in common or len(p) < 3 for p in parts)
            if ambiguous and (
                shape == "lower" or not (full and fold(words[j][2]) in self._surnames)
            ):
                i = j + 1
                continue
            if not full and shape == "upper" and len(w) <= 3:
                i += 1
                continue
            score = 0.75 if full else (0.6 if shape != "lower" else 0.55)
            out.append(Finding(s, words[j][1], PERSON, self.name, score))
            i = j + 1
        if vi_marks:  # "email Nguyễn Thị Lan": a Vietnamese name in other text
            out.extend(_vietnamese_names(text))
        return out

    def _world_name_end(
        self, text: str, words: list[tuple[int, int, str]], i: int, language: str | None
    ) -> int | None:
        """Index of the last word of a name headed by a given name of the world list, or None.

        That list is large and holds everyday words of some language ("Bitte", "Vero"), so
        a word from it alone needs support: a following capitalised surname-like word
        ("Pertti Palander"), or, alone, a place mid-sentence where a capital means a name
        ("ask Tuomo", "said Lasse to"), never at the start of a sentence or line. In German,
        where every noun is capitalised, only a known surname after it counts."""
        s, _, w = words[i]
        if looks_like_identifier(w):
            return None
        if i + 1 < len(words):
            ns, _, nw = words[i + 1]
            nf = fold(nw)
            capitalised = (
                text[words[i][1] : ns] == " "
                and _shape(nw) == "title"
                and len(nw) > 2
                and nf not in self._stop
                and nf not in self._common
                and not looks_like_identifier(nw)
            )
            known = nf in self._surnames or nf in self._given or nf in self._world
            if capitalised and (
                known or (language not in _NOUN_CAPITALISING and not is_dictionary_word(nw))
            ):
                return i + 1
        if language in _NOUN_CAPITALISING:
            return None
        before = text[:s].rstrip(" \t")
        if not before or before[-1] in _SENTENCE_OPENERS:
            return None
        return i


_TITLES = (
    r"Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Sir|Madam|Herr|Frau|Fr|Hr|M|Mme|Mlle|Monsieur|Madame|Señor|Señora|"
    r"Señorita|Sr|Sra|Srta|Don|Doña|Sig|Sig\.ra|Signor|Signora|Dott|Dott\.ssa|Dona|Meneer|Mevrouw|"
    r"Dhr|Mevr|Pan|Pani|Capt|Captain|Rev|Lord|Lady"
)
# Written in lower case too in chat ("ask ms. Kowalska"); not the short or everyday ones.
_TITLES_ANY_CASE = (
    r"mr|mrs|ms|miss|dr|prof|madam|herr|frau|mme|mlle|monsieur|madame|señor|señora|señorita|sra|"
    r"srta|signor|signora|dott|meneer|mevrouw|dhr|mevr|pani"
)
_TITLE_NAME = regex.compile(
    rf"(?<![\p{{L}}.])(?:{_TITLES}|(?i:{_TITLES_ANY_CASE}))\.?[ \t]+((?:\p{{Lu}}\.[ \t]?)?\p{{Lu}}[\p{{L}}\p{{M}}'’\-]+(?:[ \t]+\p{{Lu}}[\p{{L}}\p{{M}}'’\-]+){{0,2}})"
)


class TitleNames:
    """ "Dr. Jane Roe", "Herr Müller", "Mme Dubois": the capitalised words after an honorific."""

    name = "TitleNames"

    def find(self, text: str, language: str | None = None) -> list[Finding]:
        out = []
        common = not_names()
        for m in _TITLE_NAME.finditer(text):
            words = m.group(1).split()
            keep = []
            for w in words:
                if w.casefold().strip(".") in common or looks_like_identifier(w):
                    break
                keep.append(w)
            if not keep:
                continue
            start = m.start(1)
            end = start + len(" ".join(keep)) if len(keep) < len(words) else m.end(1)
            # the original spacing may differ from a single space: recompute from text
            end = _end_of_words(text, start, len(keep))
            out.append(Finding(start, end, PERSON, self.name, 0.8))
        return out


def _end_of_words(text: str, start: int, n: int) -> int:
    end = start
    for k, m in enumerate(WORD.finditer(text, start)):
        end = m.end()
        if k + 1 >= n:
            break
    # keep an initial's dot inside ("J. Smith" counts the letters only)
    return end


def is_given_or_surname(word: str) -> bool:
    return is_given(word) or is_name_word(word)


# Russian, Ukrainian, Belarusian, Bulgarian surnames by their endings ("Морозов", "Белозерова",
# "Терентьев", "Шевченко", "Петрович"); adjectival endings (-ский/-ская) are left out because
# place and organisation names share them ("Московский университет").
_CYR_WORD = r"[А-ЯЁІЇЄҐ][а-яёіїєґ'’]+"
# Surname endings, with the Russian case forms a request puts them in ("письмо Ивану Петрову",
# "с Анной Петровой", "с Сергеем Ивановым", "о Николае Кузнецове", "у Марии Ивановны").
_CYR_SURNAME = (
    r"[А-ЯЁІЇЄҐ][а-яёіїєґ'’]{2,}"
    r"(?:(?:ов|ев|ёв|ин|ын)(?:а|у|ым|е|ой)?|енко|вич(?:а|у|ем|е)?|[вч]н(?:а|ы|е|у|ой))"
)
# "Петровой" is a surname, and beside it "Анной" a given name: neither is an adjective.
_CYR_SURNAME_CASE = regex.compile(r"[а-яёіїєґ'’]{2}(?:ов|ев|ёв|ин|ын|[вч]н)ой$")
_CYR_NAME = regex.compile(
    rf"(?<![\p{{L}}\-])(?:{_CYR_WORD}[ \t]+(?:{_CYR_WORD}[ \t]+)?{_CYR_SURNAME}"
    rf"|{_CYR_SURNAME}[ \t]+{_CYR_WORD}(?:[ \t]+{_CYR_WORD})?)(?![\p{{L}}\-])"
)
_CYR_ADJECTIVE = regex.compile(r"(?:ый|ий|ой|ая|яя|ое|ее|ые|ие)$")
_HAS_CYRILLIC = regex.compile(r"[А-ЯЁІЇЄҐ]")


class CyrillicNames:
    """Full names in Cyrillic script recognised by a surname ending: "Спартак Морозов",
    "Белозерова Фаина Ивановна". Languages written in Cyrillic have no NER model here."""

    name = "CyrillicNames"

    def find(self, text: str, language: str | None = None) -> list[Finding]:
        if not _HAS_CYRILLIC.search(text):
            return []
        stop = stop_words()
        out = []
        for m in _CYR_NAME.finditer(text):
            words = m.group().split()
            case_form = any(_CYR_SURNAME_CASE.search(w) for w in words)
            if any(
                (_CYR_ADJECTIVE.search(w) and not (case_form and w.endswith(("ой", "ей"))))
                or w.casefold() in stop
                for w in words
            ):
                continue  # "Красная площадь", "Новый Петров"? adjectives are not names
            out.append(Finding(m.start(), m.end(), PERSON, self.name, 0.7))
        return out
