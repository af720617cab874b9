"""A labeled, conversation-shaped evaluation set: LMSYS records plus character-exact labels.

    python -m redact.evaluation.generate --n 400 --seed 1 --out conversations.jsonl

Each line is an LMSYS-Chat-1M record (conversation_id, model, conversation, turn, language)
plus `labels`: [{message_index, start, end, entity_type, entity_id?}] with canonical entity
types. Values come from Faker's locales (names, emails, phones, addresses, cards, IBANs, IDs,
IPs), so the set has broad vocabularies rather than a fixed list of strings; what the set is
built to exercise:

- multi-turn user and assistant turns in seven languages (en, fr, de, es, it, pt, nl);
- names in lower case and ALL CAPS, first names alone, greetings ("Hi Anna"), sign-offs
  ("Best,\\nAnna"), names and emails inside code strings and comments, names repeated in
  later turns (the assistant echoing "Hello ANNA!", "tell anna i said hi");
- public figures ("a poem about Barack Obama"): labelled as names; our policy redacts them
  (a public figure in a chat log is still a person the user talks about);
- phone numbers in national and international formats of many regions, street addresses
  of several countries, cards, IBANs, national IDs (US SSN, ES NIF, IT codice fiscale), IPs;
- negatives that must survive: identifiers (UserManager, Total, getName), model names
  (ChatGPT, Vicuna), version strings and dates that look like IPs or phones, pre-existing
  NAME_1 placeholders, places and organisations.

Person labels carry `entity_id` so placeholder consistency can be checked across turns.
Seeds are fixed; the committed fixture uses seed 1, tests generate larger sets with seed 2 and
`docs/detection.md` reports a held-out seed (99) that nothing was tuned on.
"""

from __future__ import annotations

import argparse
import json
import random
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LANGS = {
    "English": ["en_US", "en_GB", "en_AU", "en_CA", "en_IE", "en_IN"],
    "French": ["fr_FR", "fr_CH", "fr_BE"],
    "German": ["de_DE", "de_AT", "de_CH"],
    "Spanish": ["es_ES", "es_MX"],
    "Italian": ["it_IT"],
    "Portuguese": ["pt_BR", "pt_PT"],
    "Dutch": ["nl_NL", "nl_BE"],
}
LANG_WEIGHTS = {
    "English": 0.46,
    "French": 0.1,
    "German": 0.1,
    "Spanish": 0.1,
    "Italian": 0.08,
    "Portuguese": 0.08,
    "Dutch": 0.08,
}
REGION_OF = {
    "en_US": "US",
    "en_GB": "GB",
    "en_AU": "AU",
    "en_CA": "CA",
    "en_IE": "IE",
    "en_IN": "IN",
    "fr_FR": "FR",
    "fr_CH": "CH",
    "fr_BE": "BE",
    "de_DE": "DE",
    "de_AT": "AT",
    "de_CH": "CH",
    "es_ES": "ES",
    "es_MX": "MX",
    "it_IT": "IT",
    "pt_BR": "BR",
    "pt_PT": "PT",
    "nl_NL": "NL",
    "nl_BE": "BE",
}
WORLD_REGIONS = [
    "US",
    "GB",
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
    "IN",
    "AU",
    "CA",
    "IE",
    "PL",
    "SE",
    "NO",
    "DK",
    "FI",
    "JP",
    "KR",
    "CN",
    "SG",
    "ZA",
    "NG",
    "KE",
    "EG",
    "TR",
    "RU",
    "UA",
    "IL",
    "AE",
    "PH",
    "ID",
    "VN",
    "TH",
    "NZ",
    "CZ",
    "GR",
    "RO",
]
MODELS = [
    "vicuna-13b",
    "koala-13b",
    "alpaca-13b",
    "chatglm-6b",
    "llama-13b",
    "oasst-pythia-12b",
    "gpt-3.5-turbo",
]
PUBLIC_FIGURES = [
    "Barack Obama",
    "Elon Musk",
    "Taylor Swift",
    "Angela Merkel",
    "Emmanuel Macron",
    "Lionel Messi",
    "Cristiano Ronaldo",
    "Albert Einstein",
    "Marie Curie",
    "Shakespeare",
    "Leonardo da Vinci",
    "Donald Trump",
    "Joe Biden",
    "Bill Gates",
    "Steve Jobs",
    "Oprah Winfrey",
    "Serena Williams",
]

FILLER_LOCALE = {
    "English": "en_US",
    "French": "fr_FR",
    "German": "de_DE",
    "Spanish": "es_ES",
    "Italian": "it_IT",
    "Dutch": "nl_NL",
}
PT_SENTENCES = [
    "Preciso de ajuda com um relatório para amanhã.",
    "O projeto atrasou por causa da chuva.",
    "Gostaria de saber o preço do envio para Lisboa.",
    "A reunião foi muito produtiva.",
    "Ainda não recebi a encomenda.",
    "O sistema ficou lento depois da atualização.",
    "Quero melhorar o meu currículo.",
    "Vamos viajar para o Rio de Janeiro em julho.",
    "A fatura chegou com um valor errado.",
    "O restaurante fecha às dez horas.",
    "Meu computador não liga desde ontem.",
    "Estou a estudar para o exame de matemática.",
    "A empresa contratou novos funcionários.",
    "O contrato precisa de ser assinado hoje.",
    "Obrigado pela resposta rápida.",
    "O Google Drive não sincroniza os ficheiros.",
]

ES_SENTENCES = [
    "Necesito ayuda con un informe para mañana.",
    "El proyecto se retrasó por la lluvia.",
    "Quisiera saber el precio del envío a Sevilla.",
    "La reunión fue muy productiva.",
    "Todavía no he recibido el pedido.",
    "El sistema va lento desde la actualización.",
    "Quiero mejorar mi currículum.",
    "Vamos a viajar a Barcelona en julio.",
    "La factura llegó con un importe incorrecto.",
    "El restaurante cierra a las diez.",
    "Mi ordenador no enciende desde ayer.",
    "Estoy estudiando para el examen de matemáticas.",
    "La empresa contrató a nuevos empleados.",
    "El contrato tiene que firmarse hoy.",
    "Gracias por la respuesta rápida.",
    "Microsoft Teams no funciona en mi portátil.",
]

# Localised phrases. {n} = name, {f} = first name.
GREET = {
    "English": ["Hi", "Hello", "Hey", "Good morning", "Dear"],
    "French": ["Bonjour", "Salut", "Cher"],
    "German": ["Hallo", "Liebe", "Guten Tag"],
    "Spanish": ["Hola", "Querido", "Buenos días"],
    "Italian": ["Ciao", "Caro", "Buongiorno"],
    "Portuguese": ["Olá", "Oi", "Prezado"],
    "Dutch": ["Hoi", "Hallo", "Beste"],
}
INTRO = {
    "English": [
        "my name is {n}.",
        "I'm {n}.",
        "this is {n} here.",
        "you can call me {n}.",
        "I am {n} and I need help.",
    ],
    "French": ["je m'appelle {n}.", "je suis {n}.", "mon nom est {n}."],
    "German": ["ich heiße {n}.", "mein Name ist {n}.", "ich bin {n}."],
    "Spanish": ["me llamo {n}.", "mi nombre es {n}.", "soy {n}."],
    "Italian": ["mi chiamo {n}.", "sono {n}.", "il mio nome è {n}."],
    "Portuguese": ["meu nome é {n}.", "me chamo {n}.", "eu sou {n}."],
    "Dutch": ["mijn naam is {n}.", "ik heet {n}.", "ik ben {n}."],
}
SIGNOFF = {
    "English": ["Best,", "Best regards,", "Kind regards,", "Thanks,", "Cheers,", "Sincerely,"],
    "French": ["Cordialement,", "Bien à vous,", "Merci,"],
    "German": ["Viele Grüße,", "Mit freundlichen Grüßen,", "Liebe Grüße,"],
    "Spanish": ["Saludos,", "Un saludo,", "Atentamente,"],
    "Italian": ["Cordiali saluti,", "Saluti,", "Grazie,"],
    "Portuguese": ["Atenciosamente,", "Abraços,", "Obrigado,"],
    "Dutch": ["Met vriendelijke groet,", "Groeten,", "Bedankt,"],
}
PHONE_CUE = {
    "English": [
        "My phone number is {p}.",
        "You can reach me at {p}.",
        "Call me on {p} after 5pm.",
        "my cell: {p}",
    ],
    "French": ["Mon numéro est le {p}.", "Vous pouvez m'appeler au {p}.", "tél : {p}"],
    "German": ["Meine Telefonnummer ist {p}.", "Ruf mich unter {p} an.", "Tel.: {p}"],
    "Spanish": ["Mi teléfono es {p}.", "Puedes llamarme al {p}.", "móvil: {p}"],
    "Italian": ["Il mio numero è {p}.", "Chiamami al {p}.", "cellulare: {p}"],
    "Portuguese": ["Meu telefone é {p}.", "Pode me ligar no {p}.", "celular: {p}"],
    "Dutch": ["Mijn telefoonnummer is {p}.", "Bel me op {p}.", "tel: {p}"],
}
ADDRESS_CUE = {
    "English": [
        "I live at {a}.",
        "Please ship it to {a}.",
        "Our office is at {a}.",
        "Send the letter to:\n{a}",
    ],
    "French": ["J'habite au {a}.", "Envoyez-le à cette adresse : {a}.", "Mon adresse est {a}."],
    "German": ["Ich wohne in der {a}.", "Bitte schick es an {a}.", "Meine Adresse ist {a}."],
    "Spanish": ["Vivo en {a}.", "Envíalo a {a}.", "Mi dirección es {a}."],
    "Italian": ["Abito in {a}.", "Spediscilo a {a}.", "Il mio indirizzo è {a}."],
    "Portuguese": ["Moro na {a}.", "Envie para {a}.", "Meu endereço é {a}."],
    "Dutch": ["Ik woon op {a}.", "Stuur het naar {a}.", "Mijn adres is {a}."],
}
ASK = {
    "English": [
        "Can you help me write a short message?",
        "Please translate this into formal language.",
        "What do you think?",
    ],
    "French": [
        "Peux-tu m'aider à écrire un message ?",
        "Merci de reformuler ce texte.",
        "Qu'en penses-tu ?",
    ],
    "German": [
        "Kannst du mir helfen, eine Nachricht zu schreiben?",
        "Bitte formuliere das höflicher.",
        "Was meinst du?",
    ],
    "Spanish": [
        "¿Puedes ayudarme a escribir un mensaje?",
        "Por favor, reescribe esto.",
        "¿Qué opinas?",
    ],
    "Italian": [
        "Puoi aiutarmi a scrivere un messaggio?",
        "Per favore riscrivi questo testo.",
        "Cosa ne pensi?",
    ],
    "Portuguese": [
        "Pode me ajudar a escrever uma mensagem?",
        "Por favor, reescreva isto.",
        "O que você acha?",
    ],
    "Dutch": [
        "Kun je me helpen een bericht te schrijven?",
        "Herschrijf dit alsjeblieft.",
        "Wat vind jij?",
    ],
}


@dataclass
class Turn:
    role: str
    text: str = ""
    labels: list[dict[str, Any]] = field(default_factory=list)

    def add(self, s: str) -> Turn:
        self.text += s
        return self

    def pii(self, value: str, entity_type: str, entity_id: str | None = None) -> Turn:
        start = len(self.text)
        self.text += value
        label = {"start": start, "end": start + len(value), "entity_type": entity_type}
        if entity_id:
            label["entity_id"] = entity_id
        self.labels.append(label)
        return self

    def fmt(self, template: str, **values: tuple[str, str, str | None]) -> Turn:
        """Append `template` where {key} placeholders become labelled values (value, type, id)."""
        pos = 0
        while True:
            i = template.find("{", pos)
            if i < 0:
                self.add(template[pos:])
                return self
            j = template.index("}", i)
            self.add(template[pos:i])
            value, entity_type, entity_id = values[template[i + 1 : j]]
            if entity_type:
                self.pii(value, entity_type, entity_id)
            else:
                self.add(value)
            pos = j + 1


@dataclass
class Person:
    pid: str
    first: str
    last: str
    email: str
    phone: str

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"


class ConversationFactory:
    def __init__(self, seed: int):
        from faker import Faker

        self.rng = random.Random(seed)
        self.fakers: dict[str, Faker] = {}
        self.seed = seed
        from presidio_analyzer.predefined_recognizers import IbanRecognizer

        self._iban_check = IbanRecognizer()

    def faker(self, locale: str):
        if locale not in self.fakers:
            from faker import Faker

            f = Faker(locale)
            f.seed_instance(self.seed * 7919 + len(self.fakers))
            self.fakers[locale] = f
        return self.fakers[locale]

    # ------------------------------------------------------------------ values
    def casing(self, s: str, p_lower: float = 0.15, p_upper: float = 0.1) -> str:
        r = self.rng.random()
        if r < p_lower:
            return s.lower()
        if r < p_lower + p_upper:
            return s.upper()
        return s

    def person(self, locale: str, pid: str) -> Person:
        f = self.faker(locale)
        first = f.first_name()
        last = f.last_name()
        domain = self.rng.choice(
            [
                "example.com",
                "example.org",
                "mail.example.net",
                f.free_email_domain(),
                f.domain_name(),
            ]
        )
        local = self.rng.choice(
            [
                f"{first}.{last}",
                f"{first[0]}{last}",
                f"{first}{self.rng.randint(1, 99)}",
                f.user_name(),
            ]
        )
        local = "".join(c for c in _ascii(local).lower() if c.isalnum() or c in "._") or "user"
        return Person(pid, first, last, f"{local}@{domain}", self.phone(locale))

    def phone(self, locale: str) -> str:
        import phonenumbers
        from phonenumbers import PhoneNumberFormat

        region = REGION_OF.get(locale, "US")
        if self.rng.random() < 0.3:
            region = self.rng.choice(WORLD_REGIONS)
            fmt = PhoneNumberFormat.INTERNATIONAL
        else:
            fmt = self.rng.choice(
                [
                    PhoneNumberFormat.NATIONAL,
                    PhoneNumberFormat.NATIONAL,
                    PhoneNumberFormat.INTERNATIONAL,
                    PhoneNumberFormat.E164,
                ]
            )
        f = self.faker(locale)
        for _ in range(30):
            if region == REGION_OF.get(locale) and self.rng.random() < 0.5:
                raw = f.phone_number()
                try:
                    number = phonenumbers.parse(raw, region)
                except phonenumbers.NumberParseException:
                    continue
            else:
                kind = self.rng.choice(
                    [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]
                )
                example = phonenumbers.example_number_for_type(
                    region, kind
                ) or phonenumbers.example_number(region)
                if example is None:
                    region = "US"
                    continue
                digits = str(example.national_number)
                keep = max(2, len(digits) // 3)
                mutated = digits[:keep] + "".join(
                    self.rng.choice(string.digits) for _ in digits[keep:]
                )
                number = phonenumbers.parse(f"+{example.country_code}{mutated}", None)
            if phonenumbers.is_valid_number(number):
                text = phonenumbers.format_number(number, fmt)
                if fmt == PhoneNumberFormat.NATIONAL and self.rng.random() < 0.2:
                    text = text.replace(" ", self.rng.choice(["-", ".", " "]))
                return text
        return "+1 415-555-0132"

    def address(self, locale: str) -> str:
        f = self.faker(locale)
        for _ in range(10):
            a = f.address()
            if "FPO" not in a and "APO" not in a and "DPO" not in a:
                break
        return a.replace("\n", self.rng.choice([", ", "\n", ", ", " "]))

    def card(self, locale: str) -> str:
        f = self.faker("en_US")  # card networks are global; other locales lack some types
        number = f.credit_card_number(
            card_type=self.rng.choice(["visa", "mastercard", "amex", "discover", None])
        )
        if self.rng.random() < 0.5 and len(number) == 16:
            sep = self.rng.choice([" ", "-"])
            number = sep.join(number[i : i + 4] for i in range(0, 16, 4))
        return number

    def iban(self, locale: str) -> str:
        for _ in range(10):
            value = self.faker(locale).iban()
            if self._iban_check.validate_result(value):
                if self.rng.random() < 0.5:
                    value = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
                return value
        return "DE89 3704 0044 0532 0130 00"

    def national_id(self, language: str, locale: str) -> tuple[str, str] | None:
        if language == "Spanish" and locale == "es_ES":
            n = self.rng.randint(10_000_000, 99_999_999)
            return f"{n}{'TRWAGMYFPDXBNJZSQVHLCKE'[n % 23]}", "NIF"
        if language == "Italian":
            return self.faker("it_IT").ssn(), "codice fiscale"
        if locale == "en_US":
            while True:
                ssn = self.faker("en_US").ssn()
                a, b, c = ssn.split("-")
                if a not in ("000", "666") and not a.startswith("9") and b != "00" and c != "0000":
                    return ssn, "SSN"
        return None

    def filler(self, locale: str, sentences: int = 2) -> str:
        language = next((lang for lang, locs in LANGS.items() if locale in locs), "English")
        if language == "Portuguese":  # Faker has no Portuguese word list
            return " ".join(self.rng.sample(PT_SENTENCES, sentences))
        if language == "Spanish":  # Faker's Spanish word list is full of given names
            return " ".join(self.rng.sample(ES_SENTENCES, sentences))
        return self.faker(FILLER_LOCALE[language]).paragraph(nb_sentences=sentences)

    # ------------------------------------------------------------------ conversation
    def conversation(self, index: int) -> dict[str, Any]:
        rng = self.rng
        language = rng.choices(list(LANG_WEIGHTS), weights=list(LANG_WEIGHTS.values()))[0]
        locale = rng.choice(LANGS[language])
        people = [self.person(locale, f"p{i + 1}") for i in range(rng.choice([1, 1, 2, 2, 3]))]
        self.introduced = {people[0].pid}
        self.full_mentioned: set[str] = set()
        turns: list[Turn] = []
        scenes = [
            self.scene_intro,
            self.scene_contact,
            self.scene_letter,
            self.scene_code,
            self.scene_payment,
            self.scene_network,
            self.scene_address,
            self.scene_negatives,
            self.scene_public,
            self.scene_followup,
            self.scene_placeholder,
        ]
        weights = [3, 3, 2, 2, 1, 1, 2, 2, 1, 2, 1]
        chosen = [self.scene_intro] + rng.choices(scenes, weights=weights, k=rng.randint(1, 3))
        for scene in chosen:
            for turn in scene(language, locale, people):
                turns.append(turn)
        if rng.random() < 0.5:
            turns.extend(self.scene_followup(language, locale, people))
        # LMSYS shape: alternate user/assistant, start with the user
        conversation, labels = [], []
        for i, turn in enumerate(turns):
            conversation.append({"content": turn.text, "role": turn.role})
            for label in turn.labels:
                labels.append({"message_index": i, **label})
        return {
            "conversation_id": f"eval-{self.seed}-{index:05d}",
            "model": rng.choice(MODELS),
            "conversation": conversation,
            "turn": sum(1 for t in turns if t.role == "user"),
            "language": language,
            "labels": labels,
        }

    def name_mention(self, p: Person, full_ok: bool = True) -> tuple[str, str, str]:
        form = self.rng.random()
        value = p.full if (full_ok and form < 0.55) else p.first
        if value == p.full:
            self.full_mentioned.add(p.pid)
        return self.casing(value), "PERSON", p.pid

    def scene_intro(self, language, locale, people):
        rng = self.rng
        me = people[0]
        u = Turn("user")
        greet = rng.choice(GREET[language])
        if greet in ("Dear", "Cher", "Liebe", "Querido", "Caro", "Prezado", "Beste"):
            greet = rng.choice(GREET[language][:2])
        u.add(f"{greet}, ")
        u.fmt(rng.choice(INTRO[language]), n=self.name_mention(me))
        u.add(" " + self.filler(locale, 2) + " " + rng.choice(ASK[language]))
        a = Turn("assistant")
        a.add(rng.choice(["Hello", "Hi", "Nice to meet you", "Sure"]) + ", ")
        a.pii(self.casing(me.first, 0.1, 0.15), "PERSON", me.pid)
        a.add(
            "! "
            + rng.choice(
                [
                    "I'm an AI assistant and I'm happy to help.",
                    "How can I help you today?",
                    "Of course, let's get started.",
                ]
            )
        )
        return [u, a]

    def scene_contact(self, language, locale, people):
        rng = self.rng
        me = people[0]
        u = Turn("user")
        u.fmt(rng.choice(PHONE_CUE[language]), p=(me.phone, "PHONE_NUMBER", None))
        u.add(" ")
        u.add(rng.choice(["My email is ", "Email: ", "Write to ", "Contact: "]))
        u.pii(me.email, "EMAIL_ADDRESS")
        u.add(". " + self.filler(locale, 1))
        if rng.random() < 0.5:
            u.add(" Also a plain number without context: ")
            u.pii(self.phone(locale), "PHONE_NUMBER")
            u.add(".")
        a = Turn("assistant")
        a.add("Thanks. I've noted your number ")
        a.pii(me.phone, "PHONE_NUMBER")
        a.add(" and email ")
        a.pii(me.email, "EMAIL_ADDRESS")
        a.add(
            ". "
            + rng.choice(
                ["Is there anything else?", "I will not share them.", "Let me draft the message."]
            )
        )
        return [u, a]

    def scene_letter(self, language, locale, people):
        rng = self.rng
        me = people[0]
        other = people[1] if len(people) > 1 else self.person(locale, f"p{len(people) + 1}")
        if other not in people:
            people.append(other)
        u = Turn("user")
        u.add("Write an email to ")
        u.pii(other.full, "PERSON", other.pid)
        self.introduced.add(other.pid)
        self.full_mentioned.add(other.pid)
        u.add(" (")
        u.pii(other.email, "EMAIL_ADDRESS")
        u.add(") about the project. Sign it as ")
        u.pii(self.casing(me.first, 0.2, 0.05), "PERSON", me.pid)
        u.add(".")
        a = Turn("assistant")
        a.add(rng.choice(["Dear ", "Hi ", "Hello "]))
        if rng.random() < 0.4:
            a.add(rng.choice(["Mr. ", "Ms. ", "Dr. "]))
            a.pii(other.last, "PERSON", other.pid)
        else:
            a.pii(other.first, "PERSON", other.pid)
        a.add(",\n\n" + self.filler(locale, 3) + "\n\n")
        a.add(rng.choice(SIGNOFF[language]) + "\n")
        a.pii(self.casing(me.first if rng.random() < 0.5 else me.full, 0.1, 0.05), "PERSON", me.pid)
        return [u, a]

    def scene_code(self, language, locale, people):
        rng = self.rng
        me = people[0]
        self.full_mentioned.add(me.pid)
        u = Turn("user")
        style = rng.choice(["python", "js", "sql", "json"])
        if style == "python":
            u.add(
                "Why does this fail?\n```python\nclass UserManager:\n    def __init__(self):\n        self.Total = 0\n\n    def add(self):\n        # added by "
            )
            u.pii(me.full, "PERSON", me.pid)
            u.add('\n        user = {"name": "')
            u.pii(self.casing(me.full, 0.2, 0.1), "PERSON", me.pid)
            u.add('", "email": "')
            u.pii(me.email, "EMAIL_ADDRESS")
            u.add('"}\n        self.Total += 1\n        return getName(user)\n```')
        elif style == "js":
            u.add(
                "Fix my code:\n```js\nconst Total = items.length;\nfunction sendMail(UserManager) {\n  // TODO ask "
            )
            u.pii(me.first, "PERSON", me.pid)
            u.add(" about this\n  const to = '")
            u.pii(me.email, "EMAIL_ADDRESS")
            u.add("';\n  const author = \"")
            u.pii(me.full, "PERSON", me.pid)
            u.add('";\n  return UserManager.notify(to, Total);\n}\n```')
        elif style == "sql":
            u.add("```sql\nINSERT INTO customers (name, email, phone) VALUES ('")
            u.pii(me.full, "PERSON", me.pid)
            u.add("', '")
            u.pii(me.email, "EMAIL_ADDRESS")
            u.add("', '")
            u.pii(me.phone, "PHONE_NUMBER")
            u.add(
                "');\nSELECT Total, Manager FROM Orders WHERE Status = 'Open';\n```\nWhy is the insert slow?"
            )
        else:
            u.add('Parse this JSON: {"author": "')
            u.pii(me.full, "PERSON", me.pid)
            u.add('", "contact": "')
            u.pii(me.email, "EMAIL_ADDRESS")
            u.add('", "version": "1.2.3.4", "TotalCount": 12}')
        a = Turn("assistant")
        a.add(
            "The problem is in `UserManager`: `Total` is never reset. Also rename `getName` to `get_name`. "
        )
        a.add(
            'Here is a fixed version:\n```python\ndef get_name(user):\n    return user["name"]  # e.g. "'
        )
        a.pii(me.first, "PERSON", me.pid)
        a.add('"\n```')
        return [u, a]

    def scene_payment(self, language, locale, people):
        u = Turn("user")
        u.add("My card ")
        u.pii(self.card(locale), "CREDIT_CARD")
        u.add(" was charged twice. Please refund to IBAN ")
        u.pii(self.iban(locale), "IBAN_CODE")
        u.add(".")
        ident = self.national_id(language, locale)
        if ident:
            u.add(f" My {ident[1]} is ")
            u.pii(ident[0], "NATIONAL_ID")
            u.add(".")
        a = Turn("assistant")
        a.add(
            "I can't process payments, but you should contact your bank with the transaction date (2023-10-12) and amount ($1,234.56)."
        )
        return [u, a]

    def scene_network(self, language, locale, people):
        f = self.faker(locale)
        ip = self.rng.choice([f.ipv4_public(), f.ipv4_private(), f.ipv4_public(), f.ipv6()])
        u = Turn("user")
        u.add(
            self.rng.choice(
                [
                    "I can't ssh into my server at ",
                    "Failed password for root from ",
                    "My home IP is ",
                ]
            )
        )
        u.pii(ip, "IP_ADDRESS")
        u.add(self.rng.choice([" port 22 ssh2.", ", what should I check?", ". Is it exposed?"]))
        u.add(
            " I'm on version 1.2.3.4 of the agent (build 10.0.19041.1), updated on 12.10.2023 at 14:30:00."
        )
        a = Turn("assistant")
        a.add("Check that ")
        a.pii(ip, "IP_ADDRESS")
        a.add(
            " allows port 22, and upgrade from v2.3.4.5 to 2.4.0. Run `ping 8.8.8.8` to test DNS."
        )
        return [u, a]

    def scene_address(self, language, locale, people):
        u = Turn("user")
        u.fmt(
            self.rng.choice(ADDRESS_CUE[language]), a=(self.address(locale), "STREET_ADDRESS", None)
        )
        u.add(" " + self.filler(locale, 1))
        a = Turn("assistant")
        a.add("Got it. I'll use that address for the delivery note.")
        return [u, a]

    def scene_negatives(self, language, locale, people):
        rng = self.rng
        u = Turn("user")
        u.add(
            rng.choice(
                [
                    "Compare ChatGPT, Vicuna and Koala for summarising news from Paris and New York.",
                    "Total revenue grew 12% in Q3. Manager approved the Budget. Note: version 3.10.4 is required.",
                    "Explain the difference between UserManager and AccountService classes in Java.",
                    "What happened on 2021-03-04? The meeting is at 10:30, room 1.2.3.",
                    "Summarise: Apple and Google announced new products in London on Monday.",
                ]
            )
        )
        u.add(" " + self.filler(locale, 2))
        a = Turn("assistant")
        a.add(
            rng.choice(
                [
                    "Sure. Vicuna-13B is fine-tuned from LLaMA; ChatGPT is from OpenAI. Python 3.11.4 works.",
                    "Here is a summary. Total: 42 items. Price: 19.99 EUR. Call order #4711-2023-08.",
                    "The UserManager handles users, while AccountService handles accounts. Hello World!",
                ]
            )
        )
        return [u, a]

    def scene_public(self, language, locale, people):
        figure = self.rng.choice(PUBLIC_FIGURES)
        u = Turn("user")
        u.add(self.rng.choice(["Write a short poem about ", "What did ", "Summarise the life of "]))
        u.pii(figure, "PERSON", "public:" + figure)
        u.add(self.rng.choice([".", " say about climate?", " in three sentences."]))
        a = Turn("assistant")
        a.pii(figure, "PERSON", "public:" + figure)
        a.add(" is widely known. " + self.filler("en_US", 2))
        return [u, a]

    def scene_followup(self, language, locale, people):
        rng = self.rng
        me = people[-1] if people[-1].pid in self.introduced else people[0]
        u = Turn("user")
        form = rng.random()
        if form < 0.4:
            u.add("thanks! tell ")
            u.pii(me.first.lower(), "PERSON", me.pid)
            u.add(" i said hi.")
        elif form < 0.7 or me.pid not in self.full_mentioned:
            u.pii(me.first.upper(), "PERSON", me.pid)
            u.add(" WILL CALL YOU BACK. " + rng.choice(ASK[language]))
        elif me.pid in self.full_mentioned:
            u.add("Can you rewrite it for ")
            u.pii(me.last, "PERSON", me.pid)
            u.add("? " + rng.choice(ASK[language]))
        a = Turn("assistant")
        a.add("Of course. ")
        a.pii(me.first, "PERSON", me.pid)
        a.add(" will appreciate it.")
        return [u, a]

    def scene_placeholder(self, language, locale, people):
        u = Turn("user")
        u.add("NAME_1 told me that EMAIL_1 is wrong; my colleague ")
        other = self.person(locale, f"p{len(people) + 1}")
        people.append(other)
        u.pii(other.full, "PERSON", other.pid)
        u.add(" agrees.")
        self.introduced.add(other.pid)
        self.full_mentioned.add(other.pid)
        a = Turn("assistant")
        a.add("Understood, NAME_1 and ")
        a.pii(other.first, "PERSON", other.pid)
        a.add(" can update it.")
        return [u, a]


def _ascii(s: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


def generate(n: int, seed: int) -> list[dict[str, Any]]:
    factory = ConversationFactory(seed)
    return [factory.conversation(i) for i in range(n)]


def write(path: str | Path, n: int, seed: int) -> int:
    rows = generate(n, seed)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with open(p, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m redact.evaluation.generate")
    p.add_argument("--n", type=int, default=400)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    print(f"wrote {write(args.out, args.n, args.seed)} conversations to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
