"""The gate's result and its renderings: text (terminal/CI log), JSON, JUnit XML, Markdown.

Every rendering holds figures and locations only (counts, hashes, conversation ids, offsets),
never record text: the messages the checks write are built from such figures.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Check:
    name: str
    passed: bool
    evidence: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0

    @property
    def status(self) -> str:
        return "PASS" if self.passed else "FAIL"


@dataclass
class GateReport:
    run_dir: str
    run_id: str | None
    policy_name: str
    policy_hash: str
    checks: list[Check]
    evaluated_at: str = ""
    actor: str = ""
    recorded: bool = False  # gate.evaluated appended to the run's audit log
    record_error: str | None = None

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def check(self, name: str) -> Check:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def verdict(self) -> str:
        if self.passed:
            return f"PASS: all {len(self.checks)} checks passed; the release may proceed"
        names = ", ".join(c.name for c in self.failed)
        return (
            f"FAIL: {len(self.failed)} of {len(self.checks)} checks failed ({names}); "
            f"the release is blocked"
        )

    def summary(self) -> dict[str, bool]:
        return {c.name: c.passed for c in self.checks}

    # -- renderings -------------------------------------------------------------------------
    def to_text(self) -> str:
        width = max((len(c.name) for c in self.checks), default=10)
        lines = [
            f"redact gate: run {self.run_id or '?'} ({self.run_dir})",
            f"policy {self.policy_name} sha256:{self.policy_hash[:16]}",
        ]
        for c in self.checks:
            lines.append(f"{c.status}  {c.name:<{width}}  {c.message}")
        lines.append(self.verdict())
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "verdict": self.verdict(),
            "run_dir": self.run_dir,
            "run_id": self.run_id,
            "policy": self.policy_name,
            "policy_hash": self.policy_hash,
            "evaluated_at": self.evaluated_at,
            "actor": self.actor,
            "recorded_in_audit_log": self.recorded,
            "checks": [asdict(c) for c in self.checks],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, default=str) + "\n"

    def to_junit(self) -> str:
        """One testcase per check; a failing check carries a <failure> with its evidence."""
        suites = ET.Element(
            "testsuites",
            name="redact gate",
            tests=str(len(self.checks)),
            failures=str(len(self.failed)),
            errors="0",
            time=f"{sum(c.seconds for c in self.checks):.3f}",
        )
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"redact gate: {self.policy_name}",
            tests=str(len(self.checks)),
            failures=str(len(self.failed)),
            errors="0",
            skipped="0",
            time=f"{sum(c.seconds for c in self.checks):.3f}",
            timestamp=self.evaluated_at,
        )
        props = ET.SubElement(suite, "properties")
        for k, v in (
            ("run_dir", self.run_dir),
            ("run_id", self.run_id or ""),
            ("policy_hash", self.policy_hash),
        ):
            ET.SubElement(props, "property", name=k, value=v)
        for c in self.checks:
            case = ET.SubElement(
                suite, "testcase", classname="redact.gate", name=c.name, time=f"{c.seconds:.3f}"
            )
            evidence = json.dumps(c.evidence, indent=2, sort_keys=True, default=str)
            if c.passed:
                ET.SubElement(case, "system-out").text = f"{c.message}\n{evidence}"
            else:
                failure = ET.SubElement(case, "failure", message=c.message, type="GateCheckFailed")
                failure.text = evidence
        ET.indent(suites)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(suites, encoding="unicode")
            + "\n"
        )

    def to_markdown(self) -> str:
        icon = "✅" if self.passed else "❌"
        lines = [
            f"## {icon} Release gate: {'PASS' if self.passed else 'FAIL'}",
            "",
            f"Run `{_md(self.run_id or '?')}` · policy **{_md(self.policy_name)}** "
            f"(`sha256:{self.policy_hash[:16]}`)",
            "",
            "| Check | Result | Evidence |",
            "|---|---|---|",
        ]
        for c in self.checks:
            mark = "✅ PASS" if c.passed else "❌ **FAIL**"
            lines.append(f"| `{c.name}` | {mark} | {_md(c.message)} |")
        lines += ["", f"**{_md(self.verdict())}**", ""]
        return "\n".join(lines)


def _md(text: str) -> str:
    """Table-safe Markdown: no pipes, newlines or HTML from any message."""
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\r", " ")
        .replace("\n", " ")
    )
