"""Policy files: every shipped policy loads; unknown keys and wrong types are refused with the
key's path named; the release sections say what DESIGN.md and issue 8 ask for."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from audit.stats import required_sample_size
from policies.model import Policy, load_policy, parse_policy, policy_hash
from redact.errors import UsageError
from tests.conftest import ROOT, redact_cli

POLICY_FILES = sorted((ROOT / "policies").glob("*.yaml"))


def demo_data() -> dict:
    return yaml.safe_load((ROOT / "policies" / "demo.yaml").read_text(encoding="utf-8"))


def write(tmp_path: Path, data: object, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def refusal(tmp_path: Path, data: object) -> str:
    with pytest.raises(UsageError) as err:
        load_policy(write(tmp_path, data))
    return str(err.value)


@pytest.mark.parametrize("path", POLICY_FILES, ids=[p.name for p in POLICY_FILES])
def test_every_shipped_policy_loads(path):
    policy = load_policy(path)
    assert isinstance(policy, Policy)
    assert policy.name == path.stem
    assert policy.entities
    assert len(policy_hash(policy)) == 64
    # Every NER model a policy names is installed (the run and the gate would refuse otherwise).
    import spacy

    for model in policy.languages.ner_models.values():
        assert spacy.util.is_package(model), model


def test_public_release_is_strict():
    p = load_policy(ROOT / "policies" / "public-release.yaml")
    r = p.release
    assert r.residual.max_contact_hits == 0
    assert r.residual.max_name_hits == 0
    assert 0 < r.residual.max_name_hit_rate <= 0.001
    assert r.residual.scan_fraction == 1.0
    assert r.max_share_without_ner == 0.0 and r.without_ner_ok_if_reviewed
    assert (r.review.target_leak_rate, r.review.confidence) == (0.01, 0.95)
    assert required_sample_size(r.review.target_leak_rate, r.review.confidence) == 299
    assert r.review.min_reviewers == 2
    assert r.review.operator_may_approve is False
    assert r.allow_policy_mismatch is False
    assert {"user_id", "tstamp", "ip"} <= set(p.drop_fields)
    assert p.card.license == "other" and p.card.license_name and p.card.license_link
    assert set(p.entities) >= {
        "PERSON",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "IP_ADDRESS",
        "CREDIT_CARD",
        "IBAN_CODE",
    }


def test_demo_is_lenient_but_keeps_the_default_detection():
    demo = load_policy(ROOT / "policies" / "demo.yaml")
    default = load_policy(ROOT / "policies" / "default.yaml")
    assert demo.entities == default.entities
    assert demo.languages == default.languages
    assert demo.drop_fields == default.drop_fields
    review = demo.release.review
    assert required_sample_size(review.target_leak_rate, review.confidence) == 45
    assert review.min_reviewers == 1 and not review.operator_may_approve
    assert demo.release.residual.max_name_hit_rate > 0


@pytest.mark.parametrize(
    "mutate, path",
    [
        (lambda d: d.update(colour="blue"), "colour"),
        (lambda d: d["release"].update(max_share_without_nre=0.1), "release.max_share_without_nre"),
        (lambda d: d["release"]["review"].update(min_reviwers=3), "release.review.min_reviwers"),
        (
            lambda d: d["release"]["residual"].update(max_email_hits=0),
            "release.residual.max_email_hits",
        ),
        (lambda d: d["entities"]["PERSON"].update(treshold=0.3), "entities.PERSON.treshold"),
        (lambda d: d["card"].update(licence="mit"), "card.licence"),
        (lambda d: d["languages"].update(models={}), "languages.models"),
    ],
)
def test_unknown_keys_are_refused_with_their_path(tmp_path, mutate, path):
    data = demo_data()
    mutate(data)
    msg = refusal(tmp_path, data)
    assert f"{path}: unknown key" in msg, msg


@pytest.mark.parametrize(
    "mutate, path",
    [
        (
            lambda d: d["release"]["review"].update(min_reviewers="two"),
            "release.review.min_reviewers",
        ),
        (
            lambda d: d["release"]["review"].update(target_leak_rate=1.5),
            "release.review.target_leak_rate",
        ),
        (
            lambda d: d["release"]["review"].update(operator_may_approve="perhaps"),
            "release.review.operator_may_approve",
        ),
        (
            lambda d: d["release"]["residual"].update(max_contact_hits=-1),
            "release.residual.max_contact_hits",
        ),
        (
            lambda d: d["release"]["residual"].update(scan_fraction=0),
            "release.residual.scan_fraction",
        ),
        (
            lambda d: d["release"].update(max_share_without_ner="all"),
            "release.max_share_without_ner",
        ),
        (
            lambda d: d["release"]["review"].update(strata=["language", "colour"]),
            "release.review.strata.1",
        ),
        (lambda d: d.update(drop_fields="user_id"), "drop_fields"),
        (lambda d: d.update(version=2), "version"),
    ],
)
def test_wrong_types_and_values_are_refused_with_their_path(tmp_path, mutate, path):
    data = demo_data()
    mutate(data)
    msg = refusal(tmp_path, data)
    assert f"  - {path}:" in msg, msg


def test_missing_required_key_is_named(tmp_path):
    data = demo_data()
    del data["name"]
    assert "  - name: Field required" in refusal(tmp_path, data)


def test_not_yaml_and_not_a_mapping(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("release: [unclosed\n", encoding="utf-8")
    with pytest.raises(UsageError, match="not valid YAML at line"):
        load_policy(bad)
    with pytest.raises(UsageError, match="top level must be a mapping"):
        parse_policy(["a", "list"], "list.yaml")
    with pytest.raises(UsageError, match="policy file not found"):
        load_policy(tmp_path / "nope.yaml")


def test_policy_hash_ignores_layout_but_not_content(tmp_path):
    data = demo_data()
    a = load_policy(write(tmp_path, data, "a.yaml"))
    reordered = dict(reversed(list(data.items())))
    b = load_policy(write(tmp_path, reordered, "b.yaml"))
    assert policy_hash(a) == policy_hash(b)
    data["release"]["review"]["min_reviewers"] = 3
    c = load_policy(write(tmp_path, data, "c.yaml"))
    assert policy_hash(c) != policy_hash(a)


def test_gate_refuses_an_invalid_policy_with_exit_2(tmp_path):
    data = demo_data()
    data["release"]["review"]["min_reviwers"] = 3
    proc = redact_cli("gate", "--run", str(tmp_path), "--policy", str(write(tmp_path, data)))
    assert proc.returncode == 2
    assert "release.review.min_reviwers: unknown key" in proc.stderr
