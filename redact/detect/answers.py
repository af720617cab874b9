"""Names given as the answer to a question for them, in the next message.

    assistant: Nice to meet you! What's your name?
    user:      sjöberg

A cue inside one message ("my name is X") is `cues.ContextCueNames`' job; this one spans two
messages, so it runs per conversation. The answer must be short (one to four words, letters
only) and hold no everyday word, so "Why do you ask?" or "I'd rather not say" stay text.
"""

from __future__ import annotations

import regex

from redact.detect.lexicon import fold, not_names
from redact.detect.names import looks_like_identifier
from redact.records import PERSON, Span

RECOGNIZER = "AnswerNames"
_QUESTION = regex.compile(
    r"(?i)(?:what(?:'s|’s| is) your (?:full |first |last |sur|given |family )?name|"
    r"(?:may|can|could) i (?:have|get|ask) your (?:full |first |last )?name|"
    r"what should i call you|what do (?:people|they|your friends) call you|"
    r"who am i (?:talking|speaking|chatting) (?:to|with)|"
    r"comment (?:tu t'appelles|vous appelez-vous|t'appelles-tu)|wie hei(?:ß|ss)t du|"
    r"wie hei(?:ß|ss)en sie|cómo te llamas|come ti chiami|como (?:você se chama|te chamas)|"
    r"hoe heet je)[^\n?]{0,20}\?[\s\p{So}]*$"
)
_ANSWER = regex.compile(
    r"^[ \t]*(?P<name>\p{L}[\p{L}\p{M}'’\-]*(?:[ \t]+\p{L}[\p{L}\p{M}'’\-]*){0,3})[ \t]*[.!]?[ \t]*$"
)


def answered_names(texts: list[str]) -> list[Span]:
    """PERSON spans for short answers that follow a question asking for the name."""
    common = not_names()
    out: list[Span] = []
    for i in range(len(texts) - 1):
        if not _QUESTION.search(texts[i][-200:]):
            continue
        m = _ANSWER.match(texts[i + 1])
        if not m:
            continue
        words = m.group("name").split()
        if any(fold(w) in common or looks_like_identifier(w) or len(w) < 2 for w in words):
            continue
        out.append(Span(i + 1, m.start("name"), m.end("name"), PERSON, RECOGNIZER, 0.7))
    return out
