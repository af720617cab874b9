"""Statistics for the review: sample size and the Clopper-Pearson bound on the leak rate.

The review tests "the released data leaks personal data in fewer than p of conversations" at
confidence C. With zero failures among n reviewed items, the one-sided exact (Clopper-Pearson)
upper bound is 1 - (1-C)^(1/n), which drops below p once n >= ln(1-C)/ln(1-p): 299 items for
p = 1 %, C = 95 %. With k failures the bound is the C-quantile of Beta(k+1, n-k).

The sample over-weights conversations without NER coverage; the bound treats the sample as a
simple random one, which is conservative when those conversations are the riskier ones.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

FAILED_VERDICT = "missed_pii"


def required_sample_size(target_leak_rate: float, confidence: float) -> int:
    """The zero-failure sample size n = ceil(ln(1-C) / ln(1-p))."""
    if not 0 < target_leak_rate < 1 or not 0 < confidence < 1:
        raise ValueError("target leak rate and confidence must lie strictly between 0 and 1")
    exact = math.log1p(-confidence) / math.log1p(-target_leak_rate)
    return max(1, math.ceil(exact - 1e-9))  # 1e-9: a float a hair above an integer is that integer


def clopper_pearson_upper(k: int, n: int, confidence: float) -> float:
    """One-sided upper confidence bound of a binomial proportion, k failures in n trials."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie strictly between 0 and 1")
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0 or k == n:
        return 1.0
    from scipy.stats import beta  # imported here: scipy.stats takes seconds to import

    return float(beta.ppf(confidence, k + 1, n - k))


def latest_verdicts(verdicts: Iterable[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The latest verdict per (item, reviewer): by `time` when given, else by list order."""
    latest: dict[tuple[str, str], tuple[tuple[str, int], dict[str, Any]]] = {}
    for order, v in enumerate(verdicts):
        key = (str(v["item_id"]), str(v.get("reviewer", "")))
        rank = (str(v.get("time") or ""), order)
        if key not in latest or rank >= latest[key][0]:
            latest[key] = (rank, v)
    return {key: v for key, (_, v) in latest.items()}


def item_outcomes(sample: dict[str, Any], verdicts: Iterable[dict[str, Any]]) -> dict[str, bool]:
    """item id -> failed, for every sample item with at least one verdict.

    An item fails when any reviewer's latest verdict on it is `missed_pii`. Verdicts on items
    that are not in the sample are ignored.
    """
    ids = {str(item["id"]) for item in sample["items"]}
    outcome: dict[str, bool] = {}
    for (item_id, _), v in latest_verdicts(verdicts).items():
        if item_id in ids:
            outcome[item_id] = outcome.get(item_id, False) or v.get("verdict") == FAILED_VERDICT
    return outcome


def _bound(k: int, n: int, sampled: int, confidence: float) -> dict[str, Any]:
    return {"k": k, "n": n, "sampled": sampled, "upper": clopper_pearson_upper(k, n, confidence)}


def leak_bounds(
    sample: dict[str, Any], verdicts: Iterable[dict[str, Any]], confidence: float | None = None
) -> dict[str, Any]:
    """Leak-rate upper bounds over the reviewed items, overall and per stratum.

    Returns `{"confidence", "overall": {k, n, sampled, upper}, "strata": {name: {...}}}` where
    n counts reviewed items (at least one verdict), k the failed ones, sampled the items drawn.
    Every stratum of the sample is listed, reviewed or not (n = 0 gives upper = 1.0).
    """
    confidence = sample.get("confidence", 0.95) if confidence is None else confidence
    outcome = item_outcomes(sample, verdicts)
    strata: dict[str, list[int]] = {}
    for item in sample["items"]:
        counts = strata.setdefault(item.get("stratum", "all"), [0, 0, 0])  # k, n, sampled
        counts[2] += 1
        failed = outcome.get(str(item["id"]))
        if failed is not None:
            counts[1] += 1
            counts[0] += int(failed)
    k = sum(c[0] for c in strata.values())
    n = sum(c[1] for c in strata.values())
    return {
        "confidence": confidence,
        "overall": _bound(k, n, len(sample["items"]), confidence),
        "strata": {name: _bound(*c, confidence) for name, c in sorted(strata.items())},
    }
