"""Command-line interface: `redact <command>` and `python -m redact <command>`.

Exit codes: 0 success or pass; 1 policy or integrity failure; 2 usage or input error.
Each command's work lives in its own module, imported only when that command runs, so
`redact --help` stays fast and the parser can validate entrypoints without heavy imports.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from redact import __version__
from redact.errors import RedactError

# command path -> "module:function" taking the parsed args and returning an exit code
HANDLERS = {
    "run": "redact.commands:cmd_run",
    "demo-data": "redact.commands:cmd_demo_data",
    "sample": "audit.commands:cmd_sample",
    "audit verify": "audit.commands:cmd_verify",
    "audit find": "audit.commands:cmd_find",
    "review add-user": "audit.dashboard.commands:cmd_add_user",
    "review serve": "audit.dashboard.commands:cmd_serve",
    "gate": "policies.gate.commands:cmd_gate",
    "release": "redact.release.commands:cmd_release",
    "eval": "redact.evaluation.commands:cmd_eval",
    "bench": "redact.bench.commands:cmd_bench",
}


def _non_negative(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number 0 or more, got {value!r}")
    return n


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors exit 2 with the usage line
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="redact", description="Redact personal data from chat-conversation datasets and gate their release.")
    p.add_argument("--version", action="version", version=f"redact {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging (never logs raw text)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="redact input files into a run directory (Ray)")
    r.add_argument("--input", "-i", nargs="+", required=True, action="extend", metavar="PATH",
                   help="JSONL/Parquet files or folders in the LMSYS-Chat-1M schema")
    r.add_argument("--output", "-o", required=True, metavar="RUN", help="run directory to create")
    r.add_argument("--policy", metavar="FILE", help="policy YAML (default: built-in default policy)")
    r.add_argument("--address", metavar="RAY", help="Ray cluster address (default: embedded local Ray)")
    r.add_argument("--workers", type=int, metavar="N", help="detector actors (default: one per CPU)")
    r.add_argument("--resume", action="store_true", help="continue an interrupted run, skipping finished shards")
    r.add_argument("--operator", help="who runs this (default: the OS user); they may not approve the release")
    r.add_argument("--quiet", action="store_true", help="no progress lines")
    r.add_argument("--shard-retries", type=_non_negative, default=3, metavar="N",
                   help="retries of a shard whose worker process died (killed, out of memory); "
                        "then the run fails and --resume continues it (default: 3)")

    d = sub.add_parser("demo-data", help="write synthetic LMSYS-shaped conversations")
    d.add_argument("--n", type=int, default=2000)
    d.add_argument("--out", required=True, metavar="FILE", help=".jsonl or .parquet")
    d.add_argument("--seed", type=int, default=1234)

    s = sub.add_parser("sample", help="draw the review sample (seeded, stratified)")
    s.add_argument("--run", required=True, metavar="RUN")
    s.add_argument("--policy", metavar="FILE")
    s.add_argument("--seed", type=int)
    s.add_argument("--actor", help="who draws it (default: the OS user)")

    a = sub.add_parser("audit", help="verify the audit trail, find redacted values")
    asub = a.add_subparsers(dest="audit_command", required=True, parser_class=_Parser)
    av = asub.add_parser("verify", help="recompute the hash chain and every file hash")
    av.add_argument("--run", required=True, metavar="RUN")
    af = asub.add_parser("find", help="where was a value redacted (erasure requests)")
    af.add_argument("--run", required=True, metavar="RUN")
    af.add_argument("--value", required=True, metavar="VALUE",
                    help="the value to look up; '-' reads it from stdin (keeps it out of shell history)")

    rv = sub.add_parser("review", help="reviewer accounts and dashboard")
    rsub = rv.add_subparsers(dest="review_command", required=True, parser_class=_Parser)
    ru = rsub.add_parser("add-user", help="create or update a dashboard user (password on stdin)")
    ru.add_argument("name")
    ru.add_argument("--role", required=True, choices=["reviewer", "admin"])
    ru.add_argument("--run", metavar="RUN", help="run whose review store holds the user")
    ru.add_argument("--db", metavar="FILE", help="review database (default: RUN/review/review.sqlite)")
    rs = rsub.add_parser("serve", help="serve the reviewer dashboard")
    rs.add_argument("--run", required=True, metavar="RUN")
    rs.add_argument("--host", default="127.0.0.1")
    rs.add_argument("--port", type=int, default=8765)
    rs.add_argument("--db", metavar="FILE")
    rs.add_argument("--policy", metavar="FILE")

    g = sub.add_parser("gate", help="evaluate the release policy against a run")
    g.add_argument("--run", required=True, metavar="RUN")
    g.add_argument("--policy", required=True, metavar="FILE")
    g.add_argument("--junit", metavar="F")
    g.add_argument("--json", metavar="F")
    g.add_argument("--markdown", metavar="F")

    rl = sub.add_parser("release", help="gate, then build the publishable bundle")
    rl.add_argument("--run", required=True, metavar="RUN")
    rl.add_argument("--policy", required=True, metavar="FILE")
    rl.add_argument("--out", required=True, metavar="DIR")
    rl.add_argument("--actor", help="who releases (default: the OS user)")

    e = sub.add_parser("eval", help="measure detection quality on labeled data")
    e.add_argument("--dataset", required=True, metavar="FILE")
    e.add_argument("--baseline", action="store_true", help="also run plain Presidio side by side")
    e.add_argument("--policy", metavar="FILE")
    e.add_argument("--json", metavar="F")

    b = sub.add_parser("bench", help="throughput benchmark against plain Presidio")
    b.add_argument("--n", type=int, default=2000, help="conversations to generate")
    b.add_argument("--workers", type=int, nargs="+", help="worker counts to measure (default: 1 and all CPUs)")
    b.add_argument("--json", metavar="F")
    b.add_argument("--seed", type=int, default=7)
    b.add_argument("--no-baseline", action="store_true")
    b.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per worker count, interleaved; the median is reported (a shared machine's "
        "speed drifts)",
    )
    return p


def handler_key(args: argparse.Namespace) -> str:
    if args.command == "audit":
        return f"audit {args.audit_command}"
    if args.command == "review":
        return f"review {args.review_command}"
    return args.command


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    module_name, func_name = HANDLERS[handler_key(args)].split(":")
    try:
        handler = getattr(importlib.import_module(module_name), func_name)
        return int(handler(args) or 0)
    except RedactError as err:
        print(f"redact {handler_key(args)}: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
