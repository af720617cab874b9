"""Reuse the compiled form of very large regular expressions across worker processes.

spaCy's French language module builds one 1.45-million-character tokenizer pattern when it is
imported, and CPython's pure-Python regex compiler spends ~4.5 s of CPU on it: two thirds of
loading fr_core_news_sm, paid again by every worker of every run. Python cannot pickle a
compiled pattern (pickling recompiles), so this module stores what the compiler produces (the
SRE code, a list of integers) on local disk and rebuilds the pattern from it in milliseconds.

The result is the same object `re.compile` would return: same code, flags and groups. A file
whose checksum or header does not match, or whose code the regex engine's validation rejects,
is logged and recompiled, never half-used. The cache key holds the pattern's SHA-256, the flags and the
interpreter's regex engine version, so a file is only ever used for the exact pattern and
Python that wrote it. Only library patterns of at least `MIN_CHARS` go through here, while a
model loads (`large_patterns_cached`); text being redacted never does.

The checksum catches a damaged file, not a forged one: the cache directory is trusted as the
installed packages are (it is created private to the user; keep `REDACT_CACHE_DIR`, if set,
writable by the service user only). Where the compiler internals differ (another Python
implementation), patterns compile as usual.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import sys
import tempfile
from array import array
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

MIN_CHARS = 100_000  # smaller patterns compile in well under 0.1 s: not worth a file
_FORMAT = 1

try:  # CPython's regex compiler; its names are internal, so everything is checked here
    import _sre
    from re import _compiler, _parser

    _ENGINE = f"{sys.implementation.cache_tag}-sre{_sre.MAGIC}-{_sre.CODESIZE}-f{_FORMAT}"
    _SUPPORTED = (
        sys.implementation.name == "cpython"
        and callable(getattr(_compiler, "_code", None))
        and callable(getattr(_sre, "compile", None))
        and array("I").itemsize == _sre.CODESIZE
    )
except (ImportError, AttributeError):  # pragma: no cover - other interpreters
    _ENGINE, _SUPPORTED = "", False


def default_cache_dir() -> Path:
    """`$REDACT_CACHE_DIR`, else `$XDG_CACHE_HOME/redact`, else `~/.cache/redact`; + /regex."""
    root = os.environ.get("REDACT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "redact",
    )
    return Path(root) / "regex"


def _key(pattern: str, flags: int) -> str:
    digest = hashlib.sha256(pattern.encode("utf-8", "surrogatepass")).hexdigest()
    return hashlib.sha256(f"{_ENGINE}|{flags}|{digest}".encode()).hexdigest()[:32]


def _build(pattern: str, flags: int, meta: dict, code: list[int]) -> re.Pattern:
    indexgroup = tuple(meta["indexgroup"])
    return _sre.compile(
        pattern, meta["flags"], code, meta["groups"], meta["groupindex"], indexgroup
    )


def _load(path: Path, pattern: str, flags: int) -> re.Pattern | None:
    """The pattern rebuilt from `path`, or None when the file is missing or not usable."""
    try:
        with path.open("rb") as fh:
            meta = json.loads(fh.readline())
            body = fh.read()
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        log.warning("regex cache file %s unreadable (%s); recompiling", path, err)
        return None
    try:
        if meta["engine"] != _ENGINE or meta["key"] != _key(pattern, flags):
            return None
        if hashlib.sha256(body).hexdigest() != meta["sha256"]:
            raise ValueError("checksum mismatch (truncated or altered)")
        code = array("I")
        code.frombytes(body)
        return _build(pattern, flags, meta, code.tolist())
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        log.warning("regex cache file %s not usable (%s); recompiling", path, err)
        return None


def _store(path: Path, pattern: str, flags: int) -> re.Pattern:
    """Compile `pattern` as `re` does, keep its code in `path` (best effort), return it."""
    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    indexgroup = [None] * parsed.state.groups
    for name, index in parsed.state.groupdict.items():
        indexgroup[index] = name
    meta = {
        "engine": _ENGINE,
        "key": _key(pattern, flags),
        "flags": flags | parsed.state.flags,
        "groups": parsed.state.groups - 1,
        "groupindex": dict(parsed.state.groupdict),
        "indexgroup": indexgroup,
    }
    compiled = _build(pattern, flags, meta, code)
    body = array("I", code).tobytes()
    meta["sha256"] = hashlib.sha256(body).hexdigest()
    tmp = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Several workers may compile the same pattern at once: each writes its own temporary
        # file and renames it into place, so a reader sees a whole file or none.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(json.dumps(meta).encode() + b"\n")
            fh.write(body)
        os.replace(tmp, path)
    except OSError as err:
        log.info("regex cache not written to %s (%s); compiling each time", path.parent, err)
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return compiled


def _cached(pattern: str, flags: int, directory: Path) -> tuple[re.Pattern, bool]:
    """The compiled pattern, and whether it came from `directory`."""
    path = directory / f"{_key(pattern, flags)}.sre"
    found = _load(path, pattern, flags)
    return (found, True) if found is not None else (_store(path, pattern, flags), False)


def _cacheable(pattern: object, flags: int) -> bool:
    return _SUPPORTED and isinstance(pattern, str) and not flags & re.DEBUG


def compile_cached(pattern: str, flags: int = 0, cache_dir: Path | None = None) -> re.Pattern:
    """`re.compile(pattern, flags)`, reusing the compiled code kept in `cache_dir`."""
    flags = int(flags)
    if not _cacheable(pattern, flags):
        return re.compile(pattern, flags)
    return _cached(pattern, flags, cache_dir or default_cache_dir())[0]


@contextlib.contextmanager
def large_patterns_cached(cache_dir: Path | None = None) -> Iterator[dict[str, int]]:
    """While active, `re.compile` of a str pattern of `MIN_CHARS` or more goes through the cache.

    Meant to wrap a model load (spaCy compiles its patterns on import); not thread-safe
    against other code patching `re.compile`. Yields counters of patterns loaded from the
    cache (`hits`) and compiled (`misses`)."""
    counts = {"hits": 0, "misses": 0}
    original = re.compile
    directory = cache_dir or default_cache_dir()

    def compile_maybe_cached(pattern, flags=0):
        flags = int(flags)
        if not (_cacheable(pattern, flags) and len(pattern) >= MIN_CHARS):
            return original(pattern, flags)
        compiled, hit = _cached(pattern, flags, directory)
        counts["hits" if hit else "misses"] += 1
        return compiled

    re.compile = compile_maybe_cached
    try:
        yield counts
    finally:
        re.compile = original
