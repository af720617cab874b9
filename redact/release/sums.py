"""`SHA256SUMS` in the format `sha256sum -c` reads: `<hex>  <relative path>`, sorted by path."""

from __future__ import annotations

import hashlib
from pathlib import Path

SUMS_NAME = "SHA256SUMS"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _safe_name(rel: str) -> str:
    if "\n" in rel or "\\" in rel or "\r" in rel:
        raise ValueError(f"file name not representable in SHA256SUMS: {rel!r}")
    return rel


def write_sums(root: Path, exclude: set[str]) -> tuple[Path, dict[str, str]]:
    """Hash every file under `root` except `exclude` (relative paths) and the sums file itself."""
    skip = {SUMS_NAME, *exclude}
    sums: dict[str, str] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel not in skip:
            sums[_safe_name(rel)] = file_sha256(path)
    out = root / SUMS_NAME
    out.write_text("".join(f"{h}  {rel}\n" for rel, h in sorted(sums.items())), encoding="utf-8")
    return out, sums


def read_sums(path: Path) -> dict[str, str]:
    sums: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        digest, sep, rel = line.partition("  ")
        if not sep:
            digest, sep, rel = line.partition(" *")
        if not sep or len(digest) != 64:
            raise ValueError(f"{path}:{n}: not a sha256sum line")
        sums[rel] = digest
    return sums


def verify_sums(root: Path) -> list[str]:
    """Problems found checking `root/SHA256SUMS` (empty when every listed file matches)."""
    problems = []
    for rel, digest in read_sums(root / SUMS_NAME).items():
        path = root / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
        elif file_sha256(path) != digest:
            problems.append(f"{rel}: sha256 differs")
    return problems
