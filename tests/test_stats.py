"""Clopper-Pearson bounds and the leak-rate summary the gate and dashboard use."""

from __future__ import annotations

import math

import pytest

from audit.stats import clopper_pearson_upper, leak_bounds, required_sample_size


def test_known_values():
    assert clopper_pearson_upper(0, 299, 0.95) == pytest.approx(0.0100, abs=5e-5)
    assert clopper_pearson_upper(0, 299, 0.95) < 0.01  # 299 is enough for 1 % at 95 %
    assert clopper_pearson_upper(0, 298, 0.95) > 0.01  # and 298 is not
    assert clopper_pearson_upper(1, 299, 0.95) == pytest.approx(0.0158, abs=5e-5)
    assert clopper_pearson_upper(3, 100, 0.95) == pytest.approx(0.07571, abs=5e-5)


@pytest.mark.parametrize(
    ("k", "n", "conf"), [(1, 299, 0.95), (5, 10, 0.9), (3, 100, 0.95), (12, 400, 0.99)]
)
def test_bound_is_where_the_binomial_tail_equals_alpha(k, n, conf):
    """Definition of the exact upper bound: P(X <= k | n, upper) = 1 - C."""
    from scipy.stats import binom

    upper = clopper_pearson_upper(k, n, conf)
    assert binom.cdf(k, n, upper) == pytest.approx(1 - conf, rel=1e-6)


@pytest.mark.parametrize("n", [1, 10, 59, 299, 1000])
@pytest.mark.parametrize("conf", [0.9, 0.95, 0.99])
def test_zero_failures_match_closed_form(n, conf):
    assert clopper_pearson_upper(0, n, conf) == pytest.approx(1 - (1 - conf) ** (1 / n), rel=1e-9)


def test_edges():
    assert clopper_pearson_upper(0, 0, 0.95) == 1.0
    assert clopper_pearson_upper(7, 7, 0.95) == 1.0
    assert clopper_pearson_upper(1, 299, 0.99) > clopper_pearson_upper(1, 299, 0.95)
    for bad in [(-1, 5, 0.95), (6, 5, 0.95), (0, 5, 1.0), (0, 5, 0.0)]:
        with pytest.raises(ValueError):
            clopper_pearson_upper(*bad)


def test_required_sample_size():
    assert required_sample_size(0.01, 0.95) == 299
    assert required_sample_size(0.05, 0.95) == 59
    assert required_sample_size(0.01, 0.99) == 459
    assert (
        required_sample_size(0.5, 0.75) == 2
    )  # exactly 2.0 in real numbers, not ceil(2.0000000000000004)
    for p, c in [(0.01, 0.95), (0.02, 0.9), (0.001, 0.99)]:
        n = required_sample_size(p, c)
        assert clopper_pearson_upper(0, n, c) <= p < clopper_pearson_upper(0, n - 1, c)
    with pytest.raises(ValueError):
        required_sample_size(0, 0.95)


def _sample(strata: dict[str, int]) -> dict:
    items, n = [], 0
    for name, count in strata.items():
        for _ in range(count):
            n += 1
            items.append({"id": n, "stratum": name})
    return {"confidence": 0.95, "items": items}


def test_leak_bounds_overall_and_per_stratum():
    sample = _sample({"English|a|redacted": 200, "French|a|redacted": 99, "German|b|unredacted": 5})
    verdicts = [{"item_id": i, "reviewer": "r1", "verdict": "ok"} for i in range(1, 300)]
    verdicts.append(
        {"item_id": 250, "reviewer": "r2", "verdict": "missed_pii", "entity_type": "PERSON"}
    )
    b = leak_bounds(sample, verdicts)
    assert b["overall"]["k"] == 1 and b["overall"]["n"] == 299 and b["overall"]["sampled"] == 304
    assert b["overall"]["upper"] == pytest.approx(0.0158, abs=5e-5)
    en, fr, de = (
        b["strata"][s] for s in ("English|a|redacted", "French|a|redacted", "German|b|unredacted")
    )
    assert (en["k"], en["n"]) == (0, 200) and en["upper"] == pytest.approx(1 - 0.05 ** (1 / 200))
    assert (fr["k"], fr["n"]) == (1, 99)
    assert (de["k"], de["n"], de["sampled"], de["upper"]) == (0, 0, 5, 1.0)
    assert b["confidence"] == 0.95


def test_latest_verdict_per_reviewer_counts():
    sample = _sample({"s": 3})
    verdicts = [
        {"item_id": 1, "reviewer": "r1", "verdict": "missed_pii", "time": "2024-01-01T10:00:00Z"},
        {
            "item_id": 1,
            "reviewer": "r1",
            "verdict": "ok",
            "time": "2024-01-01T11:00:00Z",
        },  # corrected
        {"item_id": 2, "reviewer": "r1", "verdict": "ok", "time": "2024-01-01T12:00:00Z"},
        {
            "item_id": 2,
            "reviewer": "r1",
            "verdict": "missed_pii",
            "time": "2024-01-01T09:00:00Z",
        },  # older
        {"item_id": 3, "reviewer": "r1", "verdict": "ok"},
        {"item_id": 3, "reviewer": "r2", "verdict": "over_redaction"},
        {"item_id": "3", "reviewer": "r3", "verdict": "missed_pii"},  # ids as text count too
        {"item_id": 99, "reviewer": "r1", "verdict": "missed_pii"},  # not in the sample: ignored
    ]
    overall = leak_bounds(sample, verdicts, confidence=0.9)["overall"]
    assert (overall["k"], overall["n"]) == (1, 3)
    assert overall["upper"] == pytest.approx(clopper_pearson_upper(1, 3, 0.9))
    no_time = [
        {"item_id": 1, "reviewer": "r1", "verdict": "missed_pii"},
        {"item_id": 1, "reviewer": "r1", "verdict": "ok"},
    ]
    assert leak_bounds(sample, no_time)["overall"]["k"] == 0  # list order decides without times
    assert math.isclose(leak_bounds(sample, [])["overall"]["upper"], 1.0)
