"""The StackSet rollout's input: the template and parameters files, read and checked before any AWS call.

The template must be plain CloudFormation JSON with its code on S3 (``scripts/stackset_translate.py``
expands the packaged SAM template); a parameter value must be declared, every parameter without a default
needs one, and an SSM-typed parameter takes the name of an SSM parameter, never a per-account resource id.
Any problem is a ``RolloutError`` naming the file (exit 2: nothing changed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from linkpilot_cli.rollout import RolloutError, RolloutRequest

AWS_ID = re.compile(r"^[a-z]+-[0-9a-f]{8,17}$")  # vpc-..., subnet-..., sg-...: an id, not an SSM name
NAMED_IAM_PROPERTIES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
}


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RolloutError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise RolloutError(f"{path}: cannot read it: {exc.strerror or exc}") from None


def load_template(path: Path) -> dict[str, Any]:
    text = _read_text(path)
    try:
        template = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RolloutError(
            f"{path}: not JSON ({exc.msg}); pass the output of scripts/stackset_translate.py"
        ) from None
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise RolloutError(f"{path}: not a CloudFormation template (no Resources)")
    if template.get("Transform"):
        raise RolloutError(
            f"{path} declares Transform {template['Transform']!r}: service-managed StackSets cannot run "
            "macros (AWS::Serverless included) with the default execution role. Expand it first: "
            ".venv-sam/bin/python scripts/stackset_translate.py PACKAGED.yaml --output TEMPLATE.json"
        )
    for name, resource in template["Resources"].items():
        code = resource.get("Properties", {}).get("Code") or resource.get("Properties", {}).get("Content")
        if resource.get("Type") in {"AWS::Lambda::Function", "AWS::Lambda::LayerVersion"} and (
            not isinstance(code, dict) or not ({"S3Bucket", "ZipFile", "ImageUri"} & set(code))
        ):
            raise RolloutError(
                f"{path}: {name} has no S3 code location; package the SAM app with `sam package` first"
            )
    return template


def required_capabilities(template: Mapping[str, Any]) -> tuple[str, ...]:
    capabilities: set[str] = set()
    for resource in template["Resources"].values():
        kind = str(resource.get("Type", ""))
        if kind.startswith("AWS::IAM::"):
            capabilities.add("CAPABILITY_IAM")
            if NAMED_IAM_PROPERTIES.get(kind, "") in resource.get("Properties", {}):
                capabilities.add("CAPABILITY_NAMED_IAM")
    return tuple(sorted(capabilities))


def load_parameters(path: Path | None, template: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Parameter values from a JSON file: ``{"Key": "value"}`` or CloudFormation's list of
    ``{"ParameterKey", "ParameterValue"}``. Lists become comma-separated strings. Unknown keys, missing
    required parameters (no Default) and a resource id (or list) given for an SSM-typed parameter are
    errors."""
    try:
        raw: Any = {} if path is None else json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise RolloutError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None
    if isinstance(raw, list):
        try:
            raw = {item["ParameterKey"]: item["ParameterValue"] for item in raw}
        except (KeyError, TypeError):
            raise RolloutError(f"{path}: list entries need ParameterKey and ParameterValue") from None
    if not isinstance(raw, dict):
        raise RolloutError(f"{path}: expected a JSON object or a list of ParameterKey/ParameterValue")
    declared: Mapping[str, Any] = template.get("Parameters", {})
    problems = [f"unknown parameter {key!r}" for key in raw if key not in declared]
    problems += [
        f"parameter {key!r} has no default and needs a value"
        for key, spec in declared.items()
        if key not in raw and "Default" not in spec
    ]
    # An SSM-typed parameter's value is the NAME of an SSM parameter read in each target account; a VPC,
    # subnet or group id here would be looked up as a name and fail in every account.
    problems += [
        f"parameter {key!r} takes the name of an SSM parameter (default "
        f"{declared[key].get('Default', 'none')!r}), not {given!r}: per-account values belong in each "
        "account's baseline (docs/deploy.md#account-baseline-the-per-account-values)"
        for key, given in raw.items()
        if str(declared.get(key, {}).get("Type", "")).startswith("AWS::SSM::Parameter::Value<")
        and (isinstance(given, list) or AWS_ID.match(str(given)) or "," in str(given))
    ]
    if problems:
        raise RolloutError(f"{path}: " + "; ".join(problems))
    values: list[tuple[str, str]] = []
    for key, given in sorted(raw.items()):
        if isinstance(given, list):
            text = ",".join(str(v) for v in given)
        elif isinstance(given, bool):
            text = "true" if given else "false"
        else:
            text = str(given)
        values.append((key, text))
    return tuple(values)


def new_request(
    template: Mapping[str, Any],
    parameters_file: Path | None,
    *,
    name: str,
    ou_ids: Sequence[str],
    regions: Sequence[str],
    retain_stacks_on_account_removal: bool = False,
    call_as: str = "SELF",
    max_concurrent_percentage: int = 25,
    failure_tolerance_percentage: int = 0,
) -> RolloutRequest:
    """The request for a checked template (``load_template``): the targets, then the parameters file
    (``load_parameters``) are checked."""
    if not ou_ids or not regions:
        raise RolloutError("--ou-ids and --regions need at least one value each")
    parameters = load_parameters(parameters_file, template)
    return RolloutRequest(
        stack_set_name=name,
        template_body=json.dumps(template, separators=(",", ":"), sort_keys=True),
        ou_ids=tuple(ou_ids),
        regions=tuple(regions),
        parameters=parameters,
        capabilities=required_capabilities(template),
        description=str(template.get("Description", ""))[:1024],
        retain_stacks_on_account_removal=retain_stacks_on_account_removal,
        call_as=call_as,
        max_concurrent_percentage=max_concurrent_percentage,
        failure_tolerance_percentage=failure_tolerance_percentage,
    )
