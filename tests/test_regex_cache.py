"""The on-disk cache of compiled large patterns gives exactly what `re.compile` gives."""

from __future__ import annotations

import re

import pytest

from redact.detect import regex_cache
from redact.detect.regex_cache import compile_cached, large_patterns_cached

# A tokenizer-exception-like pattern: anchored alternatives with character classes, a named
# group, inline flags. The tests lower MIN_CHARS so that it counts as large (the real
# threshold would make each compile take seconds).
_WORDS = [f"(?:^w{i}[-\u2010]x[a-zà-ÿ]*$)" for i in range(200)]
BIG = "(?iu)(?P<lead>)" + "|".join(_WORDS)
SMALL_LIMIT = 1000
assert len(BIG) >= SMALL_LIMIT


@pytest.fixture(autouse=True)
def _lower_threshold(monkeypatch):
    monkeypatch.setattr(regex_cache, "MIN_CHARS", SMALL_LIMIT)


SAMPLES = [
    "w1-xabc",
    "W12\u2010Xé",
    "w3-x",
    "w4x",
    "w5-x1",
    "",
    "w199-xa",
    "w200-xa",
    "nope",
    "w7-xÀ",
]


def _same(a: re.Pattern, b: re.Pattern) -> None:
    assert (a.pattern, a.flags, a.groups, a.groupindex) == (
        b.pattern,
        b.flags,
        b.groups,
        b.groupindex,
    )
    for s in SAMPLES:
        ma, mb = a.match(s), b.match(s)
        assert (ma and (ma.span(), ma.groupdict())) == (mb and (mb.span(), mb.groupdict())), s


@pytest.fixture(scope="module")
def reference() -> re.Pattern:
    return re.compile(BIG)


def test_first_call_compiles_and_stores_second_loads(tmp_path, reference):
    first = compile_cached(BIG, cache_dir=tmp_path)
    files = list(tmp_path.glob("*.sre"))
    assert len(files) == 1 and not list(tmp_path.glob("*.tmp"))
    second = compile_cached(BIG, cache_dir=tmp_path)
    _same(first, reference)
    _same(second, reference)
    assert second is not first  # rebuilt from the file, not held in memory


def test_flags_are_part_of_the_key(tmp_path):
    plain = compile_cached(BIG, 0, tmp_path)
    multiline = compile_cached(BIG, re.MULTILINE, tmp_path)
    assert len(list(tmp_path.glob("*.sre"))) == 2
    assert multiline.flags & re.MULTILINE and not plain.flags & re.MULTILINE


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage_header"])
def test_damaged_file_is_recompiled_and_replaced(tmp_path, reference, damage, caplog):
    compile_cached(BIG, cache_dir=tmp_path)
    (path,) = tmp_path.glob("*.sre")
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        path.write_bytes(data[:-7] + bytes([data[-7] ^ 0xFF]) + data[-6:])
    else:
        path.write_bytes(b"{not json\n" + data)
    with caplog.at_level("WARNING"):
        again = compile_cached(BIG, cache_dir=tmp_path)
    _same(again, reference)
    assert "recompiling" in caplog.text
    assert path.read_bytes() == data  # rewritten whole


def test_code_the_engine_rejects_is_recompiled(tmp_path, reference, caplog):
    """Code that passes the checksum but not the regex engine's own validation."""
    import hashlib
    import json
    from array import array

    compile_cached(BIG, cache_dir=tmp_path)
    (path,) = tmp_path.glob("*.sre")
    head, body = path.read_bytes().split(b"\n", 1)
    code = array("I", [0xFFFF] * (len(body) // 4))  # no valid opcode
    meta = json.loads(head)
    meta["sha256"] = hashlib.sha256(code.tobytes()).hexdigest()
    path.write_bytes(json.dumps(meta).encode() + b"\n" + code.tobytes())
    with caplog.at_level("WARNING"):
        _same(compile_cached(BIG, cache_dir=tmp_path), reference)
    assert "not usable" in caplog.text


def test_unwritable_cache_still_compiles(tmp_path, reference):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    _same(compile_cached(BIG, cache_dir=blocked / "regex"), reference)


def test_file_of_another_pattern_is_not_used(tmp_path):
    other = BIG.replace("w1[", "q1[", 1)
    compile_cached(BIG, cache_dir=tmp_path)
    (path,) = tmp_path.glob("*.sre")
    # put BIG's file under the name `other` would use
    path.rename(tmp_path / f"{regex_cache._key(other, 0)}.sre")
    got = compile_cached(other, cache_dir=tmp_path)
    assert got.pattern == other and got.match("q1-xa") and not got.match("w1-xa")


def test_context_patches_only_large_patterns_and_restores(tmp_path, reference):
    original = re.compile
    with large_patterns_cached(tmp_path) as counts:
        assert re.compile is not original
        small = re.compile(r"\d+")
        first = re.compile(BIG)
        second = re.compile(BIG)
    assert re.compile is original
    assert counts == {"hits": 1, "misses": 1}
    assert small.match("42") and len(list(tmp_path.glob("*.sre"))) == 1
    _same(first, reference)
    _same(second, reference)


def test_context_restores_re_compile_after_an_error(tmp_path):
    original = re.compile
    with pytest.raises(RuntimeError), large_patterns_cached(tmp_path):
        raise RuntimeError("model failed to load")
    assert re.compile is original


def test_default_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("REDACT_CACHE_DIR", str(tmp_path / "c"))
    assert regex_cache.default_cache_dir() == tmp_path / "c" / "regex"
    monkeypatch.delenv("REDACT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert regex_cache.default_cache_dir() == tmp_path / "x" / "redact" / "regex"
