"""The CI example (deploy/ci/release-gate.yml) runs the gate with the reports the issue asks
for, publishes them even when the gate fails, and lets a failing gate fail the job."""

from __future__ import annotations

import yaml

from tests.conftest import ROOT

WORKFLOW = ROOT / "deploy" / "ci" / "release-gate.yml"


def steps() -> list[dict]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return data["jobs"]["gate"]["steps"]


def test_workflow_runs_the_gate_with_junit_and_markdown():
    gate = next(s for s in steps() if "redact gate" in s.get("run", ""))
    cmd = " ".join(gate["run"].split())
    assert 'redact gate --run "$RUN_DIR" --policy "$POLICY"' in cmd
    assert "--junit gate.xml" in cmd and "--markdown gate.md" in cmd
    assert "if" not in gate and not gate.get("continue-on-error")  # a failing gate fails the job
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert data["jobs"]["gate"]["env"]["POLICY"].endswith("'policies/public-release.yaml' }}")
    assert (ROOT / "policies" / "public-release.yaml").is_file()


def test_reports_are_published_even_when_the_gate_fails():
    after = steps()[
        [i for i, s in enumerate(steps()) if "redact gate" in s.get("run", "")][0] + 1 :
    ]
    assert after and all(str(s.get("if", "")).startswith("always()") for s in after)
    summary = next(s for s in after if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert 'cat gate.md >> "$GITHUB_STEP_SUMMARY"' in summary["run"]
    junit = [s for s in after if "gate.xml" in str(s.get("with", {}))]
    assert {s["uses"].split("@")[0] for s in junit} == {
        "dorny/test-reporter",
        "actions/upload-artifact",
    }


def test_workflow_installs_the_package_and_its_models():
    install = next(s for s in steps() if s.get("name") == "Install redact")["run"]
    assert "pip install -e ." in install and "fr_core_news_sm" in install
