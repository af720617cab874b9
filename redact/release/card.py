"""The dataset card (`README.md`): Hugging Face YAML front matter, then the evidence in prose
and tables. Every figure on it comes from the bundle's data files, the run's manifest and
index, the review store and sample, or the gate report; nothing is typed in by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from redact.records import ENTITY_TYPES

TASK_CATEGORIES = ["conversational", "text-generation"]
DEFAULT_PRETTY_NAME = "Redacted chat conversations"

# What each gate check establishes, for readers who have not seen the gate.
CHECK_MEANING = {
    "audit_trail": "the audit log's hash chain and every file hash verify",
    "policy_hash": "the run was made under this release's policy",
    "completeness": "records in = released + quarantined, per shard",
    "schema": "released files match the LMSYS schema; no dropped field is present",
    "residual_scan": "an independent re-scan of the released text finds no more PII than allowed",
    "ner_coverage": "conversations without NER coverage are within the policy or reviewed",
    "review_sample": "the review sample was drawn as the policy requires",
    "review_verdicts": "every sample item has a verdict",
    "leak_bound": "the leak-rate upper bound is at or below the target",
    "reviewer_approvals": "enough distinct reviewers approved",
    "operator_not_approver": "the run's operator did not approve",
    "no_rejections": "no reviewer rejected",
}
# Checks whose messages name people; shown only where the policy allows names.
NAMING_CHECKS = {"reviewer_approvals", "operator_not_approver", "no_rejections", "review_verdicts"}


def cell(value: Any) -> str:
    """Table-safe Markdown text."""
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\r", " ")
        .replace("\n", " ")
    )


def num(n: int | None) -> str:
    return "not released" if n is None else f"{n:,}"


def pct(x: float, digits: int = 2) -> str:
    return f"{x * 100:.{digits}f}%"


def share(part: int, whole: int) -> str:
    return pct(part / whole) if whole else "n/a"


def _table(
    header: list[str], rows: Iterable[Iterable[Any]], numeric: Iterable[int] = ()
) -> list[str]:
    """A Markdown table; columns whose index is in `numeric` are right-aligned."""
    right = set(numeric)
    sep = ["---:" if i in right else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(sep) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def front_matter(ctx: dict[str, Any]) -> dict[str, Any]:
    card = ctx["policy"].card
    stats = ctx["stats"]
    meta: dict[str, Any] = {"pretty_name": ctx["pretty_name"], "license": card.license}
    if card.license_name:
        meta["license_name"] = card.license_name
    if card.license_link:
        meta["license_link"] = card.license_link
    if ctx["language_codes"]:
        meta["language"] = list(ctx["language_codes"])
    meta["task_categories"] = list(TASK_CATEGORIES)
    meta["size_categories"] = [ctx["size_category"]]
    meta["dataset_info"] = {
        "features": ctx["features"],
        "splits": [
            {
                "name": "train",
                "num_bytes": stats["num_bytes"],
                "num_examples": stats["conversations"],
            }
        ],
        "download_size": ctx["download_size"],
        "dataset_size": stats["num_bytes"],
    }
    meta["configs"] = [
        {"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*"}]}
    ]
    return meta


def _stats_section(ctx: dict[str, Any]) -> list[str]:
    s = ctx["stats"]
    users = num(s["users"])
    lines = [
        "## Dataset statistics",
        "",
        *_table(
            [
                "Dataset",
                "# Convs",
                "# Models",
                "# Users",
                "# Langs",
                "Avg. # Turns per Sample",
                "Avg. # Words per Prompt",
                "Avg. # Words per Response",
            ],
            [
                [
                    ctx["pretty_name"],
                    num(s["conversations"]),
                    num(len(s["models"])),
                    users,
                    num(len(s["languages"])),
                    f"{s['avg_turns']:.2f}",
                    f"{s['avg_prompt_words']:.2f}",
                    f"{s['avg_response_words']:.2f}",
                ]
            ],
            range(1, 8),
        ),
        "",
        "Computed from the released Parquet files (the redacted text) when this bundle was built. "
        "Lengths are in **words**, not tokens: maximal runs of non-whitespace characters, as Python's "
        "`str.split()` counts them (a placeholder such as `NAME_1` is one word). A prompt is a message "
        f"with role `user` ({s['prompt_messages']:,} messages, {s['prompt_words']:,} words), a response one "
        f"with role `assistant` ({s['response_messages']:,} messages, {s['response_words']:,} words). "
        "Turns are the `turn` field (user turns per conversation; counted from the messages where it is "
        "missing).",
        "",
    ]
    if s["users"] is None:
        lines += [
            "Users: **not released**: no user identifier field is in the released data"
            + (
                f" (the policy drops {', '.join(f'`{f}`' for f in ctx['policy'].drop_fields)})."
                if ctx["policy"].drop_fields
                else "."
            ),
            "",
        ]
    else:
        lines += [f"Users: distinct values of the released `{s['user_field']}` field.", ""]
    lines += [
        "![Conversations per model](figures/models.png)",
        "",
        "![Top languages](figures/languages.png)",
        "",
        "![Turns per conversation](figures/turns.png)",
        "",
    ]
    return lines


def _fields_section(ctx: dict[str, Any]) -> list[str]:
    rows = []
    for f in ctx["features"]:
        kind = _kind(f)
        rows.append([f"`{f['name']}`", kind])
    return [
        "## Data fields",
        "",
        "One row per conversation (LMSYS-Chat-1M schema).",
        "",
        *_table(["Field", "Type"], rows),
        "",
        "`redacted` is true when at least one span in the conversation was replaced by a placeholder.",
        "",
    ]


def _kind(entry: dict[str, Any], depth: int = 0) -> str:
    """A feature entry's type in words: `string`, `list of {content: string, role: string}`."""
    if "dtype" in entry:
        return str(entry["dtype"])
    for key, label in (("list", "list of "), ("large_list", "large list of ")):
        if key in entry:
            return label + _inner(entry[key], depth)
    return _inner(entry.get("struct", []), depth)


def _inner(body: Any, depth: int) -> str:
    if isinstance(body, str):
        return body
    if isinstance(body, dict):
        return _kind(body, depth)
    if depth >= 1:  # deeper structs: just their size, the YAML above has every field
        return f"struct of {len(body)} fields"
    return "{" + ", ".join(f"{e['name']}: {_kind(e, depth + 1)}" for e in body) + "}"


def _redaction_section(ctx: dict[str, Any]) -> list[str]:
    m = ctx["manifest"]
    c = m.get("counts", {})
    policy = ctx["policy"]
    released = c.get("released", 0)
    by_type = m.get("replacements_by_type", {})
    reasons = m.get("quarantine_reasons", {})
    lines = [
        "## Redaction",
        "",
        f"`redact` read {num(c.get('in', 0))} records: {num(released)} released, "
        f"{num(c.get('quarantined', 0))} quarantined (withheld, never released). "
        f"**{num(c.get('redacted_conversations', 0))} of {num(released)} released conversations "
        f"({share(c.get('redacted_conversations', 0), released)}) had personal data replaced**, "
        f"{num(sum(by_type.values()))} replacements in all.",
        "",
        "Each detected value is replaced by a typed, numbered placeholder (`NAME_1`, `EMAIL_2`, ...), numbered "
        "per conversation in order of first appearance; the same value gets the same placeholder in every "
        "turn of a conversation.",
        "",
        *_table(
            ["Entity type", "Placeholder", "Replacements"],
            [
                [t, f"{policy.prefix_for(t) or '?'}_n", num(n)]
                for t, n in sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))
            ]
            or [["none", "", "0"]],
            [2],
        ),
        "",
        "![Replacements by entity type](figures/replacements.png)",
        "",
    ]
    if policy.drop_fields:
        lines += [
            f"Fields removed from every record: {', '.join(f'`{f}`' for f in policy.drop_fields)}.",
            "",
        ]
    lines += [f"Quarantined records: {num(c.get('quarantined', 0))}."]
    if reasons:
        lines += [
            "",
            *_table(
                ["Reason", "Records"],
                [[r, num(n)] for r, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))],
                [1],
            ),
        ]
    lines.append("")
    return lines


def _review_section(ctx: dict[str, Any]) -> list[str]:
    r = ctx["review"]
    lines = ["## Human review", ""]
    if r is None:
        return lines + ["No review sample was drawn.", ""]
    o = r["bounds"]["overall"]
    strata = r["sample"].get("strata") or {}
    lines += [
        f"A seeded, stratified random sample of **{num(r['sample']['size'])} conversations** "
        f"(seed {r['sample'].get('seed')}, {len(strata)} strata by {', '.join(r['sample'].get('strata_by') or []) or 'none'}, "
        f"from {num(r['sample'].get('population'))} released) was reviewed in the redacted form.",
        "",
        *_table(
            ["Verdict", "Count"],
            [[v, num(n)] for v, n in r["verdict_counts"].items()] or [["none", "0"]],
            [1],
        ),
        "",
        "Counts are the latest verdict per item and reviewer.",
        "",
        f"- Reviewed items: {num(o['n'])} of {num(o['sampled'])}; items with missed personal data: {num(o['k'])}.",
        f"- Leak rate, one-sided Clopper-Pearson upper bound at {r['confidence']:.0%} confidence: "
        f"**{pct(o['upper'], 3)}** (target {pct(r['target'], 3)}: "
        f"{'met' if o['upper'] <= r['target'] else 'not met'}).",
    ]
    approvals = r["approvals"]
    if approvals:
        by_role: dict[str, list[str]] = {}
        for a in approvals:
            by_role.setdefault(a["role"], []).append(a["reviewer"])
        if r["show_names"]:
            who = "; ".join(
                f"{role}: {', '.join(sorted(names))}" for role, names in sorted(by_role.items())
            )
        else:
            who = ", ".join(
                f"{len(names)} {role}{'s' if len(names) != 1 else ''}"
                for role, names in sorted(by_role.items())
            )
        lines.append(
            f"- Approved by {len(approvals)} distinct reviewer(s) ({who}); the policy needs "
            f"{r['min_reviewers']}."
        )
    else:
        lines.append("- No approvals.")
    lines.append("")
    return lines


def _gate_section(ctx: dict[str, Any]) -> list[str]:
    report = ctx["gate"]
    show = ctx["review"]["show_names"] if ctx["review"] else False
    rows = []
    for c in report.checks:
        evidence = (
            c.message if (show or c.name not in NAMING_CHECKS) else CHECK_MEANING.get(c.name, "")
        )
        rows.append([f"`{c.name}`", "pass" if c.passed else "FAIL", evidence])
    return [
        "## Release gate",
        "",
        f"`redact gate` evaluated policy **{cell(report.policy_name)}** (`sha256:{report.policy_hash}`) "
        f"at {report.evaluated_at or 'release time'}: **{'PASS' if report.passed else 'FAIL'}** "
        f"({sum(c.passed for c in report.checks)} of {len(report.checks)} checks passed).",
        "",
        *_table(["Check", "Result", "Evidence"], rows),
        "",
    ]


def _versions_section(ctx: dict[str, Any]) -> list[str]:
    v = dict(ctx["manifest"].get("versions") or {})
    models = v.pop("models", {}) or {}
    rows = [[k, val] for k, val in v.items()]
    rows += [[f"NER model ({lang})", model] for lang, model in models.items()]
    return ["## Tool and model versions", "", *_table(["Component", "Version"], rows), ""]


def _limitations_section(ctx: dict[str, Any]) -> list[str]:
    policy = ctx["policy"]
    cov = ctx["coverage"]
    total = cov["conversations"]
    lines = ["## Limitations", "", "Generated from the run's evidence:", ""]
    uncovered = [(lang, v) for lang, v in cov["languages"].items() if v["without_ner"]]
    if uncovered:
        detail = ", ".join(
            f"{lang} {num(v['without_ner'])} ({share(v['without_ner'], total)})"
            for lang, v in uncovered
        )
        lines.append(
            f"- **Languages without NER coverage**: {num(cov['without_ner'])} of {num(total)} conversations "
            f"({share(cov['without_ner'], total)}) were processed with pattern recognizers only, so names and "
            f"addresses written in them may remain: {detail}. NER models were used for "
            f"{', '.join(sorted(policy.languages.ner_models)) or 'no language'}."
        )
    else:
        lines.append(
            f"- Every released conversation had NER coverage ({', '.join(sorted(policy.languages.ner_models))})."
        )
    not_covered = [t for t in ENTITY_TYPES if t not in policy.entities]
    if not_covered:
        lines.append(
            f"- **Entity types not redacted** under this policy, which may appear in the text: "
            f"{', '.join(not_covered)}."
        )
    res = policy.release.residual
    fraction = getattr(res, "scan_fraction", 1.0)
    lines.append(
        f"- **Residual allowances**: the gate's independent re-scan of the released text allows up to "
        f"{res.max_contact_hits} unredacted contact detail(s) and {res.max_name_hits} name(s) (or "
        f"{res.max_name_hit_rate:g} per conversation)"
        + (f", scanning {pct(fraction, 0)} of conversations" if fraction < 1 else "")
        + f"; conversations without NER coverage may be up to {pct(policy.release.max_share_without_ner)} "
        "of the release"
        + (
            " (or more, if all of them were reviewed)"
            if policy.release.without_ner_ok_if_reviewed
            else ""
        )
        + "."
    )
    found = _residual_found(ctx["gate"])
    if found:
        lines.append(found)
    if ctx["review"] is not None:
        r = ctx["review"]
        lines.append(
            f"- The review bounds the leak rate statistically ({pct(r['bounds']['overall']['upper'], 3)} at "
            f"{r['confidence']:.0%} confidence), it does not prove zero leaks; detection is automatic and can "
            "miss personal data in unusual formats, in code, or split across messages."
        )
    if ctx["manifest"].get("counts", {}).get("quarantined"):
        lines.append(
            f"- {num(ctx['manifest']['counts']['quarantined'])} input record(s) were quarantined and are "
            "not in this release, so it is not the complete input."
        )
    if ctx["untagged_languages"]:
        lines.append(
            f"- Languages without an ISO 639-1 tag in the metadata: {', '.join(ctx['untagged_languages'])}."
        )
    lines.append("")
    return lines


def _residual_found(report: Any) -> str | None:
    """What the gate's re-scan flagged in the released text, from its evidence."""
    try:
        ev = report.check("residual_scan").evidence
    except (KeyError, AttributeError):
        return None
    by_type = ev.get("hits_by_type") or {}
    if "scanned" not in ev:
        return None
    total = sum(by_type.values())
    if not total:
        return (
            f"- The re-scan of {num(ev['scanned'])} released conversations flagged no unredacted "
            "contact details or names."
        )
    detail = ", ".join(
        f"{t} {num(n)}" for t, n in sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return (
        f"- **Residual findings**: the re-scan of {num(ev['scanned'])} released conversations flagged "
        f"{num(total)} span(s) that may be unredacted personal data (or false alarms of the scanner): "
        f"{detail}. They are within the policy's allowances, so the gate passed; they remain in the text."
    )


def _provenance_section(ctx: dict[str, Any]) -> list[str]:
    return [
        "## Provenance and verification",
        "",
        f"- Run `{ctx['manifest'].get('run_id')}`; audit chain head at release `{ctx['audit_head']}`.",
        f"- Policy `{ctx['policy'].name}` sha256 `{ctx['policy_hash']}`.",
        "- `sha256sum -c SHA256SUMS` checks every file of this bundle except `SHA256SUMS` and `provenance.json`; "
        "`provenance.json` records the sha256 of `SHA256SUMS`, and the run's audit log records both in its "
        "`release.built` event (`redact audit verify --run RUN` checks that log).",
        "",
    ]


def render_card(ctx: dict[str, Any]) -> str:
    meta = yaml.safe_dump(front_matter(ctx), sort_keys=False, allow_unicode=True, width=1000)
    s = ctx["stats"]
    m = ctx["manifest"]
    intro = [
        f"# {ctx['pretty_name']}",
        "",
        f"{num(s['conversations'])} conversations with {num(len(s['models']))} models in "
        f"{num(len(s['languages']))} languages, in the LMSYS-Chat-1M schema, released after automatic "
        f"redaction of personal data by `redact` {m.get('versions', {}).get('redact', '')}, human review of a "
        "random sample, and a release gate. This card was generated from the run's evidence when the bundle "
        "was built; every number can be recomputed from the files here and the run's audit log.",
        "",
    ]
    body = (
        intro
        + _stats_section(ctx)
        + _fields_section(ctx)
        + _redaction_section(ctx)
        + _review_section(ctx)
        + _gate_section(ctx)
        + _versions_section(ctx)
        + _limitations_section(ctx)
        + _provenance_section(ctx)
    )
    text = "\n".join(line for line in body)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return f"---\n{meta}---\n\n{text.rstrip()}\n"
