"""`RUN/run.json` (what a run was asked to do) and `RUN/manifest.json` (what it did).

`run.json` is written before any work; `--resume` compares it with the new request and refuses
to mix inputs, policies or keys. `manifest.json` is written last and lists counts, versions and
the sha256 of every file under data/, findings/, quarantine/ and index/.
"""

from __future__ import annotations

import json
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

from policies.model import Policy
from redact import __version__

OUTPUT_DIRS = ("data", "findings", "quarantine", "index")


def versions(policy: Policy) -> dict[str, str]:
    def v(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    models = {lang: f"{model}=={v(model)}" for lang, model in sorted(policy.languages.ner_models.items())}
    return {
        "redact": __version__,
        "presidio-analyzer": v("presidio-analyzer"),
        "presidio-anonymizer": v("presidio-anonymizer"),
        "spacy": v("spacy"),
        "ray": v("ray"),
        "pyarrow": v("pyarrow"),
        "models": models,
    }


def read_json(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def aggregate(markers: list[dict[str, Any]]) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    files: dict[str, Any] = {}
    for m in sorted(markers, key=lambda m: m["shard"]):
        counts.update(m["counts"])
        by_type.update(m["replacements_by_type"])
        reasons.update(m["quarantine_reasons"])
        files.update(m["files"])
    return {
        "counts": dict(sorted(counts.items())),
        "replacements_by_type": dict(sorted(by_type.items())),
        "quarantine_reasons": dict(sorted(reasons.items())),
        "files": dict(sorted(files.items())),
        "shards": [
            {"shard": m["shard"], "counts": m["counts"], "files": sorted(m["files"])}
            for m in sorted(markers, key=lambda m: m["shard"])
        ],
    }
