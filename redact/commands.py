"""Handlers for `redact run` and `redact demo-data`."""

from __future__ import annotations

import argparse


def cmd_run(args: argparse.Namespace) -> int:
    from redact.pipeline.job import RunOptions, print_summary, run

    manifest = run(
        RunOptions(
            inputs=args.input,
            output=args.output,
            policy=args.policy,
            address=args.address,
            workers=args.workers,
            resume=args.resume,
            operator=args.operator,
            quiet=args.quiet,
            shard_retries=args.shard_retries,
        )
    )
    print_summary(manifest)
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    from redact.demo_data import write_demo_data

    n = write_demo_data(args.out, args.n, seed=args.seed)
    print(f"wrote {n} conversations to {args.out}")
    return 0
