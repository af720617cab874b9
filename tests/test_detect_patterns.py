"""Pattern recognisers: emails, IPs (not versions), cards (Luhn), IBANs (mod-97), IDs, phones."""

from __future__ import annotations

import pytest

from redact.detect.languages import phone_regions
from redact.detect.patterns import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    NationalIdRecognizer,
    PhoneRecognizer,
    TextContext,
    UrlRecognizer,
)


def found(recognizer, text: str, lang: str = "en") -> list[str]:
    ctx = TextContext(language=lang, phone_regions=phone_regions(lang))
    return [text[f.start : f.end] for f in recognizer.find(text, ctx)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("write to jane.doe@example.com!", ["jane.doe@example.com"]),
        ("müller@beispiel.de, a+b@x.co.uk", ["müller@beispiel.de", "a+b@x.co.uk"]),
        ('user = {"email": "ada@lovelace.org"}', ["ada@lovelace.org"]),
        ("no email here @ all, user@localhost", []),
        # scripts written without spaces: the neighbouring words are not part of the address
        ("我的邮箱是wang@example.com。", ["wang@example.com"]),
        ("邮箱wang@qq.com你好", ["wang@qq.com"]),
        ("メールはtanaka@example.jpです", ["tanaka@example.jp"]),
        ("kim@naver.com으로 보내 주세요", ["kim@naver.com"]),
    ],
)
def test_email(text, expected):
    assert found(EmailRecognizer(), text) == expected


def test_email_offsets():
    text = "Mail me: bob.stone@mail.example.net."
    [f] = EmailRecognizer().find(text, TextContext())
    assert (f.start, f.end) == (9, 35)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("server at 192.168.1.20 is down", ["192.168.1.20"]),
        ("Failed password for root from 203.0.113.77 port 22", ["203.0.113.77"]),
        ("connect to fe80::1ff:fe23:4567:890a now", ["fe80::1ff:fe23:4567:890a"]),
        ("version 1.2.3.4 is out", []),
        ("upgrade to v2.3.4.5 today", []),
        ("python==3.10.4.1 and build 10.0.19041.1", []),
        ("std::vector<int> at 12:30:45", []),
        ("ping 8.8.8.8 and 127.0.0.1", []),  # well-known, identify no one
        ("999.1.1.1 is not an address", []),
    ],
)
def test_ip_versus_version(text, expected):
    assert found(IpRecognizer(), text) == expected


def test_small_octets_without_cue_score_below_threshold():
    [f] = IpRecognizer().find("see 1.2.3.4 for details", TextContext())
    assert f.score < 0.5
    [g] = IpRecognizer().find("server ip 1.2.3.4", TextContext())
    assert g.score >= 0.5


@pytest.mark.parametrize(
    "text, expected",
    [
        ("card 4539 1488 0343 6467 please", ["4539 1488 0343 6467"]),
        ("card 4539-1488-0343-6467", ["4539-1488-0343-6467"]),
        ("amex 378282246310005", ["378282246310005"]),
        ("jcb 180022648439350", ["180022648439350"]),
        ("number 4539 1488 0343 6468 (bad checksum)", []),
        # right after "card": a card number even when its checksum fails (a typo stays PII)
        ("card 4539 1488 0343 6468 (bad checksum)", ["4539 1488 0343 6468"]),
        ("Please block card no 639020786021", ["639020786021"]),
        ("mi tarjeta: 0604 9086 5973 1234", ["0604 9086 5973 1234"]),
        ("card 0000 0000 0000 0000", []),
        ("order 1234567890123", []),
        ("timestamp 1678901234567", []),
    ],
)
def test_credit_card_luhn(text, expected):
    assert found(CreditCardRecognizer(), text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("IBAN DE89 3704 0044 0532 0130 00 please", ["DE89 3704 0044 0532 0130 00"]),
        ("IBAN DE89370400440532013000 2 days", ["DE89370400440532013000"]),
        ("GB82WEST12345698765432", ["GB82WEST12345698765432"]),
        ("FR7630006000011234567890189 ok", ["FR7630006000011234567890189"]),
        ("DE89 3704 0044 0532 0130 01 wrong check", []),
        ("ISO 3166 code DE12", []),
    ],
)
def test_iban_mod97(text, expected):
    assert found(IbanRecognizer(), text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("My SSN is 536-22-8726.", ["536-22-8726"]),
        ("NIF 12345678Z", ["12345678Z"]),
        ("codice fiscale MRTMTT91D08F205J", ["MRTMTT91D08F205J"]),
        ("ref 536228726", []),  # weak SSN pattern (nine digits) without an ID cue
        ("SSN: 536228726", ["536228726"]),
    ],
)
def test_national_ids(text, expected):
    rec = NationalIdRecognizer()
    got = [text[f.start : f.end] for f in rec.find(text, TextContext()) if f.score >= 0.5]
    assert got == expected


@pytest.mark.parametrize(
    "text, lang, expected",
    [
        ("Call me at (415) 555-2671.", "en", ["(415) 555-2671"]),
        (
            "UK office +44 20 7946 0958 or 020 7946 0958",
            "en",
            ["+44 20 7946 0958", "020 7946 0958"],
        ),
        ("Mon numéro est le 06 12 34 56 78.", "fr", ["06 12 34 56 78"]),
        ("Tel.: 030 901820", "de", ["030 901820"]),
        ("Handy 0151 23456789", "de", ["0151 23456789"]),
        ("móvil: 612 34 56 78", "es", ["612 34 56 78"]),
        ("cellulare: 312 345 6789", "it", ["312 345 6789"]),
        ("Meu telefone é (11) 98765-4321", "pt", ["(11) 98765-4321"]),
        ("Bel me op 06-12345678", "nl", ["06-12345678"]),
        ("whatsapp +81 90-1234-5678", "en", ["+81 90-1234-5678"]),
        ("+55 21 2345-6789 fax", "en", ["+55 21 2345-6789"]),
        ("650-752-7354x549 mobile", "en", ["650-752-7354x549"]),
        ("0380 7558505 office", "en", ["0380 7558505"]),
        # a cue after the number, on a later line than the text start
        ("Office:\n(571)177-7741 fax", "en", ["(571)177-7741"]),
        # JSON-escaped text: a literal backslash-n before the cue
        ("Name: Ann Lee\\nPhone: 0327 9982793", "en", ["0327 9982793"]),
        # cues in other scripts
        ("телефон 8 (274) 098-9033, адрес", "ru", ["8 (274) 098-9033"]),
        ("我的电话是 138 1234 5678。", "zh", ["138 1234 5678"]),
        # alone on its line in a signature block, grouped like a phone
        ("С уважением,\nNAME_1\n8 (360) 724-5502\nEMAIL_1", "ru", ["8 (360) 724-5502"]),
    ],
)
def test_phone_positives(text, lang, expected):
    assert found(PhoneRecognizer(), text, lang) == expected


@pytest.mark.parametrize(
    "text",
    [
        "On 2023-10-12 at 14:30:00 we met.",
        "Deadline 12/10/2023, room 1.2.3.",
        "version 10.0.19041.1 and 3.10.4",
        "Call order #4711-2023-08 tomorrow",
        "pi is 3.14159265358979",
        "Total: 1234567 items",
        "SSN-shaped 536-22-8726",
        "at 2010-12-15 19:30 exactly",
        "On 2010-01-04 20:06:39.710185 the treaty",
        "phone found at 48.662197, 12.3301 (lat, lon)",
        "Total:\n1 000 000\n",  # alone on a line but not grouped like a phone
        "ISBN\n978-3-16-148410-0\n",
    ],
)
def test_phone_negatives(text):
    assert found(PhoneRecognizer(), text) == []


@pytest.mark.parametrize(
    "recognizer, text, expected",
    [
        (CreditCardRecognizer, "卡号4111111111111111谢谢", ["4111111111111111"]),
        (CreditCardRecognizer, "信用卡是4111 1111 1111 1112吗", ["4111 1111 1111 1112"]),
        (CreditCardRecognizer, "カード番号4111111111111111です", ["4111111111111111"]),
        (IpRecognizer, "IP是2001:db8::1吗", ["2001:db8::1"]),
        (IpRecognizer, "服务器192.168.1.1拒绝", ["192.168.1.1"]),
        (UrlRecognizer, "访问https://example.com/a查看", ["https://example.com/a"]),
        (NationalIdRecognizer, "SSN是536-22-8726吗", ["536-22-8726"]),
    ],
)
def test_values_next_to_scripts_without_spaces(recognizer, text, expected):
    """Letters of CJK scripts are \\w, yet they neither join nor hide a number or address."""
    assert found(recognizer(), text, "zh") == expected
