"""`redact gate --run RUN --policy FILE [--junit F] [--json F] [--markdown F]`.

Prints the text report (one check per line, then the verdict) and writes the other reports
where asked. Exit 0 when every check passes, 1 when any fails, 2 for bad arguments or a run
that cannot be read (UsageError).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from redact.errors import UsageError


def _write(path: str, text: str) -> None:
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot write report {path}: {err.strerror or err}") from None


def cmd_gate(args: argparse.Namespace) -> int:
    from policies.gate import evaluate
    from policies.model import load_policy

    policy = load_policy(args.policy)
    run_dir = Path(args.run)
    if not run_dir.is_dir():
        raise UsageError(f"no run directory at {run_dir} (pass --run with a finished run's folder)")
    report = evaluate(run_dir, policy)
    sys.stdout.write(report.to_text())
    if getattr(report, "record_error", None):
        print(f"warning: {report.record_error}", file=sys.stderr)
    for path, render in (
        (args.json, report.to_json),
        (args.junit, report.to_junit),
        (args.markdown, report.to_markdown),
    ):
        if path:
            _write(path, render())
    return 0 if report.passed else 1
