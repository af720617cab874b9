"""Code awareness: which parts of a message are prose, and inside code, which are strings/comments.

Chat logs are full of code. In code, identifiers (`UserManager`, `Total`, `getName`) are never
names, so NER and name rules only see prose and, inside code, string literals and comments;
pattern recognisers (emails, phones, IPs...) still see everything.

`ner_regions(text)` returns the `(start, end)` ranges of `text` that name detection may look at.
Code is found as fenced blocks (```...```, ~~~...~~~), inline `code` spans, and unfenced lines
that look like code (indented statements, lines ending in `;`, `{`, `}`, keywords such as
`def`, `import`, `#include`).
"""

from __future__ import annotations

import re

_FENCE = re.compile(
    r"^[ \t]*(```|~~~)[^\n]*\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)", re.MULTILINE | re.DOTALL
)
_INLINE = re.compile(r"(?<!`)`([^`\n]{1,400})`(?!`)")

# Strings and comments inside code. Triple-quoted strings first; then ordinary strings;
# then line and block comments (#, //, --, /* */, <!-- -->).
_CODE_PARTS = re.compile(
    r'(?P<tq>"""(?:.|\n)*?"""|\'\'\'(?:.|\n)*?\'\'\')'
    r'|(?P<dq>"(?:[^"\\\n]|\\.)*")'
    r"|(?P<sq>'(?:[^'\\\n]|\\.)*')"
    r"|(?P<bt>`(?:[^`\\]|\\.)*`)"
    r"|(?P<block>/\*(?:.|\n)*?\*/|<!--(?:.|\n)*?-->)"
    r"|(?P<line>(?:(?<=\s)|^)(?:#(?![!\w\[{(])|//|--(?=\s))[^\n]*)",
    re.MULTILINE,
)

_CODE_LINE = re.compile(
    r"^(?:[ \t]*(?:def |class |import |from \S+ import |#include|#define|public |private |protected |"
    r"static |function |const |let |var |return\b|if ?\(|for ?\(|while ?\(|else\b|elif |try:|except\b|"
    r"catch ?\(|switch ?\(|case .*:|SELECT |INSERT |UPDATE |DELETE |CREATE |print\(|console\.|"
    r"System\.|std::|package |using |namespace |@\w+|<\?php|<[a-zA-Z][\w-]*[ >/])"
    r"|.*(?:[;{}]|\):|=>)[ \t]*$"
    r"|[ \t]*[\w.\[\]'\"]+[ \t]*(?:=|\+=|-=|:=)[ \t]*[^=\n].*$)"
)


def code_ranges(text: str) -> list[tuple[int, int]]:
    """Character ranges of `text` that are code (fenced, inline, or code-looking lines)."""
    if not text:
        return []
    ranges: list[tuple[int, int]] = []
    fenced_any = "```" in text or "~~~" in text
    if fenced_any:
        for m in _FENCE.finditer(text):
            ranges.append((m.start(2), m.end(2)))
    if "`" in text:
        for m in _INLINE.finditer(text):
            if not any(s <= m.start() < e for s, e in ranges):
                ranges.append((m.start(1), m.end(1)))
    # Unfenced code: runs of code-looking lines (two or more, or one inside an indented block).
    pos = 0
    run: list[tuple[int, int]] = []
    for line in text.splitlines(keepends=True):
        start, end = pos, pos + len(line.rstrip("\r\n"))
        pos += len(line)
        inside = any(s <= start < e for s, e in ranges)
        if not inside and line.strip() and _CODE_LINE.match(line.rstrip("\r\n")):
            run.append((start, end))
            continue
        if len(run) >= 2:
            ranges.append((run[0][0], run[-1][1]))
        run = []
    if len(run) >= 2:
        ranges.append((run[0][0], run[-1][1]))
    return sorted(ranges)


def string_and_comment_ranges(code: str, offset: int = 0) -> list[tuple[int, int]]:
    """Ranges (shifted by `offset`) of string-literal contents and comment texts in `code`."""
    out = []
    for m in _CODE_PARTS.finditer(code):
        kind = m.lastgroup
        s, e = m.start(), m.end()
        if kind == "tq":
            s, e = s + 3, e - 3
        elif kind in ("dq", "sq", "bt"):
            s, e = s + 1, e - 1
        elif kind == "block":
            s, e = (
                s + (2 if code.startswith("/*", s) else 4),
                e - (2 if code.endswith("*/", 0, e) else 3),
            )
        else:  # line comment: drop the marker
            marker = 1 if code.startswith("#", s) else 2
            s += marker
        if e > s:
            out.append((offset + s, offset + e))
    return out


def ner_regions(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(prose ranges, code string/comment ranges): where name detection may run."""
    code = code_ranges(text)
    if not code:
        return ([(0, len(text))] if text else []), []
    prose: list[tuple[int, int]] = []
    literal: list[tuple[int, int]] = []
    pos = 0
    for s, e in code:
        if s > pos:
            prose.append((pos, s))
        literal.extend(string_and_comment_ranges(text[s:e], s))
        pos = max(pos, e)
    if pos < len(text):
        prose.append((pos, len(text)))
    return prose, literal


def in_ranges(start: int, end: int, ranges: list[tuple[int, int]]) -> bool:
    return any(s <= start and end <= e for s, e in ranges)
