"""Street addresses: US, UK and continental European formats.

Three shapes cover most of them:
- number first, street type last (US, UK, IE, AU, CA): "221B Baker Street", "9791 Regina Mountains";
- number first, street type first (FR, BE): "12 rue de la Paix", "825, boulevard de François";
- street type first, number last (ES, IT, PT, BR): "Calle Mayor 5", "Via Roma, 10";
- compound street word then number (DE, AT, CH, NL, Nordics): "Hauptstraße 5", "Kerkstraat 12a".
Each may carry a unit ("Apt. 4", "Piso 3") and a tail: city and ZIP/postcode in the local order
("Springfield, IL 62704", "London SW1A 2AA", "10115 Berlin", "1012 TX Amsterdam",
"28013 Madrid", "Madrid, 28013"). The street-type words are the postal services' standard
vocabularies (USPS suffixes, Royal Mail thoroughfares, and the usual continental ones).
"""

from __future__ import annotations

import re

import regex

from redact.detect.findings import Finding
from redact.detect.lexicon import is_dictionary_word
from redact.records import STREET_ADDRESS

_EN_TYPES = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|"
    "Close|Square|Sq|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Crescent|Cres|Trail|Trl|Alley|Aly|Row|Walk|"
    "Mews|Grove|Gardens|Garden|Hill|Hills|Heights|Hts|Park|Plaza|Point|Pt|Ridge|View|Vista|Loop|Pike|"
    "Turnpike|Expressway|Expy|Freeway|Fwy|Causeway|Crossing|Xing|Commons|Common|Green|Gateway|Glen|"
    "Hollow|Isle|Island|Junction|Jct|Knoll|Knolls|Landing|Manor|Meadow|Meadows|Mill|Mills|Mount|"
    "Mountain|Mountains|Orchard|Oval|Pass|Path|Pine|Pines|Port|Prairie|Ranch|Route|Rte|Run|Shore|Shores|"
    "Spring|Springs|Spur|Station|Summit|Trace|Tunnel|Valley|Village|Ville|Wells|Wharf|Bridge|Brook|"
    "Brooks|Burg|Bypass|Camp|Canyon|Cape|Center|Ctr|Cliff|Cliffs|Club|Corner|Corners|Course|Cove|"
    "Coves|Creek|Crest|Dale|Dam|Divide|Estate|Estates|Extension|Falls|Ferry|Field|Fields|Flat|Flats|"
    "Ford|Fords|Forest|Forge|Forges|Fork|Forks|Fort|Ft|Harbor|Harbors|Harbour|Haven|Inlet|Lake|Lakes|"
    "Light|Lights|Lock|Locks|Lodge|Mall|Mission|Motorway|Neck|Overpass|Plain|Plains|Radial|Ramp|"
    "Rapid|Rapids|Rest|River|Shoal|Shoals|Skyway|Stream|Stravenue|Throughway|Trafficway|Underpass|"
    "Union|Viaduct|Parade|Wall|Well|Key|Land|Loaf|Isle|Row|Rise|Approach|Broadway|Embankment|Esplanade|Quay|"
    "Wynd|Chase|Croft|Drove|Vale|Villas|Gate|Gardens|Ways|Squares|Streets|Roads|Passage|Grounds|"
    # au / nz
    "Range|Mew|Dell|Front|Bend|Block|Brace|Circuit|Cct|Concourse|Glade|Grange|Hub|Lookout|Outlook|"
    "Promenade|Retreat|Boulevarde|Crossway|Gully|Heath|Nook|Reserve|Strand|Track|Tarn|Brow|Stairs|Slope|"
    "Ramble|Steps|Walkway|Rue|Building|Bldg|Tower|Towers|"
    # in
    "Nagar|Marg|Chowk|Gali|Layout|Enclave|Vihar|Bagh|Puram|Peth|Colony|Sector|Block|Extension"
)
# Lower-case street types accepted in all-lower-case chat ("i live at 42 baker street").
_EN_TYPES_LOWER = "street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln"
_FR_TYPES = (
    "rue|avenue|av\\.|boulevard|bd|bld|place|pl\\.|allée|allee|impasse|chemin|quai|route|cours|passage|"
    "square|rond-point|sentier|voie|cité|résidence|hameau|faubourg|fbg|esplanade|promenade|parvis|"
    "villa|montée|ruelle|traverse|chaussée|drève|steenweg"
)
_ROMANCE_TYPES = (
    # es
    "Calle|C/|Avenida|Avda\\.?|Av\\.|Paseo|Pº|Plaza|Pza\\.?|Camino|Carretera|Ctra\\.?|Ronda|Travesía|"
    "Glorieta|Callejón|Cuesta|Pasaje|Rambla|Urbanización|Vía|Vial|Alameda|Cañada|Acceso|Bulevar|"
    "Carrera|Diagonal|Polígono|Partida|Sector|Barrio|Colonia|Pasadizo|Plazuela|Senda|"
    # es (Latin America)
    "Cerrada|Privada|Prolongación|Andador|Continuación|Retorno|Circuito|Periférico|Calzada|Boulevard|"
    "Callejuela|Eje|Pasillo|Rinconada|Peatonal|Circunvalación|Ampliación|Viaducto|C\\.|Av|"
    # it
    "Via|Viale|Piazza|Piazzale|Corso|Largo|Vicolo|Strada|Contrada|Borgo|Rotonda|Incrocio|Canale|"
    "Salita|Lungomare|Lungotevere|Campo|Fondamenta|Stretto|Località|Traversa|Vico|Rampa|Calata|"
    # pt
    "Rua|R\\.|Travessa|Tv\\.|Praça|Estrada|Beco|Rodovia|Conjunto|Quadra|Setor|Vila|Favela|Ladeira|"
    "Viela|Passagem|Loteamento|Residencial|Jardim|Parque|Núcleo|Chácara|Fazenda|Sítio|Morro|"
    "Condomínio|Trecho|Recanto|Vereda|Esplanada|Avenida|Viaduto|Estação|Lagoa|Lago|Aeroporto|Feira|"
    "Distrito|Setor|Passarela|Servidão|Travessia"
)
_COMPOUND = (
    "straße|strasse|str\\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee|steig|pfad|graben|stieg|"
    "twiete|kamp|straat|laan|plein|gracht|dreef|kade|singel|steeg|dijk|pad|hof|boulevard|markt|erf|hoek|"
    "wal|baan|straatweg|lei|plaats|vest|kaai|kai|vej|vägen|gatan|gata|katu|tie"
)
_SEPARATE_DE = "Straße|Strasse|Str\\.|Weg|Allee|Platz|Gasse|Ring|Damm|Ufer|Chaussee|Markt"
_PARTICLES = (
    "de|del|della|delle|dei|degli|di|da|do|dos|das|du|des|la|le|les|el|los|las|y|e|von|van|der|den|"
    "ter|het|l'|d'|l’|d’|dal|al|San|Santa|São|Sant'|St\\.?"
)
_CAP = r"\p{Lu}[\p{L}'’\-]*\.?"
_ANYW = r"\p{L}[\p{L}'’\-]*\.?"
_ORD = r"\d{1,3}(?:st|nd|rd|th|e|er|ème|º|ª)?"
_NUM = r"\d{1,6}[A-Za-z]?(?:[\-/]\d{1,4}[A-Za-z]?)?"
_NUM_AFTER = r"(?:\d{1,5}[A-Za-z]?(?:[\-/]\d{1,4})?|[Ss]/[Nn])"
_UNIT_WORDS = sorted(
    (
        "apt. apt apartment suite ste. ste unit flat floor fl. room rm. rm # appartamento app. app piso "
        "puerta planta escalera esc. esc etage stock bât. bât bâtiment porte interno int. interior andar "
        "sala bloco apto. apto piano scala edif. edif edificio depto. depto departamento lote mz. mz casa "
        "bus boîte bte level lvl m. lok. kv. кв. квартира корп. стр. daire kat blok"
    ).split(),
    key=len,
    reverse=True,
)
_UNIT = (
    r"(?:[ \t]*(?:,|\n|(?:\\n)+)?[ \t]*(?:(?i:"
    + "|".join(regex.escape(w) for w in _UNIT_WORDS)
    + r")(?<=[.#])?(?![\p{L}])[ \t]*#?[\w\-]{1,6}\.?"
    # Portuguese floor and side: "3.º Esq.", "2º Dto"
    + r"|\d{1,2}\.?[ºª°][ \t]*(?:(?i:esq|dto|dt|dir|frente|fte|andar)\.?)?)){0,2}"
)

_US_LIKE = regex.compile(
    rf"(?:(?<![\w.\-/])|(?<=\\n)){_NUM},?[ \t]+(?:[NSEW]\.?[ \t]+)?(?:(?:{_CAP}|\d{{1,3}}(?:st|nd|rd|th))[ \t]+){{1,4}}"
    rf"(?:{_EN_TYPES}|{_EN_TYPES.upper()})s?\b\.?(?:[ \t]+[NSEW][EW]?\b\.?)?"
)
_UK_UNIT_FIRST = regex.compile(
    rf"(?:(?<![\w.\-/])|(?<=\\n))(?i:flat|studio|apartment|unit)[ \t]+[\w\-]{{1,5}}[ \t]*(?:,|\n|\|)[ \t]*"
    rf"(?:{_CAP}[ \t]+){{1,3}}(?:{_EN_TYPES})s?\b\.?"
)
_US_LOWER = regex.compile(
    rf"(?:(?<![\w.\-/])|(?<=\\n))\d{{1,6}}[ \t]+(?:[a-z][a-z'\-]*[ \t]+){{1,3}}(?:{_EN_TYPES_LOWER})\b\.?"
)
_FR_LIKE = regex.compile(
    rf"(?:(?<![\w.\-/])|(?<=\\n))\d{{1,5}}(?:[ \t]?(?:bis|ter|[A-Za-z]))?,?[ \t]+(?i:{_FR_TYPES})[ \t]+"
    rf"(?:(?:{_PARTICLES}|{_ANYW})[ \t]+){{0,5}}?(?:{_CAP}|{_ORD})(?:[ \t]+{_CAP}){{0,2}}"
)
_ROMANCE_LIKE = regex.compile(
    rf"(?:(?<![\w.\-/])|(?<=\\n))(?:{_ROMANCE_TYPES})[ \t]+(?:(?:{_PARTICLES}|{_CAP}|{_ORD})[ \t]+){{0,5}}?"
    rf"(?:{_CAP}|{_ORD})[ \t]*,?[ \t]*(?:n[º°o]\.?[ \t]*)?{_NUM_AFTER}(?:[ \t]+\d{{1,4}})?(?![\d])"
)
# Type first, no house number: only an address when a postcode tail follows ("rue de Galland,
# 4665 Bussigny", "Fazenda Maria Liz Rezende | Belmonte | 43802-715 Ramos / MS").
_TYPE_FIRST_BARE = regex.compile(
    rf"(?:(?<![\w.\-/])|(?<=\\n))(?:(?i:{_FR_TYPES})|{_ROMANCE_TYPES})[ \t]+(?:(?:{_PARTICLES}|{_CAP})[ \t]+){{0,5}}"
    rf"{_CAP}(?P<num>[ \t]+\d{{1,5}}[a-zA-Z]?(?![\w]))?"
)
_COMPOUND_LIKE = regex.compile(
    rf"(?:(?<![\w\-])|(?<=\\n))(?:{_CAP}[ \t\-]){{0,3}}?\p{{Lu}}[\p{{L}}\-]*?(?i:{_COMPOUND})[ \t]+\d{{1,4}}[ \t]?[a-zA-Z]?"
    rf"(?:[\-/](?:\d{{1,4}}[a-z]?|[IVX]{{1,4}}|hs|huis|bis))?(?![\w])"
)
_SEPARATE_LIKE = regex.compile(
    rf"(?:(?<![\w\-])|(?<=\\n))(?:{_CAP}[ \t]){{1,2}}(?:{_SEPARATE_DE})[ \t]+\d{{1,4}}[ \t]?[a-zA-Z]?(?:[\-/]\d{{1,4}})?(?![\w])"
)
# Central and Eastern Europe, Turkey, Indonesia: "ul. Marszałkowska 84/92", "ул. Тверская, д. 12",
# "Jl. Sudirman No. 45", "Atatürk Cad. No: 45".
_INTL_TYPE_FIRST = (
    r"ul\.|al\.|os\.|Jl\.|Jln\.|Jalan|ул\.|улица|пр-т|просп\.|проспект|пер\.|переулок|ш\.|шоссе|"
    r"бульвар|б-р|наб\.|набережная|пл\.|площадь|вул\.|вулиця|ulica|aleja|ulice|třída|nám\."
)
_INTL_NUMBER = r"(?:(?i:д\.|дом|No\.?|No:|Nomor|nr\.?|№|č\.)[ \t]*)?\d{1,5}[A-Za-zА-Яа-я]?(?:[\-/]\d{1,4}[A-Za-z]?)?(?![\d])"
_INTL_LIKE = regex.compile(
    rf"(?:(?<![\w.\-/])|(?<=\\n))(?:{_INTL_TYPE_FIRST})[ \t]*(?:{_CAP}[ \t]*,?[ \t]+){{1,4}}?{_INTL_NUMBER}"
)
# Japanese addresses in Latin letters: "2-11-3 Meguro, Meguro-ku, Tokyo 153-0063".
_JP_LATIN = regex.compile(
    rf"(?:(?<![\w.\-/])|(?<=\\n))\d{{1,2}}(?:-\d{{1,4}}){{1,2}},?[ \t]+{_CAP}(?:[ \t\-]\d{{1,2}}(?:-?chome)?)?"
    rf"(?:,[ \t]*{_CAP}){{0,2}}?,[ \t]*{_CAP}-(?:ku|shi|cho|machi|gun|ken)\b"
    rf"(?:,[ \t]*{_CAP}(?:-(?:shi|ken|to|fu))?)?(?:,?[ \t]*(?:〒[ \t]?)?\d{{3}}-\d{{4}})?"
)
_TR_LIKE = regex.compile(
    rf"(?:(?<![\w.\-/])|(?<=\\n))(?:{_CAP}[ \t]+){{1,3}}(?:Cad\.|Caddesi|Cd\.|Sok\.|Sokak|Sokağı|Sk\.|"
    rf"Bulvarı|Blv\.|Mah\.|Mahallesi)[ \t]*,?[ \t]*(?:No[:.]?[ \t]*)\d{{1,5}}[A-Za-z]?(?:/\d{{1,4}})?(?![\d])"
)
# A labelled address: "Address: 1820 N MAPLE AVE, APT 12, FRESNO, CA 93703", "addr - Flat 12B,
# ...", "住所：東京都新宿区西新宿2-8-1", "주소: 서울특별시 강남구 테헤란로 152". The value runs to the
# end of its line (or a sentence end, "|", ";" or a full-width stop), must hold a digit, and
# parts or CJK letters.
# Labels of other things ("email address:", "IP address:") are not address labels.
_ADDRESS_WORDS = (
    r"address|addr\.?|adresse|anschrift|wohnadresse|dirección|direccion|domicilio|indirizzo|"
    r"endereço|endereco|morada|adres|adresa|adresim|адрес|地址|住址|收货地址|住所|주소|địa chỉ|"
    r"العنوان|عنواني|وعنواني|पता|כתובת"
)
_ADDRESS_FIELD = regex.compile(
    r"(?i)(?<![\p{L}\-])(?<!(?:e-?mail|ip|mac|web|wallet|memory|server|return|bitcoin|ipv[46]|"
    r"contract|hardware|base|network|link|ethernet|bluetooth)[ \t]?)"
    r"(?:(?:home|street|mailing|postal|shipping|billing|delivery|current|permanent|office|"
    r"business|residential|full)[ \t]+)?"
    rf"(?:{_ADDRESS_WORDS})(?:[ \t]*[:：]|[ \t]+[\-–][ \t]|(?<=адрес|alamat|adresim|地址|住所|주소|عنواني)[ \t]+)[ \t]*"
    r"|(?i)(?<![\p{L}])(?:my (?:home |full )?address is|our address is|mi dirección es|mon adresse est|"
    r"meine adresse (?:ist|lautet)|mijn adres is|il mio indirizzo è|meu endereço é|mój adres to|"
    r"мой адрес|alamat(?: saya| rumah| lengkap)?(?: adalah)?|адрес:?)[ \t]+"
)
_FIELD_END = regex.compile(
    # the next field on the same line: ", tel 0532...", ", 연락처 010-..."
    r",[ \t]*(?=(?i:tel|phone|mobile|cell|fax|e-?mail|telefon|teléfono|telefone|téléphone|"
    r"телефон|тел\.|연락처|전화|電話|电话|手机))|"
    r"\n|\\n|[|;。；，]|(?<=\p{L}{4}|\d|\))[.!?](?=[ \t]|$)|(?<=[.!?])[ \t]+(?=\p{Ll})"
)
# Values that are not postal addresses: e-mail, URL, memory or wallet hex, IP, host:port, bare
# numbers, code ("address: str = Field(max_length=200)").
_NOT_ADDRESS_VALUE = regex.compile(
    r"@|://|^0x|^\d{1,3}(?:\.\d{1,3}){3}\b|^[\d\s\-+().]+$|(?i:localhost)|\w:\d{2,5}\b|"
    r"[=<>{}\[\]`\\]|\w\("
)
# An address value has parts ("street, city") or is written in CJK, where parts have no commas.
_PARTS_OR_CJK = regex.compile(r"\S[,،][ \t]*\S|[\p{Han}\p{Hangul}\p{Hiragana}\p{Katakana}]")
_LETTERS = regex.compile(r"\p{L}")


def _address_fields(text: str) -> list[tuple[int, int, float]]:
    out = []
    for m in _ADDRESS_FIELD.finditer(text):
        start = m.end()
        stop = _FIELD_END.search(text, start, min(len(text), start + 160))
        end = stop.start() if stop else min(len(text), start + 160)
        while start < end and text[start] in "([":
            start += 1
        value = text[start:end]
        depth = 0
        for k, ch in enumerate(value):  # "(ул. Тверская, д. 12) в резюме": ends at its bracket
            depth += (ch == "(") - (ch == ")")
            if depth < 0:
                value = value[:k]
                break
        value = value.rstrip(" \t,.:")
        if (
            len(value) >= 5
            and _DIGIT.search(value)
            and len(_LETTERS.findall(value)) >= 2
            and not _NOT_ADDRESS_VALUE.search(value)
            and _PARTS_OR_CJK.search(value)
        ):
            out.append((start, start + len(value), 0.8))
    return out


_NOT_STREETS = frozenset(
    "string spring bring ring offspring keyring substring docstring querystring".split()
)

# Separators between address lines; "\\n" also as the two characters backslash-n, as in
# escaped strings and JSON dumps pasted into chats.
_SEP = r"(?:[ \t]*(?:,|\n|\||(?:\\n)+)[ \t]*(?:\n|(?:\\n)+)?[ \t]*|[ \t]+)"
_CITY = (
    r"\p{Lu}[\p{L}'’\-]*(?:[ \t\-]+(?:\p{Lu}[\p{L}'’\-]*|(?i:sur|sous|les|le|la|de|del|di|da|do|dos|am|an|der|im|en|on|upon|los|las|y)))"
    r"{0,3}"
)
_TAILS = [
    # US: City, ST 12345
    regex.compile(rf"{_SEP}{_CITY},?[ \t]+[A-Z]{{2,4}}[ \t]+\d{{5}}(?:-\d{{4}})?(?!\w)"),
    # UK: [locality,] [town,] POSTCODE
    regex.compile(rf"(?:{_SEP}{_CITY}){{0,2}}{_SEP}[A-Z]{{1,2}}\d[A-Z\d]?[ \t]?\d[A-Z]{{2}}(?!\w)"),
    # EU: [D-]12345 City / 1012 TX City / 9483-378 City / 30010, City (VE)
    regex.compile(
        rf"{_SEP}(?:(?:D|A|F|I|E|B|L|P|NL|CH)-)?\d{{4,5}}(?:-\d{{3}})?(?:[ \t]?[A-Z]{{2}}(?!\w))?"
        rf"(?:,?{_SEP}{_CITY}(?:[ \t]*\([A-Z]{{2}}\))?(?:[ \t]*/[ \t]*[A-Z]{{2}})?)?"
    ),
    # AU: City, STATE, 2000
    regex.compile(rf"{_SEP}{_CITY},?[ \t]+[A-Z]{{2,3}},?[ \t]+\d{{4}}(?!\w)"),
    # IE: Eircode [City]
    regex.compile(
        rf"{_SEP}[AC-FHKNPRTV-Y]\d[\dW][ \t]?[AC-FHKNPRTV-Y\d]{{4}}(?!\w)(?:{_SEP}{_CITY})?"
    ),
    # BR: [bairro,] 12345-678 City / UF
    regex.compile(
        rf"(?:{_SEP}{_CITY}){{0,1}}{_SEP}\d{{5}}-?\d{{3}}(?!\w)(?:{_SEP}{_CITY}(?:[ \t]*/[ \t]*[A-Z]{{2}})?)?"
    ),
    # IN: City-123456 / City 123456
    regex.compile(rf"(?:{_SEP}{_CITY}){{1,2}}(?:[ \t]*-[ \t]*|{_SEP})\d{{3}}[ \t]?\d{{3}}(?!\w)"),
    # [City,] Country 12345 ("Svratka\n Czech Republic 45098")
    regex.compile(rf"(?:{_SEP}{_CITY}){{0,2}}{_SEP}{_CITY}[ \t]+\d{{4,5}}(?!\w)"),
    # PL: 00-514 City
    regex.compile(rf"{_SEP}\d{{2}}-\d{{3}}{_SEP}{_CITY}"),
    # ES: City, 28013
    regex.compile(rf"{_SEP}{_CITY},[ \t]*\d{{5}}(?!\w)"),
    # US without ZIP: City, ST
    regex.compile(rf"{_SEP}{_CITY},[ \t]+[A-Z]{{2}}(?![\w])"),
]
# House number, capitalised street words, number: "637 Strojírenská 1006" (no street-type
# word). Taken only after an address cue or with a unit/postcode tail.
_NUM_WORDS_NUM = regex.compile(
    rf"(?:(?<![\w.\-/])|(?<=\\n)){_NUM}[ \t]+(?:\p{{Lu}}[\p{{L}}'’\-]*[ \t]+){{1,3}}\d{{1,5}}[A-Za-z]?(?![\w])"
)
_ADDRESS_CUE = regex.compile(
    r"(?i)(?:address|adresse|dirección|direccion|indirizzo|endereço|adres|located|location|lives|"
    r"live|living|reside|resides|ship|send|sent|deliver|return|mail|post|office|offices|street|"
    r"road|corner|moved|move|visit|find us|wohne|habite|vivo|abito|moro|woon|"
    r"(?:is|are|was|were) (?:at|on))\b[^\n]{0,40}$"
)
_LEADING_NUMBER = regex.compile(r"(?<![\w.\-/])\d{1,6}[ \t]+$")
_POSTCODE_TAIL = regex.compile(
    rf"(?:{_SEP}{_CITY}){{0,1}}{_SEP}(?:(?:(?:D|A|F|I|E|B|L|P|NL|CH)-)?\d{{4,5}}(?:-\d{{3}})?|\d{{5}}-?\d{{3}})(?![\w])"
)
_LEADING_UNIT = regex.compile(
    r"(?i:flat|studio|apartment|apt\.?|unit|suite|level|h\.?[ \t]?no\.?|house[ \t]no\.?|flat[ \t]no\.?)[ \t]*[\w\-]{1,5}[ \t]*(?:,|\n|\|)?[ \t]*$"
)
_UNIT_RE = regex.compile(_UNIT)
# Post-office boxes and US military mail: "P.O. Box 178", "Postfach 10 20 30", "Apartado
# 1234", "PSC 3412, Box 5242", "Unit 3848 Box 3726", "USNS Fenstermacher", then "APO AE 09012".
_PO_BOX = regex.compile(
    r"(?<![\w.])(?:(?i:p\.?[ \t]?o\.?[ \t]?box|post[ \t]office[ \t]box|postfach|apartado(?:[ \t]de[ \t]"
    r"correos)?|casella[ \t]postale|caixa[ \t]postal|boîte[ \t]postale|postbus|skrytka[ \t]pocztowa)"
    r"[ \t]*(?:no\.?[ \t]*)?\d[\d \t]{0,10}\d?"
    r"|(?:PSC|Unit|CMR)[ \t]\d{1,5},?[ \t]Box[ \t]\d{1,5}"
    r"|(?:USNS|USNV|USS|USCGC)[ \t]\p{Lu}[\p{L}'’\-]+(?:[ \t]\p{Lu}[\p{L}'’\-]+)?)"
    r"(?:[ \t]*(?:,|\n|\|)?[ \t]*(?:FPO|APO|DPO)[ \t]A[AEP][ \t]\d{5})?(?![\w])"
)
# After "lives on", "is at", "located at": a capitalised street word and a house number
# ("The bus station is on Orrspelsv 49", "He lives on Odra 60"); never one of these (and
# never an English dictionary word, when the dictionary is loaded).
_NUMBERED_THINGS = frozenset(
    """gate level floor room chapter section page step stage part version item line table figure
    phase round season episode volume platform terminal track lane row seat box unit building
    block grade class year week day hour minute level day module lesson exercise question
    problem task test case rule article verse act scene slide tier""".split()
)
_CUED_NAME_NUMBER = regex.compile(
    r"(?i:\b(?:live|lives|lived|living|located|situated|is|are|stay|stays|staying|meet|ship|send|"
    r"deliver|address)\b[^\n.!?]{0,25}?\b(?:at|on|in|to|of))[ \t]+"
    r"(?P<street>\p{Lu}[\p{L}'’\-]{3,}\.?[ \t]\d{1,5}[A-Za-z]?)(?![\w.,]\d|\w)"
)
_DIGIT = re.compile(r"\d")


def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) - {"via", "top", "front", "back", "side", "down", "up"}


class StreetAddressRecognizer:
    name = "StreetAddressRecognizer"
    entity = STREET_ADDRESS

    def __init__(self):
        self._stop = _stop_words()

    def _plausible(self, value: str, shape: str) -> bool:
        words = regex.findall(r"\p{L}[\p{L}'’\-]*", value)
        if not words:
            return False
        if shape in ("us", "us_lower"):
            # "3 apples on the way", "5 hours drive": a street name has no function words
            name_words = words[:-1] if len(words) > 1 else words
            if any(w.casefold() in self._stop for w in name_words):
                return False
        if shape in ("compound", "separate"):
            head = words[-1].casefold() if shape == "compound" else ""
            if head in _NOT_STREETS or any(w.casefold() in _NOT_STREETS for w in words):
                return False
        return True

    def find(self, text: str, ctx=None) -> list[Finding]:
        if not _DIGIT.search(text):
            return []
        raw: list[tuple[int, int, float]] = []
        for shape, pattern, score in (
            ("us", _US_LIKE, 0.7),
            ("uk_unit", _UK_UNIT_FIRST, 0.7),
            ("us_lower", _US_LOWER, 0.55),
            ("fr", _FR_LIKE, 0.7),
            ("romance", _ROMANCE_LIKE, 0.65),
            ("compound", _COMPOUND_LIKE, 0.7),
            ("separate", _SEPARATE_LIKE, 0.65),
            ("bare", _TYPE_FIRST_BARE, 0.6),
            ("num_words_num", _NUM_WORDS_NUM, 0.6),
            ("intl", _INTL_LIKE, 0.65),
            ("tr", _TR_LIKE, 0.65),
            ("jp", _JP_LATIN, 0.7),
        ):
            for m in pattern.finditer(text):
                if not self._plausible(m.group(), shape):
                    continue
                start, end = m.start(), m.end()
                if shape == "bare" and not m.group("num") and not _POSTCODE_TAIL.match(text, end):
                    continue
                if shape == "num_words_num" and not (
                    _ADDRESS_CUE.search(text[max(0, start - 60) : start])
                    or _UNIT_RE.match(text, end).end() > end
                    or _POSTCODE_TAIL.match(text, end)
                ):
                    continue
                start, end, score = self._with_tail(text, start, end, score)
                number = _LEADING_NUMBER.search(text[max(0, start - 10) : start])
                if number:
                    start = max(0, start - 10) + number.start()  # "60733 Paul-Nevermann-Platz 47"
                lead = _LEADING_UNIT.search(text[max(0, start - 30) : start])
                if lead:
                    start = max(0, start - 30) + lead.start()
                raw.append((start, end, score))
        raw.extend(_address_fields(text))
        for m in _PO_BOX.finditer(text):
            raw.append(self._with_tail(text, m.start(), m.end(), 0.7))
        for m in _CUED_NAME_NUMBER.finditer(text):
            word = m.group("street").split()[0].rstrip(".")
            folded = word.casefold()
            if folded in self._stop or folded in _NUMBERED_THINGS or is_dictionary_word(word):
                continue  # "is at Level 3", "meet at Gate 5"
            raw.append(self._with_tail(text, m.start("street"), m.end("street"), 0.6))
        return [Finding(s, e, self.entity, self.name, sc) for s, e, sc in _merge(raw)]

    @staticmethod
    def _with_tail(text: str, start: int, end: int, score: float) -> tuple[int, int, float]:
        """Extend a match by a following unit and the longest locality/postcode tail."""
        unit = _UNIT_RE.match(text, end)
        if unit and unit.end() > end:
            end = unit.end()
        best = end
        for tail in _TAILS:
            t = tail.match(text, end)
            if t and t.end() > best:
                best = t.end()
        return start, best, min(0.9, score + 0.15) if best > end else score


def _merge(spans: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """Overlapping matches from different shapes become one address (max score)."""
    out: list[list] = []
    for s, e, sc in sorted(spans):
        if out and s < out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
            out[-1][2] = max(out[-1][2], sc)
        else:
            out.append([s, e, sc])
    return [(s, e, sc) for s, e, sc in out]
