"""The release gate: `evaluate(run_dir, policy) -> GateReport`, one check per policy rule.

The gate fails whenever the evidence is incomplete. It evaluates every check first, then
appends one `gate.evaluated {passed, policy_hash, checks}` event to the run's audit log (so
the audit-trail check never sees its own event half-written). See `checks.py` for the checks
and `report.py` for the text, JSON, JUnit XML and Markdown renderings.
"""

from __future__ import annotations

import getpass
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

from policies.gate.checks import CHECKS, GateContext
from policies.gate.report import Check, GateReport
from policies.model import Policy, load_policy
from redact.errors import RedactError, UsageError

log = logging.getLogger(__name__)

__all__ = ["Check", "GateReport", "evaluate", "CHECKS"]


def _run_check(name, func, ctx: GateContext) -> Check:
    started = time.perf_counter()
    try:
        check = func(ctx)
    except UsageError:
        raise
    except Exception as err:  # noqa: BLE001 - a check that cannot complete fails (closed)
        log.debug("gate check %s raised", name, exc_info=True)
        check = Check(
            name,
            False,
            {"error": type(err).__name__},
            f"could not complete ({type(err).__name__}: {str(err)[:300]}); the evidence it needs "
            f"is missing or unreadable",
        )
    check.seconds = round(time.perf_counter() - started, 3)
    return check


def evaluate(
    run_dir: str | Path,
    policy: Policy | str | Path,
    actor: str | None = None,
    record: bool = True,
) -> GateReport:
    """Run every check against a finished run and (when `record`) log `gate.evaluated`.

    Raises UsageError when `run_dir` is not a readable run or the policy file is invalid.
    """
    if not isinstance(policy, Policy):
        policy = load_policy(policy)
    ctx = GateContext(run_dir, policy)
    checks = [_run_check(name, func, ctx) for name, func in CHECKS]
    report = GateReport(
        run_dir=str(run_dir),
        run_id=ctx.run_id,
        policy_name=policy.name,
        policy_hash=ctx.policy_hash,
        checks=checks,
        evaluated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        actor=actor or getpass.getuser(),
    )
    if record:
        from audit.log import AuditLog

        try:
            AuditLog(run_dir).append(
                "gate.evaluated",
                report.actor,
                {
                    "passed": report.passed,
                    "policy_hash": report.policy_hash,
                    "checks": report.summary(),
                },
            )
            report.recorded = True
        except (RedactError, OSError) as err:
            report.recorded = False
            report.record_error = f"could not append gate.evaluated to the audit log: {err}"
    return report
