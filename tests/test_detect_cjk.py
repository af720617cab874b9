"""Names in Chinese, Japanese and Korean text: positives with offsets, and look-alike words."""

from __future__ import annotations

import pytest

from redact.detect.cjk import ChineseNames, CjkNames, JapaneseNames, KoreanNames


def names(rule, text: str) -> list[str]:
    return [text[f.start : f.end] for f in rule.find(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我叫王小明，我的邮箱是wang@example.com。", ["王小明"]),
        ("我的名字是李小红。", ["李小红"]),
        ("尊敬的张伟：\n\n感谢您的来信。", ["张伟"]),
        ("致张伟：", ["张伟"]),
        ("姓名：欧阳娜娜", ["欧阳娜娜"]),
        ("联系人: 陈静", ["陈静"]),
        ("帮李华写一封求职信，电话13800138000。", ["李华"]),
        ("回复这封来自张伟 <zw@example.com>的邮件。", ["张伟"]),
        ("这是来自陈秀云的邮件", ["陈秀云"]),
        ("我是陈静，很高兴认识你。", ["陈静"]),
        ("此致\n刘洋\n13912345678", ["刘洋"]),
        ("此致\n敬礼\n王芳", ["王芳"]),
        # a transcript: two or more speakers at line starts
        ("刘洋：下周一要演示\n张敏：好的\n刘洋：谢谢", ["刘洋", "张敏", "刘洋"]),
        ("此致\n敬礼！\n\n学生：陈静\n（日期）", ["陈静"]),
        ("周浩是我们部门的同事，他说凌晨在睡觉。", ["周浩"]),
        ("刘洋：好\n小林：PPT我来准备\n刘洋：行", ["刘洋", "小林", "刘洋"]),
        # a title stays outside the name
        ("王先生明天来开会。", ["王"]),
        ("请把报告发给李老师。", ["李"]),
        ("王小明先生", ["王小明"]),
        ("尊敬的王总：", ["王"]),
        ("王经理说", ["王"]),
        ("張偉醫生", ["張偉"]),
    ],
)
def test_chinese_names(text, expected):
    assert names(ChineseNames(), text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "我是高中生，",  # "I'm a high-school student"
        "我是学生。",
        "我们的历史老师很好",  # 史 is a surname; 历史 (history) is not a name
        "导致高涨",
        "补充一下小明会晚到。",  # a given name alone: no surname, no cue
        "请简单解释一下光合作用。",
        "亲爱的朋友们",
        "我来自马来西亚。",  # "from Malaysia"
        "来自黄山的游客",  # a place, not a sender
        "王者：荣耀攻略\n第一章",  # one "speaker" line is a heading, not a transcript
        "这是我们的产品。王者是我的最爱游戏。",  # a relation word must follow
    ],
)
def test_chinese_words_are_not_names(text):
    assert names(ChineseNames(), text) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("私の名前は田中太郎です。", ["田中太郎"]),
        ("田中さんに連絡してください。", ["田中"]),
        ("山田と申します。よろしくお願いします。", ["山田"]),
        ("ジョンさんは来ますか。", ["ジョン"]),
        ("佐藤先生に聞いてください。", ["佐藤"]),
        ("氏名：佐藤 美咲\n電話：090-1234-5678", ["佐藤 美咲"]),  # a form (no kana needed)
        ("担当：鈴木、よろしく", ["鈴木"]),
        # common surnames before a job title and in business-mail self-introductions
        ("山本部長\n\nお疲れ様です。営業二課の鈴木です。", ["山本", "鈴木"]),
        ("私は営業二課の鈴木 健太です。", ["鈴木 健太"]),
    ],
)
def test_japanese_names(text, expected):
    assert names(JapaneseNames(), text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "お客様にご連絡します。",
        "ユーザー様のデータです。",
        "皆さん、こんにちは。",
        "ご主人様はいますか。",
        "社長さんに聞きました。",
        "这位先生是谁？",  # Chinese (no kana): not a Japanese honorific
        "これは本です。森です。",  # one kanji: a word as often as a surname
        "営業本部長に連絡しました。",  # a title after a word that is no surname
    ],
)
def test_japanese_words_are_not_names(text):
    assert names(JapaneseNames(), text) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("제 이름은 김민수입니다.", ["김민수"]),
        ("김민수 씨에게 전화해 주세요.", ["김민수"]),
        ("박지영님, 안녕하세요.", ["박지영"]),
        ("저는 이서연입니다", ["이서연"]),
        ("남궁민수님께", ["남궁민수"]),
        ("이름: 김민준\n연락처: 010-1234-5678", ["김민준"]),
        ("받는 사람 이서연, 주소 부산", ["이서연"]),
    ],
)
def test_korean_names(text, expected):
    assert names(KoreanNames(), text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "선생님, 질문이 있어요.",
        "고객님께서 주문하신 상품",
        "저는 한국인입니다",
        "마음씨가 좋다",
        "이용자님의 정보",
        "날씨가 좋네요",
    ],  # fmt: skip
)
def test_korean_words_are_not_names(text):
    assert names(KoreanNames(), text) == []


def test_offsets_point_at_the_name_and_latin_text_is_skipped():
    text = "Hello! 我叫王小明。"
    (f,) = CjkNames().find(text)
    assert text[f.start : f.end] == "王小明" and f.entity_type == "PERSON"
    assert CjkNames().find("My name is Anna.") == []


def test_word_based_names_end_where_a_script_without_spaces_begins():
    from redact.detect.cjk import one_script_name
    from redact.detect.findings import Finding

    text = "Hi Anna你好, 我叫王小明"
    latin = one_script_name(text, Finding(3, 9, "PERSON", "GazetteerNames", 0.7))
    assert text[latin.start : latin.end] == "Anna"
    cjk = Finding(13, 16, "PERSON", "ChineseNames", 0.8)
    assert one_script_name(text, cjk) == cjk
    email = Finding(0, 9, "EMAIL_ADDRESS", "EmailRecognizer", 0.9)
    assert one_script_name(text, email) == email


@pytest.mark.parametrize(
    "value, given",
    [("王海燕", "海燕"), ("欧阳娜娜", "娜娜"), ("欧阳娜", None), ("李华", None), ("Anna", None)],
)
def test_han_given_name(value, given):
    from redact.detect.cjk import han_given_name

    assert han_given_name(value) == given
