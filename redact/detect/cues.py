"""Names announced by the conversation itself: "my name is X", "Dear X", sign-offs, `name=` in code.

Cues are strong ("my name is", "call me", "sign it as", a sign-off line, `"author": "X"`) or
weak ("I'm", "Hi", "Dear", "this is"). After a strong cue any word that is not a common word
counts, lower-case included ("my name is anna"); after a weak cue the word must be capitalised
or a known given name ("I'm tired" is not a name, "i'm anna" and "Hi Tom" are).
"""

from __future__ import annotations

import re

import regex

from redact.detect.findings import Finding
from redact.detect.lexicon import (
    NAME_PARTICLES,
    fold,
    given_names,
    is_dictionary_word,
    is_given,
    is_word_not_name,
    not_names,
    not_names_in,
    stop_words,
)
from redact.detect.names import looks_like_identifier
from redact.records import PERSON

_NAME_WORD = r"\p{L}[\p{L}\p{M}'’\-]*[\p{L}\p{M}]|\p{Lu}"
# In scripts without letter case a name after a strong cue is at most two words (given and
# family name), ending at a verb or conjunction: "मेरा नाम राहुल शर्मा है", "اسمي أحمد ورقم هاتفي".
_CASELESS_STOP = frozenset("है हूँ हूं था थी और का की के मैं हम است هستم و من في أنا".split())
_ARABIC_AND = regex.compile(r"^[وف]\p{Arabic}{3,}$")  # "ورقم": "and (the) number"
_ELISION = regex.compile(r"^\p{L}['’]\p{Ll}")  # I'm, l'homme, d'accord (not O'Brien)
_NAME_SEQ = rf"(?P<name>(?:{_NAME_WORD})(?:[ \t]+(?:{_NAME_WORD})){{0,3}})"

_STRONG = (
    r"my name is|my name's|my full name is|my first name is|my last name is|my surname is|"
    r"name is|i am called|i'm called|call me|you can call me|they call me|people call me|"
    r"sign (?:it|this|the (?:letter|email|message|note))?\s*(?:off )?(?:as|with|from)|signed(?: by)?|"
    r"written by|from the desk of|"
    r"je m'appelle|je m’appelle|mon nom est|mon prénom est|appelez-moi|ich heiße|ich heisse|"
    r"mein name ist|mein vorname ist|nennt mich|me llamo|mi nombre es|llámame|mi chiamo|"
    r"il mio nome è|chiamami|meu nome é|me chamo|chama-me|mijn naam is|ik heet|noem me|"
    r"nazywam się|mam na imię|jmenuju se|меня зовут|мене звати|"
    r"benim adım|tôi tên là|tên tôi là|tên của tôi là|nama saya|"
    # scripts without letter case: Arabic, Persian, Hindi, Hebrew
    r"اسمي|اسمى|إسمي|اسم من|मेरा नाम|मेरा नाम है|שמי|קוראים לי|"
    # titles before a name in caseless scripts, where no capital letter marks it
    r"الأستاذ|الأستاذة|الاستاذ|الاستاذة|الأستاذة/|السيد|السيدة|الدكتور|الدكتورة|المهندس|المهندسة|"
    r"श्री|श्रीमती|सुश्री|डॉ\."
)
# Arabic: "my sister Yasmin", "to her friend Salma": a kinship word, then one given name
# (a word with the article, "أختي الكبيرة", "my big sister", is not one).
_AR_KIN = regex.compile(
    r"(?<![\p{L}])(?:ل|ول|و)?(?:أختي|اختي|أخي|اخي|أخويا|صديقتي|صديقي|صاحبتي|صاحبي|لصاحبتها|صاحبتها|"
    r"صاحبه|زوجي|زوجتي|ابني|ابنتي|بنتي|أمي|أبي|خالتي|عمتي|خالي|عمي|جدتي|جدي|زميلي|زميلتي|أختك|أخوك)"
    r"[ \t]+(?P<name>(?!ال)\p{Arabic}{2,})(?![\p{L}])"
)
_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff]")
_AR_KIN_NOT = frozenset("هي هو في من على عن كان كانت اللي الي عايزة عايز جدا اسمها اسمه".split())
_WEAK = (
    r"i'm|i’m|i am|im|this is|it's|it’s|here is|dear|hi|hello|hey|hiya|greetings|good morning|"
    r"good afternoon|good evening|thanks|thank you|bye|see you|talk soon|welcome|congratulations|"
    r"congrats|happy birthday|"
    r"je suis|c'est|bonjour|salut|cher|chère|merci|ich bin|hier ist|hallo|liebe|lieber|danke|"
    r"soy|hola|querido|querida|estimado|estimada|gracias|sono|ciao|caro|cara|gentile|grazie|"
    r"eu sou|olá|oi|prezado|prezada|obrigado|obrigada|ik ben|hoi|beste|bedankt|cześć|dzień dobry|"
    r"pan|pani|pana|panie|panu|panią|szanowny|szanowna|drogi|droga|"
    r"уважаемый|уважаемая|дорогой|дорогая|привет|здравствуйте|"
    # a question for a name, answered right after it ("What's your last name? Sjöberg")
    r"(?:(?:full |first |last |sur|family |given )?name|name on (?:the|your) account)\?"
    r"(?:[ \t]*\n?[ \t]*(?:user|human|customer|client|me|a)[ \t]*:)?"
)
# Verbs and prepositions that often precede a person: only known given names count after them.
_VERB = r"ask|asked|tell|told|met|meet|with|and|married|marry|friend|wife|husband|boyfriend|girlfriend|son|daughter|brother|sister|mom|dad|boss|colleague|named|called"
# Cue words first (stdlib re, fast), then the name after each cue.
_CUE = re.compile(
    rf"(?<!\w)(?:(?P<strong>{_STRONG})|(?P<weak>{_WEAK})|(?P<verb>{_VERB}))(?=[ \t,:])",
    re.IGNORECASE,
)
_AFTER_CUE = regex.compile(rf"[ \t]*[,:/]?[ \t]*(?<=[ \t:/])(?:\*\*?|__?|\")?{_NAME_SEQ}")

_SIGNOFF = (
    r"best|best regards|best wishes|kind regards|regards|warm regards|warmest regards|cheers|thanks|"
    r"thank you|many thanks|thanks again|sincerely|yours sincerely|sincerely yours|yours truly|"
    r"yours|respectfully|love|with love|xoxo|take care|all the best|cordialement|bien à vous|"
    r"bien cordialement|amitiés|bisous|à bientôt|mit freundlichen grüßen|mit freundlichen gruessen|"
    r"viele grüße|liebe grüße|beste grüße|grüße|lg|mfg|saludos|un saludo|saludos cordiales|"
    r"atentamente|un abrazo|cordiali saluti|saluti|distinti saluti|un abbraccio|un saluto|"
    r"atenciosamente|abraços|beijos|cumprimentos|met vriendelijke groet|vriendelijke groeten|"
    r"groeten|groetjes|pozdrawiam|z poważaniem|s pozdravem|с уважением|merci|merci beaucoup|danke|"
    r"vielen dank|gracias|muchas gracias|grazie|grazie mille|obrigado|obrigada|bedankt|dank je|"
    r"hugs|later|ciao|tschüss|adiós|à plus|your friend|your sister|your brother|love always|"
    r"dein|deine|euer|eure|dein freund|deine freundin|tu amiga|tu amigo|ton ami|ton amie|"
    r"je vriend|je vriendin|tvoja|tvůj|твоя|твой"
)
# "Best,\nAnna" (name alone on the next line) or "Cheers, Tom" at the end of a line.
_SIGNOFF_RE = regex.compile(
    rf"(?im)^[ \t]*(?:{_SIGNOFF})[ \t]*[,.!]?[ \t]*(?:\n[ \t]*|[ \t]+)"
    rf"(?P<name>(?:{_NAME_WORD})(?:[ \t]+(?:{_NAME_WORD})){{0,2}})[ \t]*[.!]?[ \t]*"
    # an emoji or two may close the line ("deine Anna 🌷", "Tom ❤️")
    rf"(?:[\p{{So}}\p{{Sk}}\u200d\ufe0f]+[ \t]*)?$"
)

# Code and data: name = "Ada Lovelace", "author": "Ada", user_name='ada', <author>Ada</author>
_KEYS = (
    r"name|full_?name|first_?name|last_?name|given_?name|family_?name|surname|author|username|"
    r"user_?name|owner|customer(?:_?name)?|employee(?:_?name)?|contact(?:_?name)?|sender|"
    r"recipient|patient(?:_?name)?|student(?:_?name)?|person|signature|nom|prenom|prénom|nombre|"
    r"apellido|nome|cognome|vorname|nachname|nama|naam|imie|imię|nazwisko|isim|ad_?soyad|ho_?ten|"
    r"имя|фамилия|姓名|名字|名前|氏名|이름"
)
_CODE_CUE = regex.compile(
    rf"(?i)(?<![\w])[\"']?(?P<key>{_KEYS})[\"']?[ \t]*(?:=|:|=>)[ \t]*(?P<q>[\"'])"
    rf"(?P<name>(?:{_NAME_WORD})(?:[ \t]+(?:{_NAME_WORD})){{0,3}})(?P=q)"
    rf"|(?i)<(?P<tag>{_KEYS})>(?P<tname>(?:{_NAME_WORD})(?:[ \t]+(?:{_NAME_WORD})){{0,3}})</(?P=tag)>"
)
_PERSON_KEYS = regex.compile(
    r"(?i)^(?:full_?name|first_?name|last_?name|given_?name|family_?name|surname|author|"
    r"customer_?name|employee_?name|contact_?name|patient_?name|student_?name|vorname|nachname|"
    r"prenom|prénom|apellido|cognome)$"
)


# "Name: Ada Lovelace", "Directed by: Ivica Luthar", "GIVEN NAMES: TEMITOPE ADEBOLA",
# "Имя: Ольга", "Kontoinhaber: Tobias Wagner" (labels in forms, CVs, credits, bank details).
# Chinese, Japanese and Korean labels are in `cjk`.
_LABEL = re.compile(
    r"(?i)(?<!\w)(?:name|full name|first name|last name|surname|given names?|middle names?|"
    r"family name|maiden name|customer|patient|contact|contact person|author|recipient|"
    r"beneficiary|account holder|account name|card ?holder|passenger|guest|applicant|candidate|"
    r"employee|next of kin|emergency contact|directed by|written by|signed by|from|to|cc|attn|"
    r"nom|nom complet|nom de famille|prénom|prenom|destinataire|expéditeur|titulaire|bénéficiaire|"
    r"nombre|nombre completo|apellidos?|remitente|destinatario|nome|nome completo|cognome|"
    r"sobrenome|destinatário|remetente|mittente|intestatario|vorname|nachname|empfänger|"
    r"absender|kontoinhaber|inhaber|ansprechpartner|naam|voornaam|achternaam|imię|nazwisko|"
    r"imię i nazwisko|odbiorca|nadawca|имя|фамилия|отчество|фио|ф\.и\.о\.|получатель|"
    r"отправитель|ad soyad|adı soyadı|alıcı|nama|nama lengkap|penerima|họ và tên|họ tên|"
    r"người nhận|الاسم|الاسم الكامل|المستلم|नाम|पूरा नाम)[ \t]*[:：][ \t]*"
)
# "Nichole: You saved my life!" - a speaker label at the start of a line (scripts, chat logs).
_SPEAKER = regex.compile(
    r"(?m)(?:^|(?<=\\n))[ \t]*(?P<name>\p{Lu}[\p{L}'’\-]+(?:[ \t]\p{Lu}[\p{L}'’\-]+)?):[ \t]+(?=\S)"
)
# "Leigha C Mackay", "Valérie B. Lafontaine": given name, middle initial, surname.
_INITIAL_NAME = regex.compile(
    r"(?<![\p{L}\-])(?P<name>\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?[ \t]\p{Lu}\.?[ \t]\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?)(?![\p{L}])"
)


def _capital_after_particles(words: list, k: int) -> bool:
    """Whether the particles from words[k] on ("van de") lead to a capitalised word."""
    for m in words[k + 1 :]:
        if m.group()[:1].isupper():
            return True
        if fold(m.group()) not in NAME_PARTICLES:
            return False
    return False


class ContextCueNames:
    name = "ContextCueNames"

    def __init__(self):
        self._common = not_names()
        self._stop = stop_words()

    def _accept_words(
        self, text: str, start: int, value: str, strong: bool, language: str | None = None
    ) -> tuple[int, int] | None:
        # stop words of the record's language (and English) only: "Ella" is a name in
        # Dutch or English text and the Spanish "she"; unknown language: every list
        common = not_names_in(language)
        words = list(regex.finditer(_NAME_WORD, value))
        kept = []
        for k, m in enumerate(words):
            w = m.group()
            f = w.casefold()
            if k > 0 and fold(w) in NAME_PARTICLES and _capital_after_particles(words, k):
                kept.append(m)  # "van", "de", "da" inside a name ("Ella van de Ven")
                continue
            given_after_strong = (
                strong
                and k == 0
                and w[:1].isupper()
                and not w.isupper()
                and fold(w) in given_names()
            )
            if (f in common and not given_after_strong) or looks_like_identifier(w):
                break  # "my name is not important"; but "his name is Will", "call me May"
            if _ELISION.match(w):
                break
            first = words[0].group()
            if not first[:1].isupper() and not first[:1].islower():  # a script without case
                if not strong or k > 1 or w in _CASELESS_STOP or (k > 0 and _ARABIC_AND.match(w)):
                    break
                kept.append(m)
                continue
            capital = w[:1].isupper()
            if k == 0 and not strong:
                if not capital and not is_given(w):
                    break
                if capital and w.isupper() and len(w) <= 2:
                    break
            elif k > 0:
                # later words: same case family as the first, or capitalised
                if not (capital or first.islower()):
                    break
                if not capital and not strong:
                    break
            kept.append(m)
        while kept and fold(kept[-1].group()) in NAME_PARTICLES:
            kept.pop()
        if not kept:
            return None
        return start + kept[0].start(), start + kept[-1].end()

    def _plain_name_word(self, word: str) -> bool:
        """Capitalised, not a common or dictionary word, not an identifier."""
        f = word.casefold()
        return not (
            f in self._common
            or f in self._stop
            or is_dictionary_word(word)
            or is_word_not_name(word)
            or looks_like_identifier(word)
        )

    def find(self, text: str, language: str | None = None) -> list[Finding]:
        out: list[Finding] = []
        for cue in _CUE.finditer(text):
            m = _AFTER_CUE.match(text, cue.end())
            if m is None:
                continue
            strong = cue.group("strong") is not None
            if cue.group("verb") is not None and not is_given(m.group("name").split()[0]):
                continue
            span = self._accept_words(text, m.start("name"), m.group("name"), strong, language)
            if span:
                out.append(Finding(span[0], span[1], PERSON, self.name, 0.85 if strong else 0.7))
        if _ARABIC_LETTER.search(text):
            for m in _AR_KIN.finditer(text):
                if m.group("name") not in _AR_KIN_NOT:
                    out.append(Finding(m.start("name"), m.end("name"), PERSON, "KinshipNames", 0.7))
        for cue in _LABEL.finditer(text):
            m = regex.match(_NAME_SEQ, text[cue.end() : cue.end() + 80])
            if m:
                # a label announces a name as firmly as "my name is" in scripts without case,
                # where the capital letter that weak cues need does not exist
                first = m.group("name")[:1]
                caseless = not first.isupper() and not first.islower()
                span = self._accept_words(
                    text, cue.end() + m.start("name"), m.group("name"), caseless, language
                )
                if span:
                    out.append(Finding(span[0], span[1], PERSON, "LabelNames", 0.75))
        if ":" in text:
            for m in _SPEAKER.finditer(text):
                words = m.group("name").split()
                if all(self._plain_name_word(w) for w in words):
                    out.append(Finding(m.start("name"), m.end("name"), PERSON, "SpeakerNames", 0.6))
        for m in _INITIAL_NAME.finditer(text):
            words = m.group("name").split()
            if self._plain_name_word(words[0]) and self._plain_name_word(words[-1]):
                out.append(Finding(m.start("name"), m.end("name"), PERSON, "InitialNames", 0.7))
        for m in _SIGNOFF_RE.finditer(text):
            span = self._accept_words(text, m.start("name"), m.group("name"), True, language)
            if span:
                out.append(Finding(span[0], span[1], PERSON, "SignOffNames", 0.8))
        if "=" in text or ":" in text or "<" in text:
            for m in _CODE_CUE.finditer(text):
                if m.group("name") is not None:
                    key, value, vstart = m.group("key"), m.group("name"), m.start("name")
                else:
                    key, value, vstart = m.group("tag"), m.group("tname"), m.start("tname")
                person_key = bool(_PERSON_KEYS.match(key))
                words = value.split()
                if (
                    not person_key
                    and not any(w[:1].isupper() for w in words)
                    and not is_given(words[0])
                ):
                    continue
                span = self._accept_words(text, vstart, value, True, language)
                if span:
                    out.append(Finding(span[0], span[1], PERSON, "CodeKeyNames", 0.8))
        return out
