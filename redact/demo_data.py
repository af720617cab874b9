"""Synthetic conversations in the LMSYS-Chat-1M shape, with planted personal data.

Used by `redact demo-data`, the tests and the benchmark. The mix is shaped like LMSYS-Chat-1M:
mostly English with several other languages, vicuna-13b the most common model, mostly one or
two user turns, prompts around 70 tokens and responses around 215, code in many answers. Prose
is assembled from templates and random words so that no two paragraphs repeat verbatim (a
cache keyed on text would otherwise look unrealistically good).

About 60% of conversations carry planted personal data in user and assistant turns: full
names and later first-name mentions, emails, national-format phone numbers, street addresses,
IPv4 addresses, Luhn-valid card numbers, checksum-valid IBANs and (US only) SSNs.
`generate_labeled` yields every record with the list of what was planted where, so tests can
check that none of it survives redaction.

Everything is deterministic for a seed: each call builds its own `random.Random` and seeded
Faker instances, and never touches global random state.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import string
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from redact.records import (
    CREDIT_CARD,
    EMAIL_ADDRESS,
    IBAN_CODE,
    IP_ADDRESS,
    NATIONAL_ID,
    PERSON,
    PHONE_NUMBER,
    STREET_ADDRESS,
)

# Roughly the LMSYS-Chat-1M model mix (vicuna-13b about half of all conversations).
MODELS = (
    ("vicuna-13b", 48),
    ("koala-13b", 8),
    ("alpaca-13b", 6),
    ("chatglm-6b", 5),
    ("llama-13b", 4),
    ("vicuna-33b", 6),
    ("oasst-pythia-12b", 5),
    ("fastchat-t5-3b", 4),
    ("gpt-3.5-turbo", 4),
    ("llama-2-13b-chat", 4),
    ("claude-1", 3),
    ("mpt-7b-chat", 3),
)

# LMSYS language name -> (share, Faker locales for people and places, lorem source)
LANGUAGES = {
    "English": (0.72, ("en_US", "en_US", "en_US", "en_GB"), "en_US"),
    "Russian": (0.05, ("ru_RU",), "ru_RU"),
    "Chinese": (0.05, ("zh_CN",), "zh_CN"),
    "Spanish": (0.04, ("es_ES",), "es_ES"),
    "German": (0.04, ("de_DE",), "de_DE"),
    "French": (0.04, ("fr_FR",), "fr_FR"),
    "Portuguese": (0.03, ("pt_BR",), None),
    "Italian": (0.03, ("it_IT",), "it_IT"),
}
LOCALES = ("en_US", "en_GB", "fr_FR", "de_DE", "es_ES", "pt_BR", "it_IT", "ru_RU", "zh_CN")
# Locales whose Faker IBANs use a country Presidio validates; others borrow one of these.
_IBAN_LOCALES = ("en_GB", "fr_FR", "de_DE", "es_ES", "it_IT")

MODERATION_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)

# Number of user turns: mostly 1 or 2, a long tail; mean about 2 as in LMSYS.
_TURNS = ((1, 60), (2, 18), (3, 8), (4, 5), (5, 3), (6, 2), (8, 2), (10, 1), (12, 1))

PII_SHARE = 0.6

_PT_WORDS = (
    "casa tempo trabalho cidade governo empresa pessoa mundo vida dia ano projeto sistema "
    "problema exemplo resposta pergunta escola família amigo mercado dinheiro viagem história "
    "livro música cliente serviço produto relatório reunião equipe ideia forma parte lugar "
    "fazer dizer poder saber querer ver dar ficar passar precisar conhecer pensar começar "
    "novo grande bom melhor importante possível simples rápido difícil claro próximo último "
    "sempre também muito ainda depois agora então aqui hoje quase mesmo apenas bem mais menos "
    "para com sem sobre entre durante porque quando como onde que uma um os as do da no na"
).split()

# Per-language text. Slots: {topic}, {name}, {first}, {email}, {phone}, {address}, {ip}, {ip2},
# {card}, {iban}, {ssn}, {company}, {n}. Only slots a template uses get planted.
TEXT: dict[str, dict[str, tuple[str, ...]]] = {
    "English": {
        "topics": (
            "the history of the Roman Empire",
            "how photosynthesis works",
            "a marketing plan for a bakery",
            "the difference between TCP and UDP",
            "training a neural network on small data",
            "how to negotiate a salary",
            "the causes of inflation",
            "a workout plan for beginners",
            "writing unit tests in Python",
            "the plot of a science fiction short story",
            "how vaccines train the immune system",
            "choosing a database for a web app",
            "the rules of chess openings",
            "a travel itinerary for Japan",
            "renewable energy storage",
        ),
        "ask": (
            "Can you explain {topic} in simple terms?",
            "Write a short essay about {topic}.",
            "I need help with {topic}. Where should I start?",
            "Give me {n} key points about {topic}.",
            "What are the most common mistakes people make with {topic}?",
            "Summarize {topic} for a presentation tomorrow.",
            "Act as an expert and tell me about {topic}.",
        ),
        "pii_ask": (
            "My name is {name} and you can reach me at {email}.",
            "Please write a cover letter for {name}, phone {phone}, who lives at {address}.",
            "Format this contact card: {name}, {email}, {phone}.",
            "I was charged twice on my card {card}. What should I tell the bank?",
            "Draft a payment reminder to {name}: the invoice must be paid to IBAN {iban}.",
            "Our server at {ip} keeps refusing SSH connections from {ip2}. Why?",
            "Write a birthday message for my friend {name}, who just moved to {address}.",
            "Reply to this email from {name} <{email}> politely but firmly.",
            "Call {name} at {phone} and tell them the meeting moved to Friday.",
            "Ship the order to {name}, {address}, and send the tracking number to {email}.",
        ),
        "pii_ask_us": (
            "My SSN is {ssn}. Is it safe to type it into an online tax form?",
            "Fill in this form: name {name}, SSN {ssn}, phone {phone}.",
        ),
        "follow": (
            "Thanks! Can you make it shorter?",
            "Can you add more detail to the second point?",
            "Now rewrite it in a more formal tone.",
            "That is not what I meant. Try again.",
            "Great, and what about the costs?",
            "Please continue.",
        ),
        "pii_follow": (
            "Also mention that {first} will be late.",
            "Add that {first} can be reached at {phone}.",
            "Send a copy to {email} as well.",
            "Change the address to {address}.",
        ),
        "answer": (
            "Sure! Here is an overview of {topic}.",
            "Certainly. Let us break {topic} down into a few parts.",
            "Great question. Let me explain {topic} step by step.",
            "Here is a draft you can adapt.",
            "As an AI language model, I can give you a general answer.",
        ),
        "pii_answer": (
            "Dear {name},\n\nThank you for your message.",
            "Sure, {first}! Here is what I suggest.",
            "Here is the formatted contact:\n\nName: {name}\nEmail: {email}\nPhone: {phone}\nAddress: {address}",
            "Best regards,\n{name}\n{phone}\n{email}",
            "Please double-check the IBAN {iban} with your bank before sending money.",
            "I would not share the card number {card} in a chat; contact your bank instead.",
            "Hi {first}, the package will be delivered to {address}.",
            "You can allow {ip} in the firewall with a rule for port 22.",
        ),
        "close": (
            "I hope this helps!",
            "Let me know if you need anything else.",
            "Feel free to ask if you have more questions.",
            "Good luck!",
        ),
        "code_ask": (
            "Write a {lang} example for a {cls} that stores users.",
            "Fix the bug in this {lang} code.",
            "Explain what this {lang} snippet does.",
        ),
    },
    "French": {
        "topics": (
            "l'histoire de la Révolution française",
            "la photosynthèse",
            "un plan marketing pour une boulangerie",
            "les bases de données relationnelles",
            "la cuisine provençale",
            "le changement climatique",
        ),
        "ask": (
            "Peux-tu m'expliquer {topic} simplement ?",
            "Écris un court texte sur {topic}.",
            "Donne-moi {n} idées sur {topic}.",
            "Quels sont les points importants sur {topic} ?",
        ),
        "pii_ask": (
            "Je m'appelle {name} et mon adresse e-mail est {email}.",
            "Écris une lettre de motivation pour {name}, téléphone {phone}, domicilié {address}.",
            "Rédige un rappel de paiement pour {name} : virement sur l'IBAN {iban}.",
            "Mon serveur {ip} refuse les connexions de {ip2}.",
            "Réponds à ce courriel de {name} <{email}>.",
        ),
        "pii_ask_us": (),
        "follow": ("Merci ! Peux-tu raccourcir ?", "Plus de détails, s'il te plaît.", "Continue."),
        "pii_follow": (
            "Ajoute que {first} sera en retard.",
            "Envoie une copie à {email}.",
            "{first} est joignable au {phone}.",
        ),
        "answer": (
            "Bien sûr ! Voici un aperçu de {topic}.",
            "Voici une proposition que tu peux adapter.",
            "Excellente question. Expliquons {topic} étape par étape.",
        ),
        "pii_answer": (
            "Cher {name},\n\nMerci pour votre message.",
            "Bien sûr, {first} ! Voici ma suggestion.",
            "Cordialement,\n{name}\n{phone}\n{email}",
            "Vérifiez l'IBAN {iban} auprès de votre banque.",
        ),
        "close": ("J'espère que cela t'aide !", "N'hésite pas si tu as d'autres questions."),
        "code_ask": ("Écris un exemple {lang} pour une classe {cls}.", "Corrige ce code {lang}."),
    },
    "German": {
        "topics": (
            "die Geschichte Berlins",
            "die Photosynthese",
            "ein Marketingplan für eine Bäckerei",
            "relationale Datenbanken",
            "erneuerbare Energien",
            "die deutsche Grammatik",
        ),
        "ask": (
            "Kannst du mir {topic} einfach erklären?",
            "Schreibe einen kurzen Text über {topic}.",
            "Nenne mir {n} wichtige Punkte zu {topic}.",
            "Was sollte man über {topic} wissen?",
        ),
        "pii_ask": (
            "Ich heiße {name} und meine E-Mail-Adresse ist {email}.",
            "Schreibe ein Bewerbungsschreiben für {name}, Telefon {phone}, wohnhaft {address}.",
            "Formuliere eine Zahlungserinnerung an {name}: Überweisung auf IBAN {iban}.",
            "Der Server {ip} lehnt Verbindungen von {ip2} ab.",
            "Antworte auf diese E-Mail von {name} <{email}>.",
        ),
        "pii_ask_us": (),
        "follow": ("Danke! Kannst du es kürzen?", "Bitte mehr Details.", "Weiter."),
        "pii_follow": (
            "Erwähne, dass {first} später kommt.",
            "Schicke eine Kopie an {email}.",
            "{first} ist unter {phone} erreichbar.",
        ),
        "answer": (
            "Gerne! Hier ist ein Überblick über {topic}.",
            "Hier ist ein Entwurf, den du anpassen kannst.",
            "Gute Frage. Ich erkläre {topic} Schritt für Schritt.",
        ),
        "pii_answer": (
            "Sehr geehrte/r {name},\n\nvielen Dank für Ihre Nachricht.",
            "Klar, {first}! Mein Vorschlag:",
            "Mit freundlichen Grüßen\n{name}\n{phone}\n{email}",
            "Bitte prüfen Sie die IBAN {iban} bei Ihrer Bank.",
        ),
        "close": ("Ich hoffe, das hilft!", "Melde dich, wenn du weitere Fragen hast."),
        "code_ask": (
            "Schreibe ein {lang}-Beispiel für eine Klasse {cls}.",
            "Behebe den Fehler in diesem {lang}-Code.",
        ),
    },
    "Spanish": {
        "topics": (
            "la historia de España",
            "la fotosíntesis",
            "un plan de marketing para una panadería",
            "las bases de datos relacionales",
            "la energía solar",
            "la cocina mexicana",
        ),
        "ask": (
            "¿Puedes explicarme {topic} de forma sencilla?",
            "Escribe un texto breve sobre {topic}.",
            "Dame {n} ideas sobre {topic}.",
            "¿Qué es lo más importante de {topic}?",
        ),
        "pii_ask": (
            "Me llamo {name} y mi correo es {email}.",
            "Escribe una carta de presentación para {name}, teléfono {phone}, con domicilio en {address}.",
            "Redacta un recordatorio de pago para {name}: transferencia al IBAN {iban}.",
            "Mi servidor {ip} rechaza las conexiones desde {ip2}.",
            "Responde a este correo de {name} <{email}>.",
        ),
        "pii_ask_us": (),
        "follow": ("¡Gracias! ¿Puedes acortarlo?", "Más detalles, por favor.", "Continúa."),
        "pii_follow": (
            "Añade que {first} llegará tarde.",
            "Envía una copia a {email}.",
            "Se puede contactar a {first} en el {phone}.",
        ),
        "answer": (
            "¡Claro! Aquí tienes un resumen de {topic}.",
            "Aquí tienes un borrador que puedes adaptar.",
            "Buena pregunta. Te explico {topic} paso a paso.",
        ),
        "pii_answer": (
            "Estimado/a {name}:\n\nGracias por su mensaje.",
            "¡Claro, {first}! Esta es mi sugerencia.",
            "Saludos cordiales,\n{name}\n{phone}\n{email}",
            "Verifique el IBAN {iban} con su banco.",
        ),
        "close": ("¡Espero que te sirva!", "Avísame si necesitas algo más."),
        "code_ask": (
            "Escribe un ejemplo en {lang} de una clase {cls}.",
            "Corrige este código {lang}.",
        ),
    },
    "Portuguese": {
        "topics": (
            "a história do Brasil",
            "a fotossíntese",
            "um plano de marketing para uma padaria",
            "bancos de dados relacionais",
            "energia solar",
            "a culinária baiana",
        ),
        "ask": (
            "Você pode explicar {topic} de forma simples?",
            "Escreva um texto curto sobre {topic}.",
            "Me dê {n} ideias sobre {topic}.",
            "O que é mais importante sobre {topic}?",
        ),
        "pii_ask": (
            "Meu nome é {name} e meu e-mail é {email}.",
            "Escreva uma carta de apresentação para {name}, telefone {phone}, residente em {address}.",
            "Escreva um lembrete de pagamento para {name}: transferência para o IBAN {iban}.",
            "Meu servidor {ip} recusa conexões de {ip2}.",
            "Responda a este e-mail de {name} <{email}>.",
        ),
        "pii_ask_us": (),
        "follow": ("Obrigado! Pode encurtar?", "Mais detalhes, por favor.", "Continue."),
        "pii_follow": (
            "Diga que {first} vai se atrasar.",
            "Envie uma cópia para {email}.",
            "O telefone de {first} é {phone}.",
        ),
        "answer": (
            "Claro! Aqui está um resumo sobre {topic}.",
            "Aqui está um rascunho que você pode adaptar.",
            "Boa pergunta. Vou explicar {topic} passo a passo.",
        ),
        "pii_answer": (
            "Prezado(a) {name},\n\nObrigado pela sua mensagem.",
            "Claro, {first}! Minha sugestão:",
            "Atenciosamente,\n{name}\n{phone}\n{email}",
            "Confirme o IBAN {iban} com o seu banco.",
        ),
        "close": ("Espero ter ajudado!", "Se precisar de mais alguma coisa, é só falar."),
        "code_ask": (
            "Escreva um exemplo em {lang} de uma classe {cls}.",
            "Corrija este código {lang}.",
        ),
    },
    "Italian": {
        "topics": (
            "la storia di Roma",
            "la fotosintesi",
            "un piano di marketing per un forno",
            "i database relazionali",
            "l'energia solare",
            "la cucina toscana",
        ),
        "ask": (
            "Puoi spiegarmi {topic} in modo semplice?",
            "Scrivi un breve testo su {topic}.",
            "Dammi {n} idee su {topic}.",
            "Cosa è importante sapere su {topic}?",
        ),
        "pii_ask": (
            "Mi chiamo {name} e la mia email è {email}.",
            "Scrivi una lettera di presentazione per {name}, telefono {phone}, residente in {address}.",
            "Scrivi un sollecito di pagamento a {name}: bonifico sull'IBAN {iban}.",
            "Il mio server {ip} rifiuta le connessioni da {ip2}.",
            "Rispondi a questa email di {name} <{email}>.",
        ),
        "pii_ask_us": (),
        "follow": ("Grazie! Puoi accorciarlo?", "Più dettagli, per favore.", "Continua."),
        "pii_follow": (
            "Aggiungi che {first} arriverà in ritardo.",
            "Manda una copia a {email}.",
            "{first} è raggiungibile al {phone}.",
        ),
        "answer": (
            "Certo! Ecco una panoramica su {topic}.",
            "Ecco una bozza che puoi adattare.",
            "Ottima domanda. Ti spiego {topic} passo dopo passo.",
        ),
        "pii_answer": (
            "Gentile {name},\n\ngrazie per il suo messaggio.",
            "Certo, {first}! Ecco il mio consiglio.",
            "Cordiali saluti,\n{name}\n{phone}\n{email}",
            "Verifichi l'IBAN {iban} con la sua banca.",
        ),
        "close": ("Spero di esserti stato utile!", "Fammi sapere se hai altre domande."),
        "code_ask": (
            "Scrivi un esempio in {lang} di una classe {cls}.",
            "Correggi questo codice {lang}.",
        ),
    },
    "Russian": {
        "topics": (
            "историю Санкт-Петербурга",
            "фотосинтез",
            "маркетинговый план для пекарни",
            "реляционные базы данных",
            "солнечную энергетику",
            "русскую литературу",
        ),
        "ask": (
            "Объясни простыми словами {topic}.",
            "Напиши короткий текст про {topic}.",
            "Дай {n} идей про {topic}.",
            "Что важно знать про {topic}?",
        ),
        "pii_ask": (
            "Меня зовут {name}, моя почта {email}.",
            "Напиши сопроводительное письмо для {name}, телефон {phone}, адрес {address}.",
            "Составь напоминание об оплате для {name}: перевод на IBAN {iban}.",
            "Мой сервер {ip} не принимает подключения с {ip2}.",
            "Ответь на письмо от {name} <{email}>.",
        ),
        "pii_ask_us": (),
        "follow": ("Спасибо! Можно короче?", "Подробнее, пожалуйста.", "Продолжай."),
        "pii_follow": (
            "Добавь, что {first} опоздает.",
            "Отправь копию на {email}.",
            "Телефон {first}: {phone}.",
        ),
        "answer": (
            "Конечно! Вот обзор: {topic}.",
            "Вот черновик, который можно доработать.",
            "Хороший вопрос. Разберём {topic} по шагам.",
        ),
        "pii_answer": (
            "Уважаемый(ая) {name}!\n\nСпасибо за ваше сообщение.",
            "Конечно, {first}! Вот мой совет.",
            "С уважением,\n{name}\n{phone}\n{email}",
            "Проверьте IBAN {iban} в своём банке.",
        ),
        "close": ("Надеюсь, это поможет!", "Если будут вопросы, пиши."),
        "code_ask": (
            "Напиши пример на {lang} для класса {cls}.",
            "Исправь ошибку в этом коде на {lang}.",
        ),
    },
    "Chinese": {
        "topics": (
            "罗马帝国的历史",
            "光合作用",
            "面包店的营销计划",
            "关系型数据库",
            "太阳能",
            "中国菜的做法",
        ),
        "ask": (
            "请简单解释一下{topic}。",
            "写一篇关于{topic}的短文。",
            "给我{n}个关于{topic}的要点。",
            "关于{topic}最重要的是什么？",
        ),
        "pii_ask": (
            "我叫{name}，我的邮箱是{email}。",
            "帮{name}写一封求职信，电话{phone}，住址{address}。",
            "给{name}写一封付款提醒：请转账到IBAN {iban}。",
            "我的服务器{ip}拒绝来自{ip2}的连接。",
            "回复这封来自{name} <{email}>的邮件。",
        ),
        "pii_ask_us": (),
        "follow": ("谢谢！能短一点吗？", "请详细一点。", "继续。"),
        "pii_follow": ("补充一下{first}会晚到。", "抄送给{email}。", "{first}的电话是{phone}。"),
        "answer": (
            "当然！以下是关于{topic}的概述。",
            "这是一份草稿，你可以修改。",
            "好问题。我来一步一步解释{topic}。",
        ),
        "pii_answer": (
            "尊敬的{name}：\n\n感谢您的来信。",
            "好的，{first}！我的建议如下。",
            "此致\n{name}\n{phone}\n{email}",
            "请向银行核实IBAN {iban}。",
        ),
        "close": ("希望对你有帮助！", "如果还有问题，请告诉我。"),
        "code_ask": ("用{lang}写一个{cls}类的例子。", "修复这段{lang}代码的错误。"),
    },
}

_CODE_NAMES = (
    ("UserManager", "user", "users"),
    ("OrderService", "order", "orders"),
    ("CustomerStore", "customer", "customers"),
    ("InvoiceRepository", "invoice", "invoices"),
    ("ContactBook", "contact", "contacts"),
    ("EmployeeRegistry", "employee", "employees"),
    ("AccountController", "account", "accounts"),
    ("TicketQueue", "ticket", "tickets"),
)

_PY_PII = """```python
# {cls} helpers; maintainer: {name} <{email}>
class {cls}:
    def __init__(self, db_url="sqlite:///{items}.db"):
        self.db_url = db_url
        self.{items} = []

    def add_{item}(self, name: str, email: str) -> dict:
        record = {{"name": name, "email": email, "active": True}}
        self.{items}.append(record)
        return record


if __name__ == "__main__":
    store = {cls}()
    store.add_{item}("{name2}", "{email2}")
    print(store.{items})
```"""
_PY_PLAIN = """```python
# {comment}
class {cls}:
    def __init__(self):
        self.{items} = {{}}

    def get_{item}(self, {item}_id: int):
        return self.{items}.get({item}_id)

    def remove_{item}(self, {item}_id: int) -> bool:
        return self.{items}.pop({item}_id, None) is not None
```"""
_JS_PII = """```javascript
// {cls}.js - questions to {email}
const {items} = [
  {{ id: 1, name: "{name}", phone: "{phone}" }},
  {{ id: 2, name: "{name2}", email: "{email2}" }},
];

function find{Item}ByName(name) {{
  return {items}.find((u) => u.name === name);
}}

console.log(find{Item}ByName("{name}"));
```"""
_JS_PLAIN = """```javascript
// {comment}
class {cls} {{
  constructor() {{
    this.{items} = new Map();
  }}
  add({item}) {{
    this.{items}.set({item}.id, {item});
    return this.{items}.size;
  }}
}}
module.exports = {cls};
```"""
_SQL_PII = """```sql
CREATE TABLE {items} (id INT PRIMARY KEY, full_name VARCHAR(100), email VARCHAR(255), last_ip VARCHAR(45));
INSERT INTO {items} (id, full_name, email, last_ip) VALUES
  (1, '{name}', '{email}', '{ip}'),
  (2, '{name2}', '{email2}', '{ip2}');
SELECT full_name, email FROM {items} WHERE last_ip = '{ip}';
```"""
_SQL_PLAIN = """```sql
-- {comment}
SELECT {item}_id, COUNT(*) AS n
FROM {items}
WHERE created_at >= '2023-01-01'
GROUP BY {item}_id
ORDER BY n DESC
LIMIT 10;
```"""
_CODE = {
    "Python": (_PY_PII, _PY_PLAIN),
    "JavaScript": (_JS_PII, _JS_PLAIN),
    "SQL": (_SQL_PII, _SQL_PLAIN),
}

_SLOT_TYPES = {
    "name": PERSON,
    "name2": PERSON,
    "first": PERSON,
    "email": EMAIL_ADDRESS,
    "email2": EMAIL_ADDRESS,
    "phone": PHONE_NUMBER,
    "address": STREET_ADDRESS,
    "ip": IP_ADDRESS,
    "ip2": IP_ADDRESS,
    "card": CREDIT_CARD,
    "iban": IBAN_CODE,
    "ssn": NATIONAL_ID,
}
_FORMATTER = string.Formatter()
_MAIL_DOMAINS = (
    "gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "proton.me", "gmx.de", "web.de", "orange.fr",
    "libero.it", "yandex.ru", "mail.ru", "qq.com", "163.com", "uol.com.br", "icloud.com", "acme-corp.com",
)  # fmt: skip


def _slots(template: str) -> set[str]:
    return {f for _, f, _, _ in _FORMATTER.parse(template) if f}


def _ascii(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if c.isascii() and c.isalnum()
    ).lower()


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    """ISO 13616 mod-97 check (spaces ignored)."""
    s = iban.replace(" ", "").upper()
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


class _Person:
    __slots__ = ("first", "last", "full", "email", "phone", "street", "address")


class _Gen:
    """State for one `generate_labeled` call: its own random source and Faker instances."""

    def __init__(self, seed: int):
        from faker import Faker

        self.seed = seed
        self.rng = random.Random(seed)
        self.fakers = {}
        for i, loc in enumerate(LOCALES):
            f = Faker(loc)
            f.seed_instance(seed * 7919 + i)
            self.fakers[loc] = f
        self.words = {
            loc: tuple(self.fakers[loc].get_words_list())
            for loc in {v[2] for v in LANGUAGES.values() if v[2]}
        }
        self.words[None] = tuple(_PT_WORDS)
        self._names: dict[tuple[str, str], Any] = {}
        self.models = [m for m, _ in MODELS]
        self.model_weights = [w for _, w in MODELS]
        self.langs = list(LANGUAGES)
        self.lang_weights = [LANGUAGES[k][0] for k in self.langs]
        self.turns = [t for t, _ in _TURNS]
        self.turn_weights = [w for _, w in _TURNS]

    # ---- personal data -------------------------------------------------------------------
    def _name_pool(self, loc: str, gender: str) -> tuple[tuple[str, ...], tuple[float, ...] | None]:
        """First and last names straight from Faker's person data (fast; weights kept)."""
        key = (loc, gender)
        if key not in self._names:
            provider = self.fakers[loc].provider("faker.providers.person")
            pools = []
            for kind in ("first_names", "last_names"):
                data = getattr(provider, f"{kind}_{gender}", None) or getattr(provider, kind)
                if isinstance(data, dict):
                    pools.append((tuple(data), tuple(float(w) for w in data.values())))
                else:
                    pools.append((tuple(data), None))
            self._names[key] = tuple(pools)
        return self._names[key]

    def _pick(self, pool: tuple[tuple[str, ...], tuple[float, ...] | None]) -> str:
        names, weights = pool
        return self.rng.choices(names, weights=weights)[0] if weights else self.rng.choice(names)

    def person(self, loc: str) -> _Person:
        f, rng = self.fakers[loc], self.rng
        p = _Person()
        first_pool, last_pool = self._name_pool(loc, rng.choice(("male", "female")))
        p.first, p.last = self._pick(first_pool), self._pick(last_pool)
        p.full = f"{p.last}{p.first}" if loc == "zh_CN" else f"{p.first} {p.last}"
        first, last = _ascii(p.first), _ascii(p.last)
        if rng.random() < 0.2:
            p.email = f.email()
        else:
            user = rng.choice(
                (f"{first}.{last}", f"{first}{last}", f"{first[:1]}{last}", f"{first}_{last}")
            )
            if not (first and last):
                user = f.user_name()
            domain = rng.choice(_MAIL_DOMAINS) if rng.random() < 0.8 else f.domain_name()
            p.email = f"{user}{rng.randint(1, 99) if rng.random() < 0.3 else ''}@{domain}"
        p.phone = self.phone(loc)
        p.street = ", ".join(
            line.strip() for line in f.street_address().splitlines() if line.strip()
        )
        if loc == "zh_CN":
            p.address = f"{f.city()}{p.street}"
        elif loc == "en_US":
            p.address = f"{p.street}, {f.city()}, {f.state_abbr()} {f.postcode()}"
        else:
            p.address = f"{p.street}, {f.postcode()} {f.city()}"
        return p

    def phone(self, loc: str) -> str:
        f = self.fakers[loc]
        for _ in range(20):
            number = f.phone_number()
            if "x" not in number.lower():
                return number
        return number.split("x")[0].strip()

    def card(self, loc: str) -> str:
        f, rng = self.fakers["en_US"], self.rng  # card types differ per locale; these are global
        digits = f.credit_card_number(
            card_type=rng.choice(("visa16", "mastercard", "mastercard", "amex", "discover"))
        )
        assert _luhn_ok(digits)
        style = rng.random()
        if style < 0.5 or len(digits) != 16:
            return digits
        sep = " " if style < 0.8 else "-"
        return sep.join(digits[i : i + 4] for i in range(0, 16, 4))

    def iban(self, loc: str) -> str:
        src = loc if loc in _IBAN_LOCALES else self.rng.choice(_IBAN_LOCALES)
        value = self.fakers[src].iban()
        if self.rng.random() < 0.4:
            value = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
        return value

    # ---- text ----------------------------------------------------------------------------
    def sentence(self, lorem: str | None) -> str:
        rng = self.rng
        words = rng.choices(self.words[lorem], k=rng.randint(5, 16))
        if lorem == "zh_CN":
            return "".join(words) + rng.choice("。。！？")
        text = " ".join(words)
        return text[0].upper() + text[1:] + rng.choice("....!?")

    def filler(self, lorem: str | None, chars: int) -> str:
        """Random-word sentences grouped in paragraphs, sometimes as a numbered list."""
        rng = self.rng
        out: list[str] = []
        size = 0
        para: list[str] = []
        listing = rng.random() < 0.25
        item = 1
        while size < chars:
            s = self.sentence(lorem)
            if listing:
                s = f"{item}. {s}"
                item += 1
                out.append(s)
            else:
                para.append(s)
                if len(para) >= rng.randint(2, 5):
                    out.append(" ".join(para))
                    para = []
            size += len(s) + 1
        if para:
            out.append(" ".join(para))
        return ("\n" if listing else "\n\n").join(out)

    def length(self, mean_log: float, sigma: float, cap: int, lang: str) -> int:
        chars = min(cap, int(self.rng.lognormvariate(mean_log, sigma)))
        return max(8, int(chars * (0.35 if lang == "Chinese" else 1.0)))


def _moderation(rng: random.Random) -> dict[str, Any]:
    flagged_cat = rng.choice(MODERATION_CATEGORIES) if rng.random() < 0.03 else None
    scores = {}
    for c in MODERATION_CATEGORIES:
        score = 10 ** rng.uniform(-7, -2.5)
        if c == flagged_cat:
            score = rng.uniform(0.5, 0.99)
        scores[c] = round(score, 9)
    return {
        "categories": {c: c == flagged_cat for c in MODERATION_CATEGORIES},
        "category_scores": scores,
        "flagged": flagged_cat is not None,
    }


def _conversation(g: _Gen, index: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rng = g.rng
    language = rng.choices(g.langs, weights=g.lang_weights)[0]
    _, locales, lorem = LANGUAGES[language]
    loc = rng.choice(locales)
    text = TEXT[language]
    turns = rng.choices(g.turns, weights=g.turn_weights)[0]
    has_pii = rng.random() < PII_SHARE
    code = rng.random() < 0.25
    placeholders = rng.random() < 0.04
    topic = rng.choice(text["topics"])
    cls, item, items = rng.choice(_CODE_NAMES)
    code_lang = rng.choice(tuple(_CODE))
    people = [g.person(loc), g.person(loc)] if has_pii else []
    plants: list[dict[str, Any]] = []
    messages: list[dict[str, str]] = []
    first_named = False

    def value(slot: str) -> str:
        a, b = people
        f = g.fakers[loc]
        makers = {
            "name": lambda: a.full, "first": lambda: a.first, "email": lambda: a.email,
            "phone": lambda: a.phone, "address": lambda: a.address, "name2": lambda: b.full,
            "email2": lambda: b.email, "ip": f.ipv4_public, "ip2": f.ipv4_public,
            "card": lambda: g.card(loc), "iban": lambda: g.iban(loc), "ssn": g.fakers["en_US"].ssn,
        }  # fmt: skip
        return makers[slot]()

    def fill(template: str, msg_index: int) -> str:
        nonlocal first_named
        used = _slots(template)
        # introduce the full name before the first name is used alone
        if "first" in used and not first_named:
            template = template.replace("{first}", "{name}")
            used = _slots(template)
        if "name" in used:
            first_named = True
        vals = {"topic": topic, "n": str(rng.randint(3, 7)), "cls": cls, "item": item, "items": items,
                "Item": item.capitalize(), "lang": code_lang}  # fmt: skip
        if "comment" in used:
            vals["comment"] = g.sentence("en_US")
        for slot in sorted(used & _SLOT_TYPES.keys()):
            vals[slot] = value(slot)
            # for an address, the street line is what must not survive
            planted = people[0].street if slot == "address" else vals[slot]
            plants.append(
                {"entity_type": _SLOT_TYPES[slot], "value": planted, "message_index": msg_index}
            )
        return template.format(**vals)

    for t in range(turns):
        # ---- user turn
        idx = len(messages)
        parts: list[str] = []
        if t == 0:
            if code:
                parts.append(fill(rng.choice(text["code_ask"]), idx))
            else:
                parts.append(fill(rng.choice(text["ask"]), idx))
            if placeholders:
                parts.append(
                    rng.choice(
                        (
                            "NAME_1 asked me about this.",
                            "From NAME_1 to NAME_2:",
                            "Contact: NAME_1, EMAIL_1.",
                        )
                    )
                )
        else:
            parts.append(rng.choice(text["follow"]))
        if has_pii and (t == 0 or rng.random() < 0.4):
            pool = text["pii_ask"] + (text["pii_ask_us"] if loc == "en_US" else ())
            if t > 0 and rng.random() < 0.6:
                pool = text["pii_follow"]
            parts.insert(rng.randint(0, len(parts)), fill(rng.choice(pool), idx))
        target = g.length(5.1, 0.9, 6000, language)
        room = target - sum(len(p) for p in parts)
        if room > 40:
            parts.insert(rng.randint(1, len(parts)), g.filler(lorem, room))
        if code and t == 0 and rng.random() < 0.4:  # the user pastes code to fix
            parts.append(fill(_CODE[code_lang][1 if not has_pii or rng.random() < 0.5 else 0], idx))
        messages.append({"content": "\n\n".join(parts), "role": "user"})

        # ---- assistant turn
        idx = len(messages)
        parts = [fill(rng.choice(text["answer"]), idx)]
        if has_pii and rng.random() < 0.45:
            parts.append(fill(rng.choice(text["pii_answer"]), idx))
        target = g.length(6.35, 0.7, 9000, language)
        room = target - sum(len(p) for p in parts)
        if room > 40:
            parts.append(g.filler(lorem, room))
        if code and (t == 0 or rng.random() < 0.3):
            pii_code = has_pii and rng.random() < 0.7
            parts.insert(
                rng.randint(1, len(parts)), fill(_CODE[code_lang][0 if pii_code else 1], idx)
            )
        parts.append(rng.choice(text["close"]))
        messages.append({"content": "\n\n".join(parts), "role": "assistant"})

    # unique plants, in message order
    seen: set[tuple[int, str, str]] = set()
    unique = []
    for p in plants:
        key = (p["message_index"], p["entity_type"], p["value"])
        if key not in seen:
            seen.add(key)
            unique.append(p)

    cid = hashlib.sha256(f"redact-demo:{g.seed}:{index}".encode()).hexdigest()[:32]
    record = {
        "conversation_id": cid,
        "model": rng.choices(g.models, weights=g.model_weights)[0],
        "conversation": messages,
        "turn": turns,
        "language": language,
        "openai_moderation": [_moderation(rng) for _ in messages],
        "redacted": placeholders,
        "user_id": hashlib.sha256(
            f"user:{g.seed}:{rng.randint(0, max(1, index // 3))}".encode()
        ).hexdigest()[:16],
        "tstamp": round(1680000000 + rng.uniform(0, 1.6e7), 4),
    }
    return record, unique


def generate_labeled(n: int, seed: int) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Yield `n` (record, plants) pairs; each plant is {entity_type, value, message_index}
    and its value occurs verbatim in `record["conversation"][message_index]["content"]`."""
    if n < 0:
        raise ValueError("n must be >= 0")
    g = _Gen(seed)
    for i in range(n):
        yield _conversation(g, i)


def generate_conversations(n: int, seed: int) -> Iterator[dict[str, Any]]:
    """Yield `n` synthetic LMSYS-Chat-1M records, deterministic for `seed`."""
    for record, _ in generate_labeled(n, seed):
        yield record


def arrow_schema():
    import pyarrow as pa

    message = pa.struct([("content", pa.string()), ("role", pa.string())])
    moderation = pa.struct(
        [
            ("categories", pa.struct([(c, pa.bool_()) for c in MODERATION_CATEGORIES])),
            ("category_scores", pa.struct([(c, pa.float64()) for c in MODERATION_CATEGORIES])),
            ("flagged", pa.bool_()),
        ]
    )
    return pa.schema(
        [
            ("conversation_id", pa.string()),
            ("model", pa.string()),
            ("conversation", pa.list_(message)),
            ("turn", pa.int64()),
            ("language", pa.string()),
            ("openai_moderation", pa.list_(moderation)),
            ("redacted", pa.bool_()),
            ("user_id", pa.string()),
            ("tstamp", pa.float64()),
        ]
    )


def write_demo_data(path: str | Path, n: int, seed: int = 1234) -> int:
    """Write `n` conversations to `path` (.parquet by suffix, else JSONL). Returns the count."""
    from redact.errors import UsageError

    if n < 0:
        raise UsageError(f"--n must be >= 0, got {n}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    records = generate_conversations(n, seed)
    if path.suffix.lower() == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist(list(records), schema=arrow_schema())
        pq.write_table(table, path, compression="zstd")
        return table.num_rows
    count = 0
    with path.open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False))
            f.write("\n")
            count += 1
    return count


def token_estimate(text: str) -> int:
    """Rough token count (about 4 characters a token, 1 per CJK character); for tests and stats."""
    cjk = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
    return cjk + math.ceil((len(text) - cjk) / 4)
