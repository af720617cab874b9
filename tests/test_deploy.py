"""deploy/: every YAML file parses, every `redact` command it (or deploy/README.md) names is a
valid command line for the real CLI parser, and the Ray configs pass Ray's own validation."""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

import pytest
import yaml

from redact.cli import build_parser
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
YAML_FILES = sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
SHELL_OPERATORS = {"&&", "||", ";", "|", ">", ">>", "<", "2>&1", "&", ")"}
# `python -m redact ARGS` anywhere; a bare `redact ARGS` where a shell command starts.
COMMAND = re.compile(r"(?:python3?\s+-m\s+redact|(?:^|(?<=[;&|]))\s*redact)\s+(?P<args>\S.*)$")
SECRET_KEYS = ("REDACT_HMAC_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "RAY_AUTH_TOKEN")


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)


def redact_commands(text: str) -> list[list[str]]:
    """Argument lists of the redact commands in a shell-ish text (continuations joined)."""
    found = []
    for line in text.replace("\\\n", " ").splitlines():
        line = line.strip()
        if line.startswith("#"):
            continue
        m = COMMAND.search(line)
        if not m:
            continue
        args = []
        for token in shlex.split(m.group("args"), comments=True):
            if token in SHELL_OPERATORS:
                break
            args.append(token)
        found.append(args)
    return found


def _yaml_docs():
    for path in YAML_FILES:
        for doc in yaml.safe_load_all(path.read_text()):
            yield path, doc


def _readme_commands() -> list[list[str]]:
    text = (DEPLOY / "README.md").read_text()
    blocks = re.findall(r"```(?:sh|bash|shell)\n(.*?)```", text, flags=re.S)  # commands, not output
    return [c for b in blocks for c in redact_commands(b)]


def _parses(args: list[str]) -> None:
    try:
        build_parser().parse_args(args)
    except SystemExit as exit_:
        if exit_.code not in (0, None):  # --help/--version exit 0
            raise AssertionError(f"not a valid redact command: redact {shlex.join(args)}") from None


def test_the_command_finder_works():
    text = "ray job submit --address http://h:8265 -- \\\n  python -m redact run --input a b --output 's3://x/y z'\n"
    assert redact_commands(text) == [["run", "--input", "a", "b", "--output", "s3://x/y z"]]
    assert redact_commands("cd app && redact gate --run R --policy p.yaml > out.txt") == [
        ["gate", "--run", "R", "--policy", "p.yaml"]
    ]
    assert redact_commands("the redact pipeline redacts") == [] and redact_commands("redact") == []
    assert redact_commands("a finished `redact run` output") == []
    with pytest.raises(AssertionError, match="not a valid redact command"):
        _parses(["run", "--inptu", "x"])


def test_deploy_has_the_configs_and_every_yaml_parses():
    names = {p.relative_to(DEPLOY).as_posix() for p in YAML_FILES}
    assert {"kuberay/rayjob.yaml", "ray-cluster-aws.yaml", "runtime_env.yaml"} <= names
    assert (DEPLOY / "Containerfile").is_file() and (DEPLOY / "README.md").is_file()
    for path, doc in _yaml_docs():
        assert doc is not None, f"{path} holds an empty document"
        for s in _strings(doc):  # YAML inside YAML (RayJob.runtimeEnvYAML) parses too
            if s.lstrip().startswith("env_vars:"):
                yaml.safe_load(s)


def test_every_redact_entrypoint_is_a_valid_command():
    commands = []
    for path, doc in _yaml_docs():
        for s in _strings(doc):
            commands += [(path, c) for c in redact_commands(s)]
    commands += [(DEPLOY / "README.md", c) for c in _readme_commands()]
    for _, args in commands:
        _parses(args)
    runs = [(p.relative_to(DEPLOY).as_posix(), a) for p, a in commands if a and a[0] == "run"]
    assert any(p == "kuberay/rayjob.yaml" for p, _ in runs), "the RayJob names no `redact run`"
    assert any(p == "README.md" and "--resume" in a for p, a in runs), "the README shows no resume"
    for _, args in runs:
        if any(a.startswith("s3://") for a in args):
            assert "--output" in args and "--input" in args


def test_rayjob_is_a_kuberay_rayjob_without_secrets_in_its_runtime_env():
    (doc,) = [d for p, d in _yaml_docs() if p.name == "rayjob.yaml"]
    assert doc["apiVersion"] == "ray.io/v1" and doc["kind"] == "RayJob"
    spec = doc["spec"]
    assert redact_commands(spec["entrypoint"])[0][0] == "run"
    runtime_env = yaml.safe_load(spec["runtimeEnvYAML"])
    _valid_runtime_env(runtime_env)
    cluster = spec["rayClusterSpec"]
    head = cluster["headGroupSpec"]
    assert head["rayStartParams"]["num-cpus"] == "0", "the head should run no detector actors"
    images = {
        c["image"]
        for g in [head, *cluster["workerGroupSpecs"]]
        for c in g["template"]["spec"]["containers"]
    }
    assert len(images) == 1, "head and workers must run the same image"
    env = {e["name"]: e for e in head["template"]["spec"]["containers"][0].get("env", [])}
    assert "secretKeyRef" in env["REDACT_HMAC_KEY"]["valueFrom"], "the HMAC key comes from a Secret"


def _valid_runtime_env(runtime_env: dict) -> None:
    from ray.runtime_env import RuntimeEnv

    RuntimeEnv(**runtime_env)  # Ray's own validation of the fields
    leaked = [k for k in runtime_env.get("env_vars", {}) if k in SECRET_KEYS]
    assert not leaked, f"secrets in a runtime env (shown in the dashboard): {leaked}"


def test_runtime_env_file_is_valid_for_ray():
    _valid_runtime_env(yaml.safe_load((DEPLOY / "runtime_env.yaml").read_text()))


def test_cluster_launcher_config_matches_rays_schema():
    import jsonschema
    import ray.autoscaler

    schema = json.loads(
        (Path(os.path.dirname(ray.autoscaler.__file__)) / "ray-schema.json").read_text()
    )
    config = yaml.safe_load((DEPLOY / "ray-cluster-aws.yaml").read_text())
    jsonschema.validate(config, schema)
    assert config["provider"]["type"] == "aws"
    assert config["available_node_types"][config["head_node_type"]]["resources"] == {"CPU": 0}


def test_container_file_bakes_the_package_and_models_for_this_ray():
    import ray

    text = (DEPLOY / "Containerfile").read_text()
    base = re.search(r"^ARG RAY_IMAGE=(\S+)", text, flags=re.M).group(1)
    assert base.startswith(f"rayproject/ray:{ray.__version__}-py311")
    assert "pip install --no-cache-dir ." in text and "redact.detect.engine import preload" in text
