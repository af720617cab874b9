"""`redact release --run RUN --policy FILE --out DIR [--actor NAME]`.

Exit 0 with the bundle written; 1 when the gate fails (its text report is printed, nothing is
written) or the evidence does not hold; 2 for bad arguments, a non-empty --out, or a run that
cannot be read.
"""

from __future__ import annotations

import argparse
import sys


def cmd_release(args: argparse.Namespace) -> int:
    from redact.release.bundle import release

    result = release(args.run, args.policy, args.out, actor=getattr(args, "actor", None))
    if not result.built:
        sys.stdout.write(result.report.to_text())
        print(
            f"redact release: refused: the gate failed ({len(result.report.failed)} check(s)); "
            f"nothing was written to {args.out}",
            file=sys.stderr,
        )
        return 1
    p = result.provenance
    print(f"redact gate: {result.report.verdict()}")
    print(
        f"release written to {result.out}: {p['statistics']['conversations']:,} conversations in "
        f"{len(p['data_files'])} data file(s), README.md, {len(p['figures'])} figures, "
        f"{p['sums']['files']} files in {p['sums']['file']}"
    )
    print(
        f"SHA256SUMS sha256 {result.sums_hash}; logged as release.built (audit event "
        f"{result.event['seq']}, {result.event['hash'][:16]})"
    )
    print(f"check it: (cd {result.out} && sha256sum -c {p['sums']['file']})")
    return 0
