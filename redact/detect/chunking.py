"""Split long texts into overlapping windows so spaCy never sees more than `size` characters.

Windows end at whitespace where possible; consecutive windows overlap by `overlap` characters
so an entity crossing a boundary is seen whole in at least one window.
"""

from __future__ import annotations

from collections.abc import Iterator


def windows(text: str, size: int, overlap: int = 200) -> Iterator[tuple[int, str]]:
    """Yield (offset, window) pairs covering `text`."""
    n = len(text)
    if n <= size:
        yield 0, text
        return
    start = 0
    while start < n:
        end = min(start + size, n)
        if end < n:
            cut = text.rfind(" ", start + size // 2, end)
            cut = max(cut, text.rfind("\n", start + size // 2, end))
            if cut > start:
                end = cut
        yield start, text[start:end]
        if end >= n:
            return
        start = max(end - overlap, start + 1)
