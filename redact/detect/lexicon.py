"""Word lists the name rules share: given names, surnames, and words that are not names.

- Given names and surnames: US Census Bureau 1990 frequency files (public domain), in
  `data/`. Used to catch lower-case and all-caps names that NER misses, and to extend a first
  name to a following surname.
- Ambiguous given names: names that are also everyday words ("will", "may", "grace"); they
  count only next to other evidence (a cue, a surname, a title).
- Dictionary words (`load_dictionary`): the English model's lemmatizer index (WordNet).
- Not-names: stop words of the languages we route, greetings and sign-off words, chat and
  programming vocabulary, and LLM/product names (ChatGPT, Vicuna, ...) that spaCy's small
  models often tag as PERSON.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data"

AMBIGUOUS_GIVEN = frozenset(
    """
    will may june april august march grace hope joy faith rose lily daisy iris ivy violet pearl
    ruby amber crystal summer autumn dawn eve holly jade penny sunny art bill bob buck chase chip
    cliff dean drew frank gene glen guy hunter jack jay jean jerry lance max miles nick pat ray
    rich rob rod rusty sandy skip sky stone ted victor wade ward warren carol christian major king
    young brown white green black grant baker cook page love harmony heaven honey star storm
    river rain misty angel bunny candy cherry ginger olive hazel jasmine heather willow sage
    basil august augustine sterling royal prince duke earl baron bishop marshall price rice long
    short gay joy van del mark so son sun bo an
    in is it my me be do go no on or to up us we he she her his him they them you your our one
    two ten tu ka la le de da di du el lo los las des die der das den dem ein eine and but not
    case clay dale dell dusty fern forest gale gray hall hardy heath herb hill homer jewel kitty
    lane lark laurel lucky marina mason merry miles mo noble patience porter raven reed robin
    rocky roman rosemary shell sherry story sue tanner trinity unique walker winter wood else
    paris london berlin dallas austin houston denver florence georgia virginia carolina jordan
    chelsea sydney victoria madison lincoln washington phoenix dakota cheyenne savannah brooklyn
    india asia china africa america kenya jamaica nevada montana tennessee indiana arizona
    alabama orlando lorraine charlotte vienna roma rome
    """.split()
)

_CHAT_COMMON = """
hi hello hey hiya dear thanks thank thx regards best cheers sincerely yours bye goodbye welcome
please sorry okay ok yes no yeah nope sure great good morning afternoon evening night day
note notes total sum result results answer question example examples output input user users
assistant system admin administrator manager name names title text string value values data
file files test tests main class function method object list dict table query field fields key
keys id type types error errors warning info debug true false none null nil undefined self this
python java javascript typescript rust go golang ruby perl php swift kotlin scala haskell
excel word powerpoint outlook google github gitlab linux windows mac macos ios android docker
kubernetes api json yaml xml html css sql react vue angular django flask fastapi node npm pip
numpy pandas tensorflow pytorch keras spark hadoop aws azure gcp openai chatgpt gpt gpt3 gpt4
vicuna llama alpaca koala claude bard gemini palm dolly mpt falcon chatglm bing copilot siri
alexa cortana lmsys fastchat stablelm oasst rwkv guanaco wizardlm mistral mixtral qwen baichuan
ai bot chatbot model models assistant-bot llm gpt-3 gpt-4 gpt-3.5 gpt-4o chat
monday tuesday wednesday thursday friday saturday sunday january february march april may june
july august september october november december today tomorrow yesterday
mr mrs ms miss dr prof sir madam
step steps section chapter part version summary introduction conclusion overview background
image images prompt prompts story poem essay letter email message subject sender recipient
bonjour salut merci hallo danke hola gracias ciao grazie olá obrigado obrigada
lorem ipsum dolor sit amet
world everyone everybody all guys team folks there friend friends sir ma'am buddy mate pal dude
chatbot human bro sis honey darling sweetie love babe
address addr phone telephone tel mobile fax e-mail date city country zip postcode nationality
occupation signature allergies dirección direccion teléfono telefono correo fecha ciudad país
adresse téléphone courriel ville pays anschrift telefon straße strasse ort datum indirizzo città
endereço endereco cidade telefone adres telefoon woonplaats miasto ulica adresa kontoinhaber
empfänger absender titular destinatario remitente destinataire expéditeur nacionalidad
nationalité staatsangehörigkeit geburtsdatum nombre apellido apellidos prénom prenom vorname
nachname cognome naam voornaam achternaam imię nazwisko имя фамилия отчество адрес телефон город
дата получатель отправитель nama alamat telepon soyad alıcı pana panie panu panią
"""

_PLACEHOLDER_WORDS = "NAME EMAIL PHONE ADDRESS IP CREDIT_CARD IBAN ID URL PERSON LOCATION".split()

_STOP_LANGS = ("en", "fr", "de", "es", "it", "pt", "nl", "ru", "uk")
# The world name list is large and permissive: it also drops stop words of these languages.
_WORLD_STOP_LANGS = _STOP_LANGS + ("sv", "da", "nb", "fi", "pl", "cs", "sk", "sl", "hr", "sr", "ro",
                                   "hu", "tr", "id", "ca", "lt", "lv", "et")  # fmt: skip


def _read(name: str) -> frozenset[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return frozenset(x.strip() for x in lines if x.strip() and not x.startswith("#"))


@lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    return _read("first_names.txt")


def gender_guesser_names() -> set[str]:
    """The names of gender-guesser's name dictionary, read from the package's bundled
    `data/nam_dict.txt`: the keys of `Detector(case_sensitive=False).names`, a few times
    faster (~0.1 s against ~0.4 s in each worker at start-up), since the Detector also
    parses the gender and per-country frequency columns of every line; we need only the
    names.

    Mirrors `Detector._parse`: lines are stripped; those starting with "#" (comments) or
    "=" (short-form equivalences, "Abe Abraham") are skipped; the name is the second
    whitespace-separated field, lower-cased; a "+" in a name joins parts and stands for
    "", " " and "-" (three names)."""
    from importlib.resources import files

    text = (files("gender_guesser") / "data" / "nam_dict.txt").read_text(encoding="utf-8")
    names: set[str] = set()
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#=":
            continue
        name = line.split(None, 2)[1].lower()
        if "+" in name:
            names.update(name.replace("+", sep) for sep in ("", " ", "-"))
        else:
            names.add(name)
    return names


@lru_cache(maxsize=1)
def world_given_names() -> frozenset[str]:
    """Given names of ~50 countries (gender-guesser's copy of Jörg Michael's name dictionary,
    about 45,000 names), case-folded, without stop words of the languages above and without
    ambiguous ones. The census list covers the US; chat users come from everywhere.

    Used for Title-case words only: many of these names are everyday lower-case words in
    some language, while a capitalised one mid-sentence is most often the name."""
    common = not_names() | _stop_words(_WORLD_STOP_LANGS)
    names = gender_guesser_names()
    return frozenset(
        f
        for n in names
        if len(f := fold(n)) >= 3 and f.isalpha() and f not in common and f not in AMBIGUOUS_GIVEN
    )


@lru_cache(maxsize=1)
def given_rank() -> dict[str, int]:
    """Frequency rank of each given name (1 = most frequent)."""
    lines = (DATA / "first_names.txt").read_text(encoding="utf-8").splitlines()
    names = [x.strip() for x in lines if x.strip() and not x.startswith("#")]
    return {n: i + 1 for i, n in enumerate(names)}


RARE_GIVEN_RANK = 1200  # below this, a given name that is also a dictionary word is a word


def is_word_not_name(word: str) -> bool:
    """A dictionary word that is at most a rare given name ("season", "chance", "spring")."""
    w = word.casefold()
    return w in _DICTIONARY and given_rank().get(fold(w), 10**6) > RARE_GIVEN_RANK


@lru_cache(maxsize=1)
def surnames() -> frozenset[str]:
    return _read("last_names.txt")


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    return _stop_words(_STOP_LANGS)


@lru_cache(maxsize=32)
def _stop_words(languages: tuple[str, ...]) -> frozenset[str]:
    # Read spacy/lang/XX/stop_words.py directly: importing the language package would build
    # its tokenizer exceptions (seconds for French) just to get a word list.
    import importlib.util

    import spacy

    words: set[str] = set()
    root = Path(spacy.__file__).parent / "lang"
    for code in languages:
        path = root / code / "stop_words.py"
        spec = importlib.util.spec_from_file_location(f"_redact_stop_words_{code}", path)
        if spec is None or spec.loader is None:  # pragma: no cover - spaCy always ships these
            continue
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        words |= set(module.STOP_WORDS)
    return frozenset(w.casefold() for w in words)


@lru_cache(maxsize=32)
def not_names_in(language: str | None) -> frozenset[str]:
    """`not_names` for text of one language: English stop words and that language's only.

    "Sean" and "Ben" are names in English text and stop words in Spanish and Dutch; "Dan"
    opens Dutch sentences. Unknown language: every list (the safe side)."""
    if language is None or language not in _STOP_LANGS:
        return not_names()
    words = set(_CHAT_COMMON.split()) | _stop_words(tuple(dict.fromkeys(("en", language))))
    words |= {w.casefold() for w in _PLACEHOLDER_WORDS}
    return frozenset(words | {fold(w) for w in words})


@lru_cache(maxsize=1)
def not_names() -> frozenset[str]:
    """Words (case-folded) that are never a person's name on their own."""
    words = set(_CHAT_COMMON.split()) | stop_words() | {w.casefold() for w in _PLACEHOLDER_WORDS}
    # Stop words that are common given names are still not names alone ("Will", "May").
    return frozenset(words | {fold(w) for w in words})


NAME_PARTICLES = frozenset(
    "van von der den de del della di da dos das du le la ter ten bin ibn al el st st. mac".split()
)


def fold(word: str) -> str:
    """Case- and accent-folded form for list look-ups ("Tomás" -> "tomas")."""
    import unicodedata

    w = word.casefold()
    if w.isascii():
        return w
    return unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode()


def _parts(word: str) -> list[str]:
    return [p for p in fold(word).replace("’", "'").split("-") if p]


def is_given(word: str) -> bool:
    """A known given name that is not also an everyday word (hyphenated: any part): from the
    census list in any case, from the world list when capitalised."""
    names, common = given_names(), not_names()
    if any(p in names and p not in AMBIGUOUS_GIVEN and p not in common for p in _parts(word)):
        return True
    return is_world_given(word)


def is_world_given(word: str) -> bool:
    """A Title-case word that is a given name somewhere in the world (any part if hyphenated)."""
    return _shape_title(word) and any(p in world_given_names() for p in _parts(word))


def _shape_title(word: str) -> bool:
    return word[:1].isupper() and not word.isupper()


def is_name_word(word: str) -> bool:
    """A given name or surname, ambiguity aside (for extending a name already found)."""
    stop = stop_words()
    if is_world_given(word):
        return True
    return any((p in given_names() or p in surnames()) and p not in stop for p in _parts(word))


_DICTIONARY: set[str] = set()


def load_dictionary(models: list[str]) -> None:
    """Add the lemmatizer word index (WordNet for English) of installed spaCy packages.

    A capitalised single word that is in the dictionary but is no known given name ("Price",
    "Season", "Monday") is not taken as a person on its own. Only index words the model also
    saw in lower case in training (its vocab strings) count, which drops WordNet's rare words
    ("malthe") that are more often names."""
    import glob
    import json

    import spacy
    from spacy.lookups import Lookups

    for model in models:
        try:
            base = spacy.util.get_package_path(model)
        except Exception:  # noqa: BLE001 - not an installed package: nothing to add
            continue
        for path in glob.glob(str(base / "*" / "lemmatizer" / "lookups")):
            strings_path = Path(path).parent.parent / "vocab" / "strings.json"
            if not strings_path.is_file():
                continue
            seen = set(json.loads(strings_path.read_text(encoding="utf-8")))
            lookups = Lookups().from_disk(path)
            if lookups.has_table("lemma_index"):
                table = lookups.get_table("lemma_index")
                for key in table.keys():
                    _DICTIONARY.update(w for w in table[key] if w.isalpha() and w in seen)


def is_dictionary_word(word: str) -> bool:
    w = word.casefold()
    return w in _DICTIONARY and w not in given_names()
