"""The review sample: size from the policy, strata, weights, reproducibility, fixed once drawn."""

from __future__ import annotations

import json
import random
import shutil
from collections import Counter
from pathlib import Path

import pytest

from audit.log import AuditLog
from audit.sampling import (
    allocate,
    build_sample,
    draw_sample,
    items_hash,
    load_sample,
    recorded_policy,
    seed_from_run_id,
)
from audit.stats import required_sample_size
from policies.model import load_policy, parse_policy
from redact.cli import main
from redact.errors import IntegrityError, UsageError
from tests.audit_fixtures import DEMO_POLICY, conversation, make_run
from tests.conftest import redact_cli

REVIEW = {
    "target_leak_rate": 0.01,
    "confidence": 0.95,
    "min_per_stratum": 1,
    "strata": ["language", "model", "redacted"],
    "no_ner_weight": 3.0,
}


def policy(**review):
    """The demo policy with the review settings these tests assume, whatever demo.yaml says."""
    data = load_policy(DEMO_POLICY).model_dump(mode="json")
    data["release"]["review"].update({**REVIEW, **review})
    return parse_policy(data)


def population(n: int = 5000, seed: int = 3) -> dict[str, list]:
    """A skewed index: mostly English/vicuna, a long tail, 15 % without NER coverage."""
    rng = random.Random(seed)
    langs = rng.choices(
        ["English", "Portuguese", "Russian", "Chinese", None], [70, 10, 10, 9, 1], k=n
    )
    models = rng.choices(["vicuna-13b", "koala-13b", "alpaca-13b", None], [60, 25, 14, 1], k=n)
    return {
        "conversation_id": [f"c{i}" for i in range(n)],
        "shard": [f"part-{i // 1000:05d}" for i in range(n)],
        "row": [i % 1000 for i in range(n)],
        "language": langs,
        "model": models,
        "redacted": [rng.random() < 0.6 for _ in range(n)],
        "ner_coverage": [lang == "English" or rng.random() < 0.5 for lang in langs],
    }


def test_size_strata_and_minimums():
    pop = population()
    s = build_sample(pop, policy(min_per_stratum=2), seed=1)
    assert s["target_size"] == 299
    assert s["size"] == len(s["items"]) >= 299
    assert s["population"] == 5000
    assert s["items_hash"] == items_hash(s["items"])
    assert [it["id"] for it in s["items"]] == list(range(1, s["size"] + 1))
    assert len({it["conversation_id"] for it in s["items"]}) == s["size"]  # without replacement
    counts = Counter(it["stratum"] for it in s["items"])
    for name, st in s["strata"].items():
        assert st["sampled"] == counts.get(name, 0)
        assert st["sampled"] >= min(2, st["population"])
    assert sum(st["population"] for st in s["strata"].values()) == 5000
    assert "unknown|vicuna-13b|redacted" in s["strata"] or any(
        k.startswith("unknown|") for k in s["strata"]
    )
    big = max(s["strata"], key=lambda k: s["strata"][k]["population"])
    assert big.startswith("English|vicuna-13b|")
    it = s["items"][0]
    assert set(it) == {
        "id",
        "conversation_id",
        "shard",
        "row",
        "language",
        "model",
        "redacted",
        "ner_coverage",
        "stratum",
    }
    i = pop["conversation_id"].index(it["conversation_id"])
    assert (it["shard"], it["row"], it["language"], it["model"]) == (
        pop["shard"][i],
        pop["row"][i],
        pop["language"][i],
        pop["model"][i],
    )


def test_sizes_follow_the_policy():
    pop = population(3000)
    assert build_sample(pop, policy(target_leak_rate=0.05, min_per_stratum=0), 1)["size"] == 59
    assert build_sample(pop, policy(confidence=0.99, min_per_stratum=0), 1)["size"] == 459
    assert build_sample(pop, policy(min_per_stratum=0), 1)["size"] == 299
    small = build_sample(population(120), policy(), 1)
    assert small["target_size"] == small["size"] == 120  # capped at the population
    one = build_sample(pop, policy(strata=[], min_per_stratum=0), 1)
    assert list(one["strata"]) == ["all"] and one["size"] == 299


def test_minimum_per_stratum_can_exceed_n():
    pop = population(5000)
    lean, rich = (
        build_sample(pop, policy(min_per_stratum=0), 1),
        build_sample(pop, policy(min_per_stratum=10), 1),
    )
    assert lean["size"] == 299 < rich["size"]
    assert all(st["sampled"] >= min(10, st["population"]) for st in rich["strata"].values())


def test_allocation_is_proportional_and_capped():
    assert allocate(10, {"a": 50, "b": 30, "c": 20}, {"a": 50, "b": 30, "c": 20}, 0) == {
        "a": 5,
        "b": 3,
        "c": 2,
    }
    # b is tiny but heavily weighted: it is taken whole and the rest goes to a
    assert allocate(10, {"a": 100, "b": 2}, {"a": 100, "b": 300}, 0) == {"a": 8, "b": 2}
    assert allocate(3, {"a": 1, "b": 1, "c": 1, "d": 97}, {"a": 1, "b": 1, "c": 1, "d": 97}, 1) == {
        "a": 1,
        "b": 1,
        "c": 1,
        "d": 3,
    }
    assert allocate(500, {"a": 5, "b": 7}, {"a": 5, "b": 7}, 1) == {"a": 5, "b": 7}
    assert (
        sum(
            allocate(
                299, {str(i): 7 + i for i in range(40)}, {str(i): 7.0 + i for i in range(40)}, 0
            ).values()
        )
        == 299
    )


def test_no_ner_weight_oversamples_conversations_without_ner():
    pop = population(8000)
    share_pop = pop["ner_coverage"].count(False) / 8000
    flat = build_sample(pop, policy(no_ner_weight=1.0, strata=[]), 2)
    heavy = build_sample(pop, policy(no_ner_weight=5.0, strata=[]), 2)

    def share(s):
        return sum(not it["ner_coverage"] for it in s["items"]) / s["size"]

    assert abs(share(flat) - share_pop) < 0.07
    assert share(heavy) > share_pop + 0.15


def test_same_seed_same_sample_whatever_the_index_order():
    pop = population(3000)
    a, b = build_sample(pop, policy(), 42), build_sample(pop, policy(), 42)
    assert a == b
    order = list(range(3000))
    random.Random(0).shuffle(order)
    shuffled = {k: [v[i] for i in order] for k, v in pop.items()}
    assert build_sample(shuffled, policy(), 42)["items_hash"] == a["items_hash"]
    c = build_sample(pop, policy(), 43)
    overlap = {it["conversation_id"] for it in a["items"]} & {
        it["conversation_id"] for it in c["items"]
    }
    assert len(overlap) < 0.5 * a["size"]


# -- draw_sample on a run -----------------------------------------------------------------
@pytest.fixture(scope="module")
def template_run(tmp_path_factory) -> Path:
    langs, models = (
        ["English", "English", "English", "French", "German"],
        ["vicuna-13b", "koala-13b", "alpaca-13b"],
    )
    convs = [
        conversation(i, langs[i % 5], models[(i // 5) % 3], no_ner=langs[i % 5] == "German")
        for i in range(900)
    ]
    return make_run(
        tmp_path_factory.mktemp("template") / "run",
        convs,
        shard_size=300,
        quarantined=0,
        policy=policy(),
    )


@pytest.fixture
def run(template_run, tmp_path) -> Path:
    return Path(shutil.copytree(template_run, tmp_path / "run"))


def test_draw_writes_logs_and_is_fixed(run):
    assert load_sample(run) is None
    first = draw_sample(run, actor="op-alice")
    assert first["already_drawn"] is False
    assert first["seed"] == seed_from_run_id("0123456789abcdef0123456789abcdef")
    assert first["seed_source"] == "run_id" and first["drawn_by"] == "op-alice"
    assert first["size"] >= 299 and first["population"] == 900
    stored = load_sample(run)
    assert stored == {k: v for k, v in first.items() if k != "already_drawn"}
    assert json.loads((run / "review" / "sample.json").read_text()) == stored
    events = [e for e in AuditLog(run).events() if e["type"] == "sample.drawn"]
    assert len(events) == 1
    p = events[0]["payload"]
    assert (p["items_hash"], p["seed"], p["size"], p["policy_hash"]) == (
        stored["items_hash"],
        stored["seed"],
        stored["size"],
        stored["policy_hash"],
    )
    assert events[0]["actor"] == "op-alice"
    assert "Jane" not in json.dumps(events[0]) and "conversation_id" not in json.dumps(p)

    again = draw_sample(run, policy(target_leak_rate=0.05), seed=7, actor="someone")
    assert again["already_drawn"] is True
    assert {k: v for k, v in again.items() if k != "already_drawn"} == stored
    assert len([e for e in AuditLog(run).events() if e["type"] == "sample.drawn"]) == 1


def test_given_seed_is_recorded_and_reproducible(run, tmp_path):
    s = draw_sample(run, seed=99, actor="x")
    assert (s["seed"], s["seed_source"]) == (99, "given")
    other = Path(shutil.copytree(run, tmp_path / "other"))
    (other / "review" / "sample.json").unlink()
    assert draw_sample(other, seed=99, actor="y")["items"] == s["items"]


def test_tampered_sample_is_not_returned(run):
    draw_sample(run, actor="x")
    path = run / "review" / "sample.json"
    sample = json.loads(path.read_text())
    sample["items"] = sample["items"][:10]
    path.write_text(json.dumps(sample))
    with pytest.raises(IntegrityError, match="items do not match"):
        draw_sample(run, actor="x")
    sample["items_hash"] = items_hash(sample["items"])
    path.write_text(json.dumps(sample))
    with pytest.raises(IntegrityError, match="differs from the sample.drawn event"):
        draw_sample(run, actor="x")


def test_unfinished_or_empty_runs_are_refused(tmp_path, run):
    with pytest.raises(UsageError):
        draw_sample(tmp_path / "missing")
    (run / "manifest.json").rename(run / "manifest.bak")
    with pytest.raises(UsageError, match="no finished run"):
        draw_sample(run)


def test_cli_sample_prints_a_summary_and_refuses_to_redraw(run, capsys):
    assert main(["sample", "--run", str(run), "--actor", "op-alice"]) == 0
    out = capsys.readouterr().out
    assert (
        "review sample:" in out and "zero-failure size 299" in out and "English|vicuna-13b|" in out
    )
    assert main(["sample", "--run", str(run), "--seed", "5"]) == 0
    captured = capsys.readouterr()
    assert "already drawn" in captured.err and "--seed 5 ignored" in captured.err


def test_real_run_sample(run_copy):
    first = redact_cli("sample", "--run", str(run_copy), "--actor", "op-alice", check=True)
    sample = load_sample(run_copy)
    assert (
        sample["population"]
        == json.loads((run_copy / "manifest.json").read_text())["counts"]["released"]
    )
    review = recorded_policy(run_copy).release.review
    assert sample["target_size"] == min(
        sample["population"], required_sample_size(review.target_leak_rate, review.confidence)
    )
    assert sample["size"] >= sample["target_size"]
    assert f"items_hash {sample['items_hash'][:16]}" in first.stdout
    second = redact_cli("sample", "--run", str(run_copy), "--seed", "3", check=True)
    assert "already drawn" in second.stderr
    assert load_sample(run_copy) == sample
    assert redact_cli("audit", "verify", "--run", str(run_copy)).returncode == 0
