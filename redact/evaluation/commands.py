"""`redact eval --dataset FILE [--baseline] [--policy FILE] [--json F]`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from redact.evaluation.datasets import GROUPS


def evaluate(
    dataset: str | Path, policy_path: str | None = None, baseline: bool = False
) -> dict[str, Any]:
    from policies.model import load_policy, policy_hash
    from redact.evaluation.datasets import load_dataset
    from redact.evaluation.metrics import score
    from redact.evaluation.systems import OurSystem, PresidioBaseline

    data = load_dataset(dataset)
    policy = load_policy(policy_path)
    chars = sum(d.record.char_count for d in data)
    report: dict[str, Any] = {
        "dataset": str(dataset),
        "records": len(data),
        "messages": sum(len(d.record.messages) for d in data),
        "chars": chars,
        "languages": _languages(data),
        "policy": policy.name,
        "policy_hash": policy_hash(policy),
        "systems": {},
    }
    ours = OurSystem(policy)
    systems = [ours]
    if baseline:
        english = policy.languages.ner_models.get("English") or next(
            iter(policy.languages.ner_models.values())
        )
        systems.append(PresidioBaseline(english))
    for system in systems:
        run = system.run(data)
        result = score(data, run.removals)
        result.update(
            {
                "failed_records": run.failed,
                "seconds": round(run.seconds, 3),
                "startup_seconds": round(run.startup_seconds, 3),
                "chars_per_second": round(chars / run.seconds) if run.seconds else None,
            }
        )
        report["systems"][system.name] = result
    return report


def _languages(data) -> dict[str, int]:
    counts: dict[str, int] = {}
    for d in data:
        key = d.record.language or "?"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def format_report(report: dict[str, Any]) -> str:
    names = list(report["systems"])
    ours = report["systems"][names[0]]
    base = report["systems"].get(names[1]) if len(names) > 1 else None
    lines = [
        f"dataset {report['dataset']}: {report['records']} records, {report['messages']} messages, "
        f"{report['chars']:,} chars; languages {', '.join(f'{k} {v}' for k, v in report['languages'].items())}",
        f"policy {report['policy']} ({report['policy_hash'][:12]})",
        "",
    ]

    def cell(metric: str, group: str | None) -> str:
        def get(sys):
            block = sys["overall"] if group is None else sys["groups"][group]
            return block.get(metric)

        a = _pct(get(ours))
        return f"{a:>7} {_pct(get(base)):>8}" if base else f"{a:>7}"

    sub = f"{'redact':>7} {'presidio':>8}" if base else f"{'redact':>7}"
    width = len(sub)
    lines.append(
        f"{'group':<8} {'mentions':>8}  {'leak rate':^{width}}  {'precision':^{width}}  "
        f"{'recall':^{width}}  {'over-redaction':^{width}}"
    )
    lines.append(f"{'':<8} {'':>8}  {sub}  {sub}  {sub}  {sub}")
    for g in GROUPS:
        m = ours["groups"][g]["mentions"]
        if not m and not ours["groups"][g]["precision"]:
            continue
        lines.append(
            f"{g:<8} {m:>8}  {cell('leak_rate', g)}  {cell('precision', g)}  {cell('recall', g)}  {cell('over_redaction', g)}"
        )
    lines.append(
        f"{'overall':<8} {ours['overall']['mentions']:>8}  {cell('leak_rate', None)}  {'':>{width}}  {'':>{width}}  "
        f"{cell('over_redaction', None)}"
    )
    lines.append("")
    cons = ours["consistency"]
    text = f"placeholder consistency: redact {_pct(cons['rate'])} ({cons['consistent']}/{cons['entities']} persons)"
    if base:
        text += f", presidio {_pct(base['consistency']['rate'])}"
    lines.append(text)
    speed = f"time: redact {ours['seconds']:.1f} s ({ours['chars_per_second'] or 0:,} chars/s)"
    if base:
        speed += f", presidio {base['seconds']:.1f} s ({base['chars_per_second'] or 0:,} chars/s)"
    lines.append(speed)
    if ours["failed_records"]:
        lines.append(
            f"records that failed detection (counted as withheld): {ours['failed_records']}"
        )
    return "\n".join(lines)


def cmd_eval(args: argparse.Namespace) -> int:
    report = evaluate(args.dataset, args.policy, args.baseline)
    print(format_report(report))
    if args.json:
        Path(args.json).write_text(
            json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
    return 0
