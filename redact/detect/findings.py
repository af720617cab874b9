"""The unit every detection component returns: a typed, scored character range in one text."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    """`[start, end)` in the text the component was given; `entity_type` is canonical."""

    start: int
    end: int
    entity_type: str
    recognizer: str
    score: float

    def shifted(self, offset: int) -> Finding:
        if not offset:
            return self
        return Finding(
            self.start + offset, self.end + offset, self.entity_type, self.recognizer, self.score
        )

    def overlaps(self, other: Finding) -> bool:
        return self.start < other.end and other.start < self.end
