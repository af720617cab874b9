"""Street addresses: US, UK and EU formats, with exact offsets; prose that is not an address."""

from __future__ import annotations

import pytest

from redact.detect.addresses import StreetAddressRecognizer


@pytest.fixture(scope="module")
def rec():
    return StreetAddressRecognizer()


def found(rec, text: str) -> list[str]:
    return [text[f.start : f.end] for f in rec.find(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        # US
        (
            "I live at 742 Evergreen Terrace, Springfield, IL 62704.",
            "742 Evergreen Terrace, Springfield, IL 62704",
        ),
        (
            "1600 Pennsylvania Avenue NW, Washington, DC 20500 is",
            "1600 Pennsylvania Avenue NW, Washington, DC 20500",
        ),
        (
            "ship to 2328 Figueroa Skyway Apt. 290\nKimberlyview, NJ 78456",
            "2328 Figueroa Skyway Apt. 290\nKimberlyview, NJ 78456",
        ),
        ("send it to 42 baker street please", "42 baker street"),
        # UK
        ("221B Baker Street, London NW1 6XE.", "221B Baker Street, London NW1 6XE"),
        ("Flat 3, 12 High Street, Oxford OX1 4AA", "Flat 3, 12 High Street, Oxford OX1 4AA"),
        # DE / AT / CH
        ("Hauptstraße 5, 10115 Berlin", "Hauptstraße 5, 10115 Berlin"),
        ("Berliner Straße 12, 10115 Berlin", "Berliner Straße 12, 10115 Berlin"),
        (
            "Adresse: Oda-Preiß-Straße 1\n90404 Sangerhausen",
            "Oda-Preiß-Straße 1\n90404 Sangerhausen",
        ),
        # FR / BE / CH
        ("12 rue de la Paix, 75002 Paris", "12 rue de la Paix, 75002 Paris"),
        (
            "825, boulevard de François\n77113 Poirier-sur-Mer",
            "825, boulevard de François\n77113 Poirier-sur-Mer",
        ),
        ("rue de Galland, 4665 Bussigny", "rue de Galland, 4665 Bussigny"),
        # ES / IT / PT
        ("Calle Mayor 5, 28013 Madrid", "Calle Mayor 5, 28013 Madrid"),
        ("Via Roma, 10 00184 Roma", "Via Roma, 10 00184 Roma"),
        (
            "Vicolo Sgalambro, 59\n30010, Campagna Lupia (VE)",
            "Vicolo Sgalambro, 59\n30010, Campagna Lupia (VE)",
        ),
        ("Rua Gomes, 2, 40479-666 Salvador", "Rua Gomes, 2, 40479-666 Salvador"),
        # NL
        ("Kerkstraat 12a, 1012 TX Amsterdam", "Kerkstraat 12a, 1012 TX Amsterdam"),
    ],
)
def test_addresses(rec, text, expected):
    assert found(rec, text) == [expected]


def test_offsets_are_into_the_text(rec):
    text = "Bitte schick es an Hauptstraße 5, 10115 Berlin. Danke!"
    [f] = rec.find(text)
    assert (f.start, f.end) == (19, 46)
    assert text[f.start : f.end] == "Hauptstraße 5, 10115 Berlin"


@pytest.mark.parametrize(
    "text",
    [
        "3 apples on the way home",
        "we drove 5 hours drive to the coast",
        "Spring 3 is out, String 5 too",
        "Top 10 Things To Do in Paris",
        "Python 3 Way of doing it",
        "Chapter 12 covers the basics.",
        "I have 2 cats and 3 dogs.",
        "Windows 10 Pro 2 licences",
    ],
)
def test_not_addresses(rec, text):
    assert found(rec, text) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("PSC 3412, Box 5242\nAPO AP 64906", ["PSC 3412, Box 5242\nAPO AP 64906"]),
        ("I now live in Unit 3848 Box 3726 | DPO AE 09012 ok", ["Unit 3848 Box 3726 | DPO AE 09012"]),
        ("USNS Fenstermacher\nFPO AA 12345", ["USNS Fenstermacher\nFPO AA 12345"]),
        ("Send it to P.O. Box 178, Springfield, IL 62704", ["P.O. Box 178, Springfield, IL 62704"]),
        ("Postfach 10 20 30, 10115 Berlin", ["Postfach 10 20 30, 10115 Berlin"]),
        # a street word and a house number after "lives on", "is at"
        ("The bus station is on Orrspelsv 49", ["Orrspelsv 49"]),
        ("He lives on the north side of Odra 60.", ["Odra 60"]),
        ("The restaurant is at 6283 Skogarlond 53", ["6283 Skogarlond 53"]),
        # not addresses: everyday words before the number, no cue
        ("We meet at Gate 5", []),
        ("It is in Chapter 3 of the book", []),
        ("Python is at version 3", []),
        ("Box 5 of 10", []),
    ],
)  # fmt: skip
def test_po_boxes_military_mail_and_cued_street_numbers(rec, text, expected):
    assert found(rec, text) == expected


def test_house_number_street_number_needs_a_cue(rec):
    assert found(rec, "The score was 637 Strojírenská 1006 wow") == []
    text = "Our offices are located at 637 Strojírenská 1006, Svratka"
    assert found(rec, text) == ["637 Strojírenská 1006"]


@pytest.mark.parametrize(
    "text, expected",
    [
        # labelled fields: the value to the end of its line
        (
            "NAME: JOHN DOE\nADDRESS: 1820 N MAPLE AVE, APT 12, FRESNO, CA 93703\nDOB: 1990",
            "1820 N MAPLE AVE, APT 12, FRESNO, CA 93703",
        ),
        (
            "addr - Flat 12B, Shanti Residency, 4th Cross, Koramangala, Bengaluru 560034",
            "Flat 12B, Shanti Residency, 4th Cross, Koramangala, Bengaluru 560034",
        ),
        ("地址：北京市朝阳区建国路88号SOHO现代城2号楼1803室", "北京市朝阳区建国路88号SOHO现代城2号楼1803室"),
        ("住所：東京都新宿区西新宿2-8-1 パークハイツ503\n電話", "東京都新宿区西新宿2-8-1 パークハイツ503"),
        ("주소: 서울특별시 강남구 테헤란로 152, 1203호", "서울특별시 강남구 테헤란로 152, 1203호"),
        ("جوالي 0501234567 وعنواني شارع الملك فهد، حي العليا، الرياض 12211", "شارع الملك فهد، حي العليا، الرياض 12211"),
        (
            "адрес ул. Тверская, д. 12, кв. 45, Москва, 125009",
            "ул. Тверская, д. 12, кв. 45, Москва, 125009",
        ),
        (
            "alamat Jl. Sudirman No. 45, RT 03/RW 05, Jakarta Selatan 12920",
            "Jl. Sudirman No. 45, RT 03/RW 05, Jakarta Selatan 12920",
        ),
        # the value ends at a sentence end, the next field, or its closing bracket
        ("mi dirección es Calle Mayor 5, 28013 Madrid. Gracias", "Calle Mayor 5, 28013 Madrid"),
        (
            "adresim Atatürk Cad. No: 45 Daire 7, Kadıköy/İstanbul, tel 0532 111 22 33",
            "Atatürk Cad. No: 45 Daire 7, Kadıköy/İstanbul",
        ),
        ("адрес (ул. Тверская, д. 12) в резюме не нужен", "ул. Тверская, д. 12"),
        # shapes of more countries
        ("dane: ul. Marszałkowska 84/92 m. 15, 00-514 Warszawa", "ul. Marszałkowska 84/92 m. 15, 00-514 Warszawa"),
        ("Ik woon op Keizersgracht 123-II, 1015 CJ Amsterdam.", "Keizersgracht 123-II, 1015 CJ Amsterdam"),
        ("an Jonas, Am Sandtorkai 41, 20457 Hamburg. Danke", "Am Sandtorkai 41, 20457 Hamburg"),
        ("309 Hart Senate Office Building\nWashington, DC 20510", "309 Hart Senate Office Building\nWashington, DC 20510"),
        ("dados: Rua Garrett 45, 3.º Esq., 1200-203 Lisboa, NIF", "Rua Garrett 45, 3.º Esq., 1200-203 Lisboa"),
        ("partner — 2-11-3 Meguro, Meguro-ku, Tokyo 153-0063.", "2-11-3 Meguro, Meguro-ku, Tokyo 153-0063"),
    ],
)  # fmt: skip
def test_labelled_and_international_addresses(rec, text, expected):
    assert found(rec, text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "email address: john.smith@example.com",
        "IP address: 192.168.1.20",
        "Address: 0x7ffd5a3c",
        "Base address: 0x4000_0000",
        "address: str = Field(max_length=200)",
        "server address: localhost:8080",
        "address: db.internal:5432",
        "Wallet address: 1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
        "Please address the 3 issues below.",
        "Address: see above",
        "Address: TBD (step 2)",
        "Version 2-3-1 of Python, Python-ku?",
    ],
)
def test_address_labels_of_other_things_or_without_an_address(rec, text):
    assert found(rec, text) == []
