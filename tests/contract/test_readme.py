"""The documentation keeps up with the templates and the policy: every consumer template parameter and every
trust-policy key (the leaves, by their dotted path) is described in the configuration reference, every alarm
of both templates in the operations runbook; the README stays a front page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from linkpilot.consumer.policy import policy_json_schema
from linkpilot_local.cfn import load_template, resources_of_type

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text()
RUNBOOK = (ROOT / "docs" / "operations.md").read_text()


def _keys(schema: dict[str, Any], node: dict[str, Any], prefix: str = "") -> list[str]:
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    for option in node.get("anyOf", []):
        if "$ref" in option or "properties" in option:
            return _keys(schema, option, prefix)
    keys = []
    for name, sub in node.get("properties", {}).items():
        path = f"{prefix}{name}"
        nested = [] if name == "overrides" else _keys(schema, sub, f"{path}.")  # overrides repeat defaults
        keys.extend(nested or [path])  # the leaves: what a user sets
    return keys


def test_every_consumer_parameter_is_documented():
    for name in load_template(ROOT / "template.yaml")["Parameters"]:
        assert f"`{name}`" in CONFIGURATION, f"docs/configuration.md does not describe the parameter {name}"


def test_every_policy_key_is_documented():
    schema = policy_json_schema()
    keys = _keys(schema, schema)
    assert "endpoint.vpc_id" in keys and "probe.defaults.timeout_s" in keys
    for key in keys:
        assert f"`{key}`" in CONFIGURATION, f"docs/configuration.md does not describe the policy key {key}"


def test_every_alarm_has_a_runbook_entry():
    for template in ("template.yaml", "provider/template.yaml"):
        for name in resources_of_type(load_template(ROOT / template), "AWS::CloudWatch::Alarm"):
            assert f"`{name}`" in RUNBOOK, f"the runbook does not cover {name} ({template})"


def test_the_readme_is_a_front_page():
    lines = len(README.splitlines())
    assert lines <= 300, f"README.md has {lines} lines; move what is not front-page material to docs/"
