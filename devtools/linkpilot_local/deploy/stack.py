"""A small local CloudFormation for our own two templates: creates a stack's resources in the local AWS
through ordinary boto3 clients, so the demo and end-to-end tests run against the templates' real
definitions (policy document, alarms, rules, tables, the provider's gateway, configuration and share)
instead of hand-made copies.

Lambda functions are not deployed (no container engine here): each ``AWS::Serverless::Function`` becomes a
:class:`FunctionSpec` with its resolved environment, handler path and events; its EventBridge rules are
created on the account's default bus with an SQS "inbox" queue as target, from which the caller delivers
events to the handler in-process. Only the resource types our templates use are supported; anything else
raises, so a new resource type can't be silently left out of the demo.

Parameters of an ``AWS::SSM::Parameter::Value<...>`` type are resolved as CloudFormation does: the
parameter's value (given or default) is the NAME of an SSM parameter, read in the deploying account and
Region before anything is created; a ``List<...>``/``CommaDelimitedList`` type splits the value (a
StringList or a comma-separated String) into a list. A missing SSM parameter is a :class:`DeployError`
naming it. (Not emulated: CloudFormation's check that AWS-specific values such as a VPC id exist.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..cfn import Resolver, load_template
from .model import DeployError, LocalStack
from .resources import Target, create_resource

# CloudFormation stack names: a letter, then letters, digits and hyphens, at most 128 characters
# (CreateStack: "can't be longer than 128 characters"). A StackSet names each instance stack
# ``StackSet-<stack set name>-<uuid>`` (AWS CLI example ``list-stack-instances``).
STACK_NAME = re.compile(r"[A-Za-z][-A-Za-z0-9]{0,127}")


def stackset_instance_stack_name(stack_set_name: str, instance_id: str | None = None) -> str:
    """The name a StackSet gives its instance stack in an account: what ``${AWS::StackName}`` is there."""
    import uuid

    return f"StackSet-{stack_set_name}-{instance_id or uuid.uuid4()}"


def _pseudo(stack: LocalStack) -> dict[str, str]:
    name, region, account = stack.name, stack.region, stack.account
    return {
        "AWS::StackName": name,
        "AWS::Region": region,
        "AWS::AccountId": account,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackId": f"arn:aws:cloudformation:{region}:{account}:stack/{name}/local",
    }


def render_property(
    stack: LocalStack, template_path: str | Path, logical_id: str, prop: str, changes: Mapping[str, Any]
) -> Any:
    """What a stack update that changes only ``changes`` (parameter values) would set ``logical_id``'s
    ``prop`` to, resolved against the deployed stack's parameters and physical ids (a stack update is not
    emulated: the caller applies the value, e.g. the policy parameter's new document)."""
    template = load_template(Path(template_path))
    unknown = sorted(set(changes) - set(template.get("Parameters", {})))
    if unknown:
        raise DeployError(f"{template_path}: unknown parameters: {', '.join(unknown)}")
    resolver = Resolver(
        template,
        refs={**_pseudo(stack), **stack.physical},
        attrs=stack.attrs,
        parameters={**stack.parameters, **changes},
    )
    return resolver(template["Resources"][logical_id]["Properties"][prop])


def deploy_stack(
    session: Any,
    template_path: str | Path,
    *,
    stack_name: str,
    parameters: dict[str, Any] | None = None,
) -> LocalStack:
    """Creates the stack's resources as ``session``'s account. ``parameters`` override defaults
    (lists as Python lists; for an SSM parameter type, the SSM parameter's name)."""
    if not STACK_NAME.fullmatch(stack_name):
        raise DeployError(
            f"stack name {stack_name!r} is not valid: a letter, then letters, digits and hyphens, "
            "at most 128 characters"
        )
    template_path = Path(template_path)
    template = load_template(template_path)
    account = session.client("sts").get_caller_identity()["Account"]
    region = session.region_name
    stack = LocalStack(stack_name, account, region)
    missing = [
        p
        for p, spec in template.get("Parameters", {}).items()
        if "Default" not in spec and p not in (parameters or {})
    ]
    if missing:
        raise DeployError(f"{template_path}: parameters without a value: {', '.join(missing)}")
    unknown = sorted(set(parameters or {}) - set(template.get("Parameters", {})))
    if unknown:
        raise DeployError(f"{template_path}: unknown parameters: {', '.join(unknown)}")
    try:
        stack.parameters = resolve_ssm_parameters(session, template, parameters or {})
    except DeployError as exc:
        raise DeployError(f"{template_path}: {exc}") from None
    parameters = stack.parameters
    resolver = Resolver(template, refs=_pseudo(stack), attrs=stack.attrs, parameters=parameters)
    globals_env = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    target = Target(session, stack, template_path.parent)
    pending = dict(template.get("Resources", {}))
    while pending:
        progressed = False
        for logical, resource in list(pending.items()):
            if "Condition" in resource and not resolver.condition(resource["Condition"]):
                stack.skipped.append(logical)
                del pending[logical]
                progressed = True
                continue
            try:
                props = resolver(resource.get("Properties", {}))
                if resource["Type"] == "AWS::Serverless::Function":
                    env = resolver({**globals_env, **props.get("Environment", {}).get("Variables", {})})
                    props["__env"] = env
            except KeyError:
                continue  # depends on a resource not created yet
            create_resource(target, logical, resource["Type"], props)
            resolver.refs[logical] = stack.physical[logical]
            del pending[logical]
            progressed = True
        if not progressed:
            unresolved = {}
            for logical, resource in pending.items():
                try:
                    resolver(resource.get("Properties", {}))
                except KeyError as exc:
                    unresolved[logical] = str(exc)
            raise DeployError(f"{template_path}: cannot resolve {unresolved}")
    for name, output in template.get("Outputs", {}).items():
        if "Condition" in output and not resolver.condition(output["Condition"]):
            continue
        stack.outputs[name] = resolver(output["Value"])
    return stack


_SSM_TYPE = re.compile(r"^AWS::SSM::Parameter::Value<(.+)>$")


def resolve_ssm_parameters(
    session: Any, template: Mapping[str, Any], given: Mapping[str, Any]
) -> dict[str, Any]:
    """Every declared parameter's value: ``given`` over the template's defaults, with each
    ``AWS::SSM::Parameter::Value<T>`` parameter replaced by the value of the SSM parameter it names (read as
    ``session``'s account, as CloudFormation does at create/update time). Lists for list types."""
    values: dict[str, Any] = {}
    lookups: list[tuple[str, str, bool]] = []  # (parameter, SSM name, list type)
    for name, spec in template.get("Parameters", {}).items():
        if name not in given and "Default" not in spec:
            continue  # the caller reports missing parameters
        value = given[name] if name in given else spec["Default"]
        ptype = str(spec.get("Type", "String"))
        found = _SSM_TYPE.match(ptype)
        if found is None:
            if _is_list_type(ptype) and isinstance(value, str):
                value = _split(value)
            values[name] = value
        elif not isinstance(value, str) or not value:
            raise DeployError(f"parameter {name} ({ptype}) takes the name of an SSM parameter, got {value!r}")
        else:
            lookups.append((name, value, _is_list_type(found.group(1))))
    ssm = session.client("ssm")
    for name, value, as_list in lookups:
        try:
            found_parameter = ssm.get_parameter(Name=value)["Parameter"]
        except ssm.exceptions.ParameterNotFound:
            raise DeployError(
                f"parameter {name}: SSM parameter {value} does not exist in account "
                f"{session.client('sts').get_caller_identity()['Account']} ({session.region_name}); "
                "create it before deploying the stack"
            ) from None
        if found_parameter.get("Type") == "SecureString":
            raise DeployError(f"parameter {name}: SSM parameter {value} is a SecureString (not supported)")
        text = str(found_parameter["Value"])
        values[name] = _split(text) if as_list else text
    return values


def write_baseline(session: Any, template_path: str | Path, values: Mapping[str, Any]) -> dict[str, str]:
    """What an account baseline does for a template: for each ``values`` key (an SSM-typed parameter), put
    the SSM parameter its default names (StringList for list types). Returns {template parameter: SSM name}.
    """
    declared = load_template(Path(template_path)).get("Parameters", {})
    ssm = session.client("ssm")
    written: dict[str, str] = {}
    for name, value in values.items():
        spec = declared.get(name, {})
        found = _SSM_TYPE.match(str(spec.get("Type", "")))
        if found is None or "Default" not in spec:
            raise DeployError(f"{template_path}: {name} is not an SSM-typed parameter with a default")
        as_list = _is_list_type(found.group(1))
        ssm.put_parameter(
            Name=spec["Default"],
            Type="StringList" if as_list else "String",
            Value=",".join(value) if as_list else str(value),
            Overwrite=True,
        )
        written[name] = spec["Default"]
    return written


def _is_list_type(ptype: str) -> bool:
    return ptype == "CommaDelimitedList" or ptype.startswith("List<")


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",")] if text else []


def drain_inbox(session: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every event waiting in a function's inbox (EventBridge delivers the event JSON as the body)."""
    sqs = session.client("sqs")
    events: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return events
        for m in messages:
            events.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
