"""Scoring a system's removals against labels, per report group.

Only letters and digits count (spacing and punctuation of a value carry no identity):
- mention leak: more than half of a labelled mention's letters and digits survive;
- recall: share of labelled letters/digits removed (whatever the detected type);
- precision (group G): share of the letters/digits removed by G-typed detections that lie in a
  G label;
- over-redaction: share of removed letters/digits that lie outside every target label
  (per group: of those removed by G-typed detections; overall: of all removed);
- placeholder consistency: a person (label `entity_id`) is consistent in a conversation when
  all its redacted mentions got one placeholder that no other person got.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from redact.evaluation.datasets import GROUPS, LabeledRecord
from redact.evaluation.systems import Removal


def score(data: Sequence[LabeledRecord], removals: Sequence[Sequence[Removal]]) -> dict[str, Any]:
    c: dict[str, Counter] = {g: Counter() for g in GROUPS}
    overall = Counter()
    consistent = entities = 0
    for item, rec_removals in zip(data, removals, strict=True):
        texts = [m.content for m in item.record.messages]
        owner: list[list[Removal | None]] = [[None] * len(t) for t in texts]
        for r in rec_removals:
            row = owner[r.message_index]
            for k in range(max(0, r.start), min(r.end, len(row))):
                if row[k] is None:
                    row[k] = r
        labelled: list[list[str | None]] = [[None] * len(t) for t in texts]
        for lab in item.labels:
            if lab.group is None:
                continue
            row = labelled[lab.message_index]
            for k in range(lab.start, lab.end):
                if row[k] is None:
                    row[k] = lab.group

        # mentions, leaks, recall
        person_placeholders: dict[str, list[str]] = defaultdict(list)
        for lab in item.labels:
            if lab.group is None:
                continue
            text = texts[lab.message_index]
            alnum = [k for k in range(lab.start, lab.end) if text[k].isalnum()]
            if not alnum:
                continue
            removed = [k for k in alnum if owner[lab.message_index][k] is not None]
            g = c[lab.group]
            g["mentions"] += 1
            g["label_chars"] += len(alnum)
            g["label_removed"] += len(removed)
            if len(alnum) - len(removed) > len(alnum) / 2:
                g["leaked"] += 1
            if lab.entity_id and removed:
                ph = Counter(owner[lab.message_index][k].placeholder for k in removed).most_common(
                    1
                )[0][0]
                person_placeholders[lab.entity_id].append(ph)

        # precision and over-redaction
        for mi, text in enumerate(texts):
            for k, r in enumerate(owner[mi]):
                if r is None or not text[k].isalnum():
                    continue
                overall["removed"] += 1
                inside = labelled[mi][k]
                if inside is None:
                    overall["outside"] += 1
                if r.group is not None:
                    g = c[r.group]
                    g["pred_chars"] += 1
                    if inside == r.group:
                        g["pred_correct"] += 1
                    if inside is None:
                        g["pred_outside"] += 1

        # consistency
        claimed: dict[str, set[str]] = defaultdict(set)
        for eid, phs in person_placeholders.items():
            for ph in phs:
                claimed[ph].add(eid)
        for eid, phs in person_placeholders.items():
            entities += 1
            if len(set(phs)) == 1 and claimed[phs[0]] == {eid}:
                consistent += 1

    groups = {}
    for g in GROUPS:
        x = c[g]
        groups[g] = {
            "mentions": x["mentions"],
            "leaked": x["leaked"],
            "leak_rate": _rate(x["leaked"], x["mentions"]),
            "recall": _rate(x["label_removed"], x["label_chars"]),
            "precision": _rate(x["pred_correct"], x["pred_chars"]),
            "over_redaction": _rate(x["pred_outside"], x["pred_chars"]),
        }
    return {
        "groups": groups,
        "overall": {
            "mentions": sum(c[g]["mentions"] for g in GROUPS),
            "leak_rate": _rate(
                sum(c[g]["leaked"] for g in GROUPS), sum(c[g]["mentions"] for g in GROUPS)
            ),
            "over_redaction": _rate(overall["outside"], overall["removed"]),
            "removed_chars": overall["removed"],
        },
        "consistency": {
            "entities": entities,
            "consistent": consistent,
            "rate": _rate(consistent, entities),
        },
    }


def _rate(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None
