"""Handlers for `redact sample`, `redact audit verify` and `redact audit find`."""

from __future__ import annotations

import argparse
import sys


def cmd_sample(args: argparse.Namespace) -> int:
    from audit.sampling import draw_sample, run_info, summary_text
    from policies.model import load_policy, policy_hash

    policy = load_policy(args.policy) if args.policy else None
    if policy is not None and not sample_exists(args.run):
        recorded = run_info(args.run)[0].get("policy_hash")
        if recorded and policy_hash(policy) != recorded:
            print(
                f"note: {args.policy} is not the policy this run was made with; "
                "the sample records the policy it was drawn under",
                file=sys.stderr,
            )
    sample = draw_sample(args.run, policy, seed=args.seed, actor=args.actor)
    if sample["already_drawn"]:
        print(
            f"the review sample of {args.run} was already drawn ({sample.get('drawn_at', '?')} by "
            f"{sample.get('drawn_by', '?')}); it is fixed and was not redrawn",
            file=sys.stderr,
        )
        if args.seed is not None and args.seed != sample["seed"]:
            print(
                f"  --seed {args.seed} ignored: the sample was drawn with seed {sample['seed']}",
                file=sys.stderr,
            )
        if policy is not None and policy_hash(policy) != sample["policy_hash"]:
            print(
                "  --policy ignored: the sample was drawn under a different policy", file=sys.stderr
            )
    print(summary_text(sample))
    return 0


def sample_exists(run: str) -> bool:
    from audit.sampling import sample_path

    return sample_path(run).exists()


def cmd_verify(args: argparse.Namespace) -> int:
    from audit.verify import report_text, verify_run

    result = verify_run(args.run)
    print(report_text(result), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


def cmd_find(args: argparse.Namespace) -> int:
    from audit.find import find_value, report_text

    value = sys.stdin.readline().rstrip("\n") if args.value == "-" else args.value
    print(report_text(find_value(args.run, value)))
    return 0
