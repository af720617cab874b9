"""A light module (only audit.log) for the processes that append concurrently in the tests."""

from __future__ import annotations

from audit.log import AuditLog


def append_many(run_dir: str, actor: str, n: int, start) -> None:
    start.wait()
    log = AuditLog(run_dir)
    for i in range(n):
        log.append("review.verdict", actor, {"item_id": i, "verdict": "ok"})
