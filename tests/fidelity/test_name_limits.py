"""Every name the templates give a resource fits that resource type's limits under the longest stack name a
StackSet can produce.

Limits: the CloudFormation resource schemas cfn-lint ships (``maxLength`` and ``pattern`` of each name
property and of tag values). Stack names: CloudFormation allows at most 128 characters (CreateStack /
CreateStackSet: "can't be longer than 128 characters"); a StackSet instance stack is named
``StackSet-<stack set name>-<36-character uuid>`` (AWS CLI example ``list-stack-instances``), so a long stack
set name gives a 128-character stack name. (How AWS shortens ``StackSet-`` + a 128-character set name + uuid
is unverified; the stack name limit bounds it either way.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
from reliability.support import ROOT

from linkpilot_local.cfn import load_template

STACK_NAME_MAX = 128
UUID = "35a6ac50-d9f8-4084-86e4-7da34d5de4c4"
LONGEST_STACK_NAME = f"StackSet-{'a' * (STACK_NAME_MAX - len('StackSet-') - 1 - len(UUID))}-{UUID}"
PSEUDO = {
    "AWS::StackName": LONGEST_STACK_NAME,
    "AWS::Region": "ap-southeast-5",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws-us-gov",
    "AWS::URLSuffix": "amazonaws.com",
}
# Ref of a resource whose physical id CloudFormation generates within that type's own limit.
GENERATED_REF_LENGTH = {"AWS::Serverless::Function": 64, "AWS::Lambda::Function": 64}
TEMPLATES = {"consumer": ROOT / "template.yaml", "provider": ROOT / "provider" / "template.yaml"}


class Unresolved(Exception):
    pass


def _norm(node: Any) -> Any:
    if isinstance(node, dict) and len(node) == 1:
        ((key, value),) = node.items()
        return {key.removeprefix("Fn::"): value}
    return node


def resolve(node: Any, template: dict[str, Any]) -> list[str]:
    """Every string the expression can take (both branches of an If); parameters take their Default."""
    node = _norm(node)
    if isinstance(node, str | int | float):
        return [str(node)]
    if not isinstance(node, dict):
        raise Unresolved(repr(node))
    ((fn, arg),) = node.items()
    if fn == "Ref" and arg == "AWS::NoValue":
        return []  # the property is left out: no value to check
    if fn == "Ref":
        return [_ref(arg, template)]
    if fn == "If":
        return resolve(arg[1], template) + resolve(arg[2], template)
    if fn == "Join":
        sep, parts = arg
        values = [resolve(p, template) for p in parts]
        return [sep.join(v[0] for v in values)] if all(len(v) == 1 for v in values) else _unresolved(node)
    if fn == "Sub":
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return match.group(0)
            if name in variables:
                (value,) = resolve(variables[name], template)
                return value
            if "." in name:
                raise Unresolved(name)
            return _ref(name, template)

        return [re.sub(r"\$\{([^}]+)\}", one, text)]
    raise Unresolved(fn)


def _unresolved(node: Any) -> list[str]:
    raise Unresolved(repr(node))


def _ref(name: str, template: dict[str, Any]) -> str:
    if name in PSEUDO:
        return PSEUDO[name]
    if name in template.get("Parameters", {}):
        param = template["Parameters"][name]
        if "Default" not in param:
            raise Unresolved(f"parameter {name} has no default")
        default = param["Default"]
        return ",".join(default) if isinstance(default, list) else str(default)
    resource = template["Resources"].get(name)
    if resource is not None and resource["Type"] in GENERATED_REF_LENGTH:
        return "g" * GENERATED_REF_LENGTH[resource["Type"]]
    raise Unresolved(f"Ref {name}")


def _schema(rtype: str) -> dict[str, Any]:
    schema: dict[str, Any] = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", rtype).schema
    return schema


def _deref(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["definitions"][node["$ref"].removeprefix("#/definitions/")]
    return node


def named_values(template: dict[str, Any]) -> Iterator[tuple[str, str, Any, dict[str, Any]]]:
    """(resource, property path, expression, property schema) of every name-like property and tag value."""
    for logical, resource in template["Resources"].items():
        rtype = resource["Type"]
        if rtype.startswith("AWS::Serverless::"):
            continue
        schema = _schema(rtype)
        props = resource.get("Properties", {})
        for key, value in props.items():
            spec = _deref(schema, schema["properties"].get(key, {}))
            if (key == "Name" or key.endswith("Name")) and spec.get("type") == "string":
                yield logical, key, value, spec
        tags = props.get("Tags")
        if isinstance(tags, list) and "Tags" in schema["properties"]:
            tag_spec = _deref(schema, _deref(schema, schema["properties"]["Tags"]).get("items", {}))
            value_spec = _deref(schema, tag_spec.get("properties", {}).get("Value", {}))
            for i, tag in enumerate(tags):
                yield logical, f"Tags[{i}].Value", tag["Value"], value_spec


def _violations(template: dict[str, Any]) -> list[str]:
    problems = []
    for logical, path, expression, spec in named_values(template):
        try:
            values = resolve(expression, template)
        except Unresolved as exc:
            problems.append(f"{logical}.{path}: cannot resolve {exc}")
            continue
        for value in values:
            limit = spec.get("maxLength")
            if limit is not None and len(value) > limit:
                problems.append(f"{logical}.{path}: {len(value)} > {limit} characters ({value[:40]}...)")
            pattern = spec.get("pattern")
            if pattern is not None and re.search(pattern, value) is None:
                problems.append(f"{logical}.{path}: {value!r} does not match {pattern}")
    return problems


def test_longest_stack_name_has_the_stackset_form_and_the_stack_name_limit() -> None:
    assert len(LONGEST_STACK_NAME) == STACK_NAME_MAX
    assert re.fullmatch(r"StackSet-[A-Za-z][A-Za-z0-9-]*-[0-9a-f-]{36}", LONGEST_STACK_NAME)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_named_resource_fits_its_schema_under_the_longest_stack_name(name: str) -> None:
    template = load_template(TEMPLATES[name])
    assert list(named_values(template)), "the walk found the named properties"
    assert _violations(template) == []


def test_probe_schedule_group_name_fits_64_characters() -> None:
    """(a) The schedule group once had ``Name: ${AWS::StackName}-probe``: 134 characters under a StackSet."""
    group = load_template(TEMPLATES["consumer"])["Resources"]["ProbeScheduleGroup"]
    name = group.get("Properties", {}).get("Name")
    if name is not None:
        values = resolve(name, load_template(TEMPLATES["consumer"]))
        assert all(len(v) <= 64 for v in values), values


def test_the_checker_catches_a_stack_name_derived_name() -> None:
    broken = {
        "Resources": {
            "G": {
                "Type": "AWS::Scheduler::ScheduleGroup",
                "Properties": {"Name": {"Sub": "${AWS::StackName}-probe"}},
            }
        }
    }
    (problem,) = _violations(broken)
    assert "134 > 64" in problem


def test_sam_generated_schedule_names_do_not_depend_on_the_stack_name() -> None:
    """SAM names a ScheduleV2 event's schedule from logical ids unless OmitName (AWS SAM ScheduleV2 docs):
    independent of the stack name, and must fit the schedule Name limit."""
    limit = _schema("AWS::Scheduler::Schedule")["properties"]["Name"]["maxLength"]
    for path in TEMPLATES.values():
        for logical, resource in load_template(path)["Resources"].items():
            if resource["Type"] != "AWS::Serverless::Function":
                continue
            for event, spec in resource["Properties"].get("Events", {}).items():
                if spec["Type"] == "ScheduleV2" and "Name" not in spec["Properties"]:
                    assert len(f"{logical}{event}") <= limit
                elif spec["Type"] == "ScheduleV2":
                    assert all(
                        len(v) <= limit for v in resolve(spec["Properties"]["Name"], load_template(path))
                    )


def test_the_policy_parameter_name_fits_ssm_and_stays_out_of_the_directory() -> None:
    """Issue 22.2: the trust policy is ``/linkpilot/stacks/<stack>/policy``. SSM (PutParameter ``Name``,
    botocore model): a-zA-Z0-9_.- between slashes, at most 15 levels, and at most 1011 characters counting
    the ARN before the name. A stack name has no slash (CreateStack: alphanumerics and hyphens), so the
    name is in /linkpilot/stacks/ and never in the endpoint directory (/linkpilot/endpoints/), whatever
    the stack is called."""
    template = load_template(TEMPLATES["consumer"])
    (name,) = resolve(template["Resources"]["PolicyParameter"]["Properties"]["Name"], template)
    arn_before_name = (
        f"arn:{PSEUDO['AWS::Partition']}:ssm:{PSEUDO['AWS::Region']}:{PSEUDO['AWS::AccountId']}:parameter"
    )
    assert name == f"/linkpilot/stacks/{LONGEST_STACK_NAME}/policy"
    assert len(arn_before_name + name) <= 1011
    assert re.fullmatch(r"(/[A-Za-z0-9_.-]+){1,15}", name)
    assert not name.startswith(("/linkpilot/endpoints/", "/linkpilot/consumer/", "/linkpilot/provider/"))
