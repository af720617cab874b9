"""Names in Chinese, Japanese and Korean text, found by what announces them.

No spaCy model for these languages installs from PyPI with our spaCy, and Chinese and
Japanese put no spaces between words, so the word-based rules of `names` and `cues` never see
a name there. Each script has its own announcing context:

- Chinese: a common surname (the most frequent single and compound ones of the Hundred Family
  Surnames, simplified and traditional) and one or two given-name characters, after a cue
  ("我叫", "我的名字是", "尊敬的", "姓名："), before a title ("王先生", "李老师"), or alone on the
  line after a sign-off ("此致\\n敬礼\\n刘洋"). A title keeps its place: "NAME_1先生".
- Japanese: two to four kanji, or a katakana name, before an honorific (さん, 様, 君, ちゃん,
  氏, 先生) or before "と申します", or after "名前は".
- Korean: a common surname and one or two syllables before 씨 or 님 (님: three syllables only,
  since "선생님", "고객님", "사장님" are titles) or after "제 이름은"; the particle after the
  name stays ("김민수입니다" -> "NAME_1입니다").

Everyday words that have the same shape (历史老师, 고객님, ユーザー様, 皆さん) are listed
and skipped.
"""

from __future__ import annotations

import re

from redact.detect.findings import Finding
from redact.records import PERSON

# ---------------------------------------------------------------------------- Chinese
_ZH_SURNAMES_1 = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪"
    "梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农司卓古吉缪简车"
    "项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞"
    "敖巩佘池查麻苑迟邝萧阎"
    # traditional forms of the above that differ
    "張劉陳楊黃趙吳孫馬羅鄭謝許韓馮鄧蕭葉蘇呂盧鍾譚陸賈韋鄒閆龍賀顧龔萬錢嚴湯"
    "溫齊喬龐顏聶魯嶽蘭寧紀畢單塗駱藍鮑華饒繆簡車項蘆麥婁竇黨衛閔鄔邊師欒鞏鄺"
)
_ZH_SURNAMES_2 = (
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 端木 歐陽 司馬 諸葛 東方 長孫"
).split()
_ZH_SURNAME = "(?:" + "|".join(_ZH_SURNAMES_2) + f"|[{_ZH_SURNAMES_1}])"
# Characters that end a name rather than belong to it: particles, pronouns, common verbs.
_ZH_STOP = "的是在和与跟给写来去要说会也都就还把被让了吗呢吧啊这那个请对向从到为们你我他她它将已总"
_ZH_GIVEN = rf"(?:[\u4e00-\u9fff](?<![{_ZH_STOP}]))"
_ZH_NAME = rf"{_ZH_SURNAME}{_ZH_GIVEN}{{1,2}}"
_ZH_CUES = (
    r"我叫|我的名字是|我的名字叫|名字叫|名叫|尊敬的|亲爱的|敬爱的|(?m:^)[ \t]*致|"
    r"(?:姓名|名字|联系人|收件人|发件人|收货人|申请人|负责人|经办人|签名|署名|学生|请假人|报名人|"
    r"作者|客户|患者|乘客|学员|员工|家长|姓名/名字)[ \t]*[:：][ \t]*|"
    # writing or sending for someone: "帮李华写一封求职信"
    r"(?:帮|给|替|为)(?=\S{2,4}(?:写|发|回复|打电话))"
)
_ZH_CUED = re.compile(
    rf"(?:{_ZH_CUES})(?P<name>{_ZH_NAME})"
    # a sender: "来自张伟 <zw@example.com>", "来自张伟的邮件"
    rf"|来自(?P<sender>{_ZH_NAME})(?=[ \t]*[<（(]|的(?:邮件|信|消息|来信|短信))"
)
# "我是陈静，": a self-introduction only when the name ends the clause
_ZH_I_AM = re.compile(
    rf"(?:^|(?<=[\s，,。.！!？?：:]))我是(?P<name>{_ZH_NAME})(?=[\s，,。.！!？?]|$)"
)
_ZH_TITLES = (
    r"先生|女士|小姐|老师|教授|医生|大夫|经理|总监|总|主任|同学|律师|阿姨|叔叔|师傅|博士|"
    r"老師|醫生|經理|總監|總|同學|律師|師傅"
)
# The character before a titled name: a clause start, punctuation, or a function word.
_ZH_BEFORE_TITLED = (
    r"(?:^|(?<=[\s，,。.！!？?：:、“”\"'（(])|(?<=[给和跟与向对是的请叫找问被让把们及或]))"
)
_ZH_TITLED = re.compile(
    rf"{_ZH_BEFORE_TITLED}(?P<name>{_ZH_SURNAME}{_ZH_GIVEN}{{0,2}}?)(?:{_ZH_TITLES})"
)
# A meeting transcript or chat log: "刘洋：下周一要给客户演示" at the start of two or more lines
# with different speakers (one such line may be a heading: "王者：..." is a game title).
# Nicknames of a surname ("小林", "老王", "阿陈") count there too.
_ZH_SPEAKER = re.compile(
    rf"(?m)^[ \t]*(?P<name>[小老阿]{_ZH_SURNAME}(?=[ \t]*[:：])|{_ZH_NAME})[ \t]*[:：](?=[^\n])"
)
# "周浩是我们部门的同事": a name introduced by its relation to the writer
_ZH_RELATION = re.compile(
    rf"(?:^|(?<=[\s，,。.！!？?：:、]))(?P<name>{_ZH_NAME})是(?:我|我们|我的|我们的)"
    r"(?:[\u4e00-\u9fff]{1,4}的)?(?:同事|朋友|同学|老师|领导|经理|老板|上司|室友|邻居|男朋友|"
    r"女朋友|丈夫|妻子|老公|老婆|客户|导师|学生|下属|表哥|表姐|堂哥|堂姐)"
)
_ZH_SIGNOFF = r"此致|敬礼|此致敬礼|谢谢|祝好|顺祝商祺|祝工作顺利|祝一切顺利|敬上|謝謝"
_ZH_SIGNED = re.compile(
    rf"(?m)^[ \t]*(?:{_ZH_SIGNOFF})[ \t，,！!。]*\n(?:[ \t]*(?:{_ZH_SIGNOFF})[ \t，,！!。]*\n)?"
    rf"[ \t]*(?P<name>{_ZH_NAME})[ \t]*$"
)
# Words of a name's shape that are everyday words (after "我是" or before a title).
_ZH_WORDS = frozenset(
    "高中生 高中 高手 学生 王者 马上 黄金 金融 石头 白领 程序员 安全 明星 文员 方面 江湖 余额 全职 "
    "全栈 高级 高管 高三 高二 高一 成人 成年人 路人 司机 华人 金牌 项目 管理员 江西人 湖南人 "
    "万能 常客 温柔 安静 司仪 宁愿 毛病 龙头 白痴 曾经 于是 任何 任务 方式 程序 商人 师傅 申请人 "
    "本人 车主 房东 关于 单身 史上 左右 包括 简单 项目经理 华为 文章 石油 谢谢 成功 康复 应该".split()
)


_ZH_TITLE_START = re.compile(rf"(?:{_ZH_TITLES})")
_ZH_FULL_NAME = re.compile(rf"(?P<surname>{_ZH_SURNAME})(?P<given>[\u4e00-\u9fff]{{2}})")


def han_given_name(value: str) -> str | None:
    """The two-character given name of a Chinese full name ("王海燕" -> "海燕"), which the same
    conversation often uses alone ("好的，海燕！"); None for other values."""
    if value[:2] in _ZH_SURNAMES_2:  # "欧阳娜" is 欧阳 + 娜, never 欧 + 阳娜
        return value[2:] if len(value) == 4 else None
    m = _ZH_FULL_NAME.fullmatch(value)
    return m.group("given") if m else None


_ZH_SURNAME_RE = re.compile(_ZH_SURNAME)


def _before_title(text: str, start: int, end: int) -> int:
    """The end of a name that a title follows inside the match ("王经理" -> "王")."""
    surname = _ZH_SURNAME_RE.match(text, start)
    for cut in range(surname.end() if surname else start + 1, end):
        if _ZH_TITLE_START.match(text, cut):
            return cut
    return end


class ChineseNames:
    """Chinese names after cues, before titles, and after sign-offs."""

    name = "ChineseNames"

    def find(self, text: str) -> list[Finding]:
        out = []
        for pattern, score in (
            (_ZH_CUED, 0.8),
            (_ZH_I_AM, 0.75),
            (_ZH_TITLED, 0.75),
            (_ZH_SIGNED, 0.8),
            (_ZH_RELATION, 0.75),
        ):
            for m in pattern.finditer(text):
                group = "sender" if pattern is _ZH_CUED and m.group("sender") else "name"
                start = m.start(group)
                end = _before_title(text, start, m.end(group))
                if text[start:end] not in _ZH_WORDS:
                    out.append(Finding(start, end, PERSON, self.name, score))
        speakers = [m for m in _ZH_SPEAKER.finditer(text) if m.group("name") not in _ZH_WORDS]
        if len({m.group("name") for m in speakers}) >= 2:
            out.extend(
                Finding(m.start("name"), m.end("name"), PERSON, self.name, 0.7) for m in speakers
            )
        return out


# ---------------------------------------------------------------------------- Japanese
_KANJI = r"\u4e00-\u9fff々"
_KATAKANA = r"\u30a1-\u30fa\u30fc\u30fb"  # letters, ー, ・
_JA_HONORIFIC = r"さん|様|さま|君|くん|ちゃん|氏|先生|殿"
_JA_NAME = rf"[{_KANJI}]{{2,4}}|[{_KATAKANA}]{{2,12}}"
_JA_HONORED = re.compile(
    rf"(?<![{_KANJI}{_KATAKANA}おご御])(?P<name>{_JA_NAME})(?:{_JA_HONORIFIC})(?![{_KANJI}])"
)
_JA_SELF = re.compile(
    rf"(?:名前は|名前が|氏名[:：]?)[ \t　]*(?P<name>[{_KANJI}]{{1,4}}(?:[ \t　]?[{_KANJI}]{{1,4}})?"
    rf"|[{_KATAKANA}]{{2,12}})[ \t　]*(?:と申します|といいます|と言います|です)"
    rf"|(?<![{_KANJI}{_KATAKANA}])(?P<name2>[{_KANJI}]{{2,4}}(?:[ \t　]?[{_KANJI}]{{1,4}})?"
    rf"|[{_KATAKANA}]{{2,12}})[ \t　]*と申します"
)
# Form fields: "氏名：佐藤 美咲", "お名前: ヤマダ タロウ", "担当：鈴木" (value alone on its line or before
# a comma, bracket or honorific).
_JA_LABELED = re.compile(
    rf"(?:氏名|お名前|名前|担当者|担当|宛名|差出人|送り主|受取人|ご依頼主|依頼者|申込者|契約者)[ \t　]*[:：][ \t　]*"
    rf"(?P<name>[{_KANJI}]{{1,4}}(?:[ \t　][{_KANJI}]{{1,4}})?|[{_KATAKANA}]{{2,12}}(?:[ \t　][{_KATAKANA}]{{2,12}})?)"
    rf"(?=[ \t　]*(?:\n|$|[、,，（(]|様|さん|殿))"
)
# The most common Japanese surnames: with them a name is found before a job title ("山本部長")
# and in "営業二課の鈴木です", where two kanji alone could be any word.
_JA_SURNAMES = (
    "佐藤 鈴木 高橋 田中 伊藤 渡辺 渡邊 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 斉藤 "
    "清水 山崎 森 池田 橋本 阿部 石川 山下 中島 石井 小川 前田 岡田 長谷川 藤田 後藤 近藤 村上 遠藤 青木 "
    "坂本 福田 太田 西村 藤井 金子 岡本 藤原 中野 三浦 原田 中川 松田 竹内 小野 田村 中山 和田 石田 森田 "
    "上田 原 柴田 酒井 工藤 横山 宮崎 宮本 内田 高木 安藤 島田 谷口 大野 高田 丸山 今井 河野 藤本 村田 "
    "武田 上野 杉山 増田 小山 大塚 平野 菅原 久保 松井 千葉 岩崎 桜井 木下 野口 松尾 菊地 野村 新井 渡部 "
    "北村 大西 五十嵐 片山 本田 西田 吉川 中西 服部 浅野 樋口 秋山 田口 永井 山内 小島 飯田 荒木 北川"
).split()
_JA_SURNAME = "(?:" + "|".join(sorted(_JA_SURNAMES, key=len, reverse=True)) + ")"
_JA_TITLES = (
    r"部長|課長|係長|社長|専務|常務|取締役|店長|主任|所長|室長|支店長|教授|准教授|監督|会長"
)
_JA_TITLED = re.compile(
    rf"(?<![{_KANJI}])(?P<name>{_JA_SURNAME})(?:[ \t　]?(?:{_JA_TITLES}))(?![{_KANJI}])"
)
# "お疲れ様です。営業二課の鈴木です。", "私は営業二課の鈴木 健太です。"
_JA_MAIL_SELF = re.compile(
    rf"(?:の|は|、|。|\n|^)[ \t　]*(?P<name>{_JA_SURNAME}(?:[ \t　]?[{_KANJI}]{{1,3}})?)"
    rf"[ \t　]*(?:です|でございます|と申します)(?:[。、！!]|$)"
)
_JA_WORDS = frozenset(
    "社長 部長 課長 係長 店長 院長 校長 会長 議長 先輩 後輩 運転手 店員 患者 利用者 担当者 担当 管理者 "
    "奥 旦那 主人 子供 息子 娘 彼女 彼氏 友達 医者 大家 警察 作家 先方 相手 業者 職人 看護師 弁護士 "
    "会員 顧客 読者 視聴者 参加者 応募者 購入者 出品者 落札者 生徒 学生 新人 皆 皆様 神 王 姫 "
    "学生 社員 上司 部下 同僚 家族 両親 父親 母親 受講者 お客 客 隣人 住人 皆々 "
    "ユーザー ユーザ ゲスト メンバー オーナー スタッフ ドライバー マネージャー リーダー ママ パパ "
    "ホスト クライアント カスタマー オペレーター プレイヤー ファン".split()
)
_JA_NOT_SELF = frozenset(
    "学生 社会人 会社員 主婦 日本人 外国人 初心者 医者 教師 エンジニア".split()
)


_JA_NOT_NAMES = _JA_NOT_SELF | _JA_WORDS
_KANA = re.compile(r"[\u3041-\u309f\u30a1-\u30fa]")


class JapaneseNames:
    """Japanese names in form fields, and (in text with kana) before honorifics and job titles
    and in self-introductions."""

    name = "JapaneseNames"

    def find(self, text: str) -> list[Finding]:
        out = [
            Finding(m.start("name"), m.end("name"), PERSON, self.name, 0.8)
            for m in _JA_LABELED.finditer(text)
            if m.group("name") not in _JA_NOT_NAMES
        ]
        if not _KANA.search(text):
            return out  # Chinese: "这位先生" is not a name before an honorific
        for m in _JA_HONORED.finditer(text):
            if m.group("name") not in _JA_WORDS:
                out.append(Finding(m.start("name"), m.end("name"), PERSON, self.name, 0.75))
        for pattern in (_JA_TITLED, _JA_MAIL_SELF):
            for m in pattern.finditer(text):
                if pattern is _JA_MAIL_SELF and len(m.group("name")) < 2:
                    continue  # "森です。": forest, or Mr Mori; one kanji is too little to say
                out.append(Finding(m.start("name"), m.end("name"), PERSON, self.name, 0.75))
        for m in _JA_SELF.finditer(text):
            group = "name" if m.group("name") else "name2"
            if m.group(group) not in _JA_NOT_NAMES:
                out.append(Finding(m.start(group), m.end(group), PERSON, self.name, 0.8))
        unique = {(f.start, f.end): f for f in sorted(out, key=lambda f: f.score)}
        return sorted(unique.values(), key=lambda f: f.start)


# ---------------------------------------------------------------------------- Korean
_KO_SURNAMES = (
    "김 이 박 최 정 강 조 윤 장 임 한 오 서 신 권 황 안 송 류 유 전 홍 고 문 양 손 배 백 허 남 심 노 하 곽 성 "
    "차 주 우 구 민 진 나 지 엄 변 채 원 천 방 공 현 함 염 여 추 도 소 석 선 설 마 길 연 위 표 명 기 반 왕 "
    "금 옥 육 인 맹 제 모 탁 국 어 은 편 용 예 경 봉 사 부 리"
).split()
_KO_SURNAME = "(?:황보|남궁|제갈|선우|독고|" + "|".join(_KO_SURNAMES) + ")"
_HANGUL = r"\uac00-\ud7a3"
_KO_HONORED = re.compile(
    rf"(?<![{_HANGUL}])(?P<name>{_KO_SURNAME}[{_HANGUL}]{{2}})[ \t]?님"
    rf"|(?<![{_HANGUL}])(?P<name2>{_KO_SURNAME}[{_HANGUL}]{{1,2}})[ \t]?씨(?!앗|름|족)"
)
_KO_PARTICLE = r"(?:입니다|이에요|예요|이고|이며|이야|야|라고|이라고|[ \t]|[.,!?]|$)"
_KO_SELF = re.compile(
    rf"(?:제[ \t]*이름은|내[ \t]*이름은|이름은|성함은)[ \t]*(?P<name>[{_HANGUL}]{{2,4}}?)(?={_KO_PARTICLE})"
    rf"|(?:^|(?<=[\s.,!?]))저는[ \t]+(?P<name2>{_KO_SURNAME}[{_HANGUL}]{{2}})(?=입니다|이에요|예요|이고|라고)"
)
# Form fields and recipients: "이름: 김민준", "받는 사람 이서연", "성명：박지훈".
_KO_LABELED = re.compile(
    rf"(?:이름|성명|성함|받는[ \t]?사람|보내는[ \t]?사람|수신자|발신자|수취인|담당자|예금주|신청자)"
    rf"(?:[ \t]*[:：][ \t]*|[ \t]+)(?P<name>{_KO_SURNAME}[{_HANGUL}]{{1,2}})(?={_KO_PARTICLE}|\n|[,，(（])"
)
_KO_WORDS = frozenset(
    "선생 사장 고객 부장 이사 하나 공주 왕자 원장 신부 주인 기사 반장 소장 차장 전무 국장 상무 "
    "마음 한국인 한국어 조선인 전문가 신입생 연구원 정치인 노동자 남학생 여학생 기술자 문과생 이과생 "
    "안내원 사용자 관리자 학생 대학생 고등학생 회사원 개발자 주인공 여러분 아가 아저 할머 "
    "선생님 사장님 고객님 부장님 이용자 구매자 신청자 주문자 방문자 지원자 정회원 구독자 사용자님".split()
)


class KoreanNames:
    """Korean names before 씨/님 and in self-introductions."""

    name = "KoreanNames"

    def find(self, text: str) -> list[Finding]:
        out = []
        for pattern in (_KO_HONORED, _KO_SELF, _KO_LABELED):
            for m in pattern.finditer(text):
                group = "name" if m.group("name") else "name2"
                if m.group(group) not in _KO_WORDS:
                    score = 0.75 if pattern is _KO_HONORED else 0.8
                    out.append(Finding(m.start(group), m.end(group), PERSON, self.name, score))
        return out


# Letters of scripts whose words are not separated by spaces (Thai, kana, CJK ideographs,
# fullwidth forms) or take particles without a space (Hangul): they count as \w in regular
# expressions, yet next to an email address or a name they are the neighbouring word.
NO_SPACE_LETTERS = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uff00-\uffef"
# \w of the scripts written with spaces, for boundaries: next to "卡号" or "吗" a number starts
# and ends. Compiling this class costs ~17 ms (it expands into ranges), so only patterns
# compiled once use it.
WORD_CHAR = rf"[^\W{NO_SPACE_LETTERS}]"
_HAS_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7a3]")
_OTHER_RUN = re.compile(rf"[^{NO_SPACE_LETTERS}]+")
_OTHER_LETTER = re.compile(rf"[^\W\d_{NO_SPACE_LETTERS}]")
_NO_SPACE_LETTER = re.compile(rf"[{NO_SPACE_LETTERS}]")


def has_no_space_letters(text: str) -> bool:
    return _NO_SPACE_LETTER.search(text) is not None


def one_script_name(text: str, finding: Finding) -> Finding:
    """A name found by a word-based rule or model ends where a script without spaces begins:
    "Anna你好" is "Anna" (the rest is the next word, "hello"). CJK names stay whole."""
    value = text[finding.start : finding.end]
    if (
        finding.entity_type != PERSON
        or not _NO_SPACE_LETTER.search(value)
        or not _OTHER_LETTER.search(value)
    ):
        return finding
    for run in _OTHER_RUN.finditer(value):
        piece = run.group()
        if _OTHER_LETTER.search(piece):
            start = finding.start + run.start() + len(piece) - len(piece.lstrip())
            end = finding.start + run.start() + len(piece.rstrip())
            return Finding(start, end, finding.entity_type, finding.recognizer, finding.score)
    return finding


class CjkNames:
    """The three rules above, run only on text that holds CJK characters."""

    name = "CjkNames"

    def __init__(self):
        self.rules = (ChineseNames(), JapaneseNames(), KoreanNames())

    def find(self, text: str, language: str | None = None) -> list[Finding]:
        if not _HAS_CJK.search(text):
            return []
        return [f for rule in self.rules for f in rule.find(text)]
