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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cfn import Resolver, load_template


@dataclass
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    inbox_queue_url: str | None = None
    schedules: list[str] = field(default_factory=list)


@dataclass
class LocalStack:
    name: str
    account: str
    region: str
    physical: dict[str, Any] = field(default_factory=dict)
    attrs: dict[tuple[str, str], Any] = field(default_factory=dict)
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)  # every parameter's value, SSM types resolved


class DeployError(RuntimeError):
    pass


def deploy_stack(
    session: Any,
    template_path: str | Path,
    *,
    stack_name: str,
    parameters: dict[str, Any] | None = None,
) -> LocalStack:
    """Creates the stack's resources as ``session``'s account. ``parameters`` override defaults
    (lists as Python lists; for an SSM parameter type, the SSM parameter's name)."""
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
    pseudo = {
        "AWS::StackName": stack_name,
        "AWS::Region": region,
        "AWS::AccountId": account,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackId": f"arn:aws:cloudformation:{region}:{account}:stack/{stack_name}/local",
    }
    resolver = Resolver(template, refs=pseudo, attrs=stack.attrs, parameters=parameters)
    globals_env = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
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
            _create(session, stack, logical, resource["Type"], props, template_path.parent, resolver)
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


def _name(stack: LocalStack, logical: str, limit: int = 64) -> str:
    return f"{stack.name}-{logical}"[:limit]


def _tags_list(tags: Any) -> list[dict[str, str]]:
    if isinstance(tags, dict):
        return [{"Key": k, "Value": str(v)} for k, v in tags.items()]
    return list(tags or [])


def _create(  # noqa: PLR0917 - internal dispatcher
    session: Any,
    stack: LocalStack,
    logical: str,
    rtype: str,
    props: dict[str, Any],
    base_dir: Path,
    resolver: Resolver,
) -> None:
    region, account = stack.region, stack.account
    phys, attrs = stack.physical, stack.attrs
    if rtype in {"AWS::Serverless::LayerVersion", "AWS::Logs::LogGroup", "AWS::EC2::Instance"}:
        if rtype == "AWS::Logs::LogGroup":
            name = props.get("LogGroupName") or f"/aws/local/{_name(stack, logical)}"
            session.client("logs").create_log_group(logGroupName=name)
            phys[logical] = name
        elif rtype == "AWS::EC2::Instance":
            raise DeployError(f"{logical}: EC2 instances are not run locally (disable the sample target)")
        else:
            phys[logical] = f"arn:aws:lambda:{region}:{account}:layer:{_name(stack, logical)}:1"
        return
    if rtype == "AWS::Serverless::Function":
        name = props.get("FunctionName") or _name(stack, logical)
        arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
        spec = FunctionSpec(
            logical_id=logical,
            name=name,
            arn=arn,
            code_dir=(base_dir / props["CodeUri"]).resolve(),
            handler=props["Handler"],
            environment={k: str(v) for k, v in props["__env"].items()},
        )
        for event_name, event in (props.get("Events") or {}).items():
            eprops = event.get("Properties", {})
            if event["Type"] == "EventBridgeRule":
                spec.inbox_queue_url = spec.inbox_queue_url or _inbox(session, stack, logical)
                _rule(session, f"{name}-{event_name}"[:64], spec.inbox_queue_url, pattern=eprops["Pattern"])
            elif event["Type"] in {"Schedule", "ScheduleV2"}:
                spec.schedules.append(eprops.get("Schedule") or eprops["ScheduleExpression"])
            else:
                raise DeployError(f"{logical}.{event_name}: event type {event['Type']} not emulated")
        stack.functions[logical] = spec
        phys[logical] = name
        attrs[(logical, "Arn")] = arn
        return
    if rtype == "AWS::SSM::Parameter":
        name = props.get("Name") or f"/{stack.name}/{logical}"
        session.client("ssm").put_parameter(
            Name=name, Type=props["Type"], Value=str(props["Value"]), Description=props.get("Description", "")
        )
        phys[logical] = name
        return
    if rtype == "AWS::SQS::Queue":
        name = props.get("QueueName") or _name(stack, logical, 80)
        url = session.client("sqs").create_queue(QueueName=name)["QueueUrl"]
        phys[logical] = url
        attrs[(logical, "Arn")] = f"arn:aws:sqs:{region}:{account}:{name}"
        attrs[(logical, "QueueName")] = name
        attrs[(logical, "QueueUrl")] = url
        return
    if rtype == "AWS::DynamoDB::Table":
        name = props.get("TableName") or _name(stack, logical, 255)
        ddb = session.client("dynamodb")
        ddb.create_table(
            TableName=name,
            KeySchema=props["KeySchema"],
            AttributeDefinitions=props["AttributeDefinitions"],
            BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"),
        )
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            ddb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
        phys[logical] = name
        attrs[(logical, "Arn")] = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
        return
    if rtype == "AWS::SNS::Topic":
        name = props.get("TopicName") or _name(stack, logical, 256)
        arn = session.client("sns").create_topic(Name=name)["TopicArn"]
        phys[logical] = arn
        attrs[(logical, "TopicName")] = name
        attrs[(logical, "TopicArn")] = arn
        return
    if rtype == "AWS::SNS::Subscription":
        sub = session.client("sns").subscribe(
            TopicArn=props["TopicArn"], Protocol=props["Protocol"], Endpoint=props["Endpoint"]
        )
        phys[logical] = sub["SubscriptionArn"]
        return
    if rtype == "AWS::Scheduler::ScheduleGroup":
        name = props.get("Name") or _name(stack, logical)
        arn = session.client("scheduler").create_schedule_group(Name=name)["ScheduleGroupArn"]
        phys[logical] = name
        attrs[(logical, "Arn")] = arn
        return
    if rtype == "AWS::IAM::Role":
        name = props.get("RoleName") or _name(stack, logical)
        role = session.client("iam").create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"])
        )["Role"]
        phys[logical] = name
        attrs[(logical, "Arn")] = role["Arn"]
        return
    if rtype == "AWS::CloudWatch::Alarm":
        name = props.pop("AlarmName", None) or _name(stack, logical, 255)
        session.client("cloudwatch").put_metric_alarm(AlarmName=name, **props)
        phys[logical] = name
        attrs[(logical, "Arn")] = f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"
        return
    if rtype == "AWS::CloudWatch::Dashboard":
        name = props.get("DashboardName") or _name(stack, logical)
        body = props["DashboardBody"]
        json.loads(body)  # a dashboard body that is not JSON fails the deploy, as in CloudFormation
        session.client("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=body)
        phys[logical] = name
        return
    if rtype == "AWS::EC2::SecurityGroup":
        group = session.client("ec2").create_security_group(
            GroupName=props.get("GroupName") or _name(stack, logical, 255),
            Description=props["GroupDescription"],
            VpcId=props["VpcId"],
        )
        phys[logical] = group["GroupId"]
        attrs[(logical, "GroupId")] = group["GroupId"]
        return
    if rtype == "AWS::VpcLattice::ResourceGateway":
        kwargs: dict[str, Any] = {
            "name": props.get("Name") or _name(stack, logical, 40).lower(),
            "vpcIdentifier": props["VpcIdentifier"],
            "subnetIds": props["SubnetIds"],
        }
        if props.get("SecurityGroupIds"):
            kwargs["securityGroupIds"] = props["SecurityGroupIds"]
        if props.get("IpAddressType"):
            kwargs["ipAddressType"] = props["IpAddressType"]
        gw = session.client("vpc-lattice").create_resource_gateway(**kwargs)
        phys[logical] = gw["arn"]
        attrs[(logical, "Arn")] = gw["arn"]
        attrs[(logical, "Id")] = gw["id"]
        return
    if rtype == "AWS::VpcLattice::ResourceConfiguration":
        definition = props["ResourceConfigurationDefinition"]
        if "DnsResource" in definition:
            dns = definition["DnsResource"]
            api_def: dict[str, Any] = {
                "dnsResource": {
                    "domainName": dns["DomainName"],
                    "ipAddressType": dns.get("IpAddressType", "IPV4"),
                }
            }
        elif "IpResource" in definition:
            api_def = {"ipResource": {"ipAddress": definition["IpResource"]}}
        else:
            api_def = {"arnResource": {"arn": definition["ArnResource"]}}
        cfg = session.client("vpc-lattice").create_resource_configuration(
            name=props.get("Name") or _name(stack, logical, 40).lower(),
            type=props.get("ResourceConfigurationType", "SINGLE"),
            portRanges=props["PortRanges"],
            protocol=props.get("ProtocolType", "TCP"),
            resourceGatewayIdentifier=props["ResourceGatewayId"],
            resourceConfigurationDefinition=api_def,
            allowAssociationToShareableServiceNetwork=bool(
                props.get("AllowAssociationToSharableServiceNetwork", False)
            ),
        )
        phys[logical] = cfg["arn"]
        attrs[(logical, "Arn")] = cfg["arn"]
        attrs[(logical, "Id")] = cfg["id"]
        return
    if rtype == "AWS::RAM::ResourceShare":
        kwargs = {
            "name": props["Name"],
            "resourceArns": props.get("ResourceArns", []),
            "allowExternalPrincipals": bool(props.get("AllowExternalPrincipals", True)),
        }
        if props.get("Principals"):
            kwargs["principals"] = props["Principals"]
        if props.get("Tags"):
            kwargs["tags"] = [{"key": t["Key"], "value": t["Value"]} for t in _tags_list(props["Tags"])]
        share = session.client("ram").create_resource_share(**kwargs)["resourceShare"]
        phys[logical] = share["resourceShareArn"]
        attrs[(logical, "Arn")] = share["resourceShareArn"]
        return
    raise DeployError(f"{logical}: resource type {rtype} is not emulated by the local deployer")


def _inbox(session: Any, stack: LocalStack, logical: str) -> str:
    """The SQS queue standing in for the function's EventBridge trigger."""
    url: str = session.client("sqs").create_queue(QueueName=_name(stack, f"{logical}-inbox", 80))["QueueUrl"]
    return url


def _rule(session: Any, name: str, queue_url: str, *, pattern: dict[str, Any]) -> None:
    sqs = session.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = session.client("events")
    events.put_rule(Name=name, EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule=name, Targets=[{"Id": "inbox", "Arn": arn}])


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
