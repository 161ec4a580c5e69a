"""One creator per CloudFormation resource type our templates use, and the table the deployer dispatches
by (``CREATORS``: resource type -> creator). A type missing from the table is a :class:`DeployError`, so a
new resource type can't be silently left out of the demo."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import DeployError, FunctionSpec, LocalStack, physical_name


@dataclass(frozen=True)
class Target:
    """Where a resource is created: the deploying account's session, its stack, the template's directory."""

    session: Any
    stack: LocalStack
    base_dir: Path

    def client(self, service: str) -> Any:
        return self.session.client(service)

    def name(self, logical: str, limit: int = 64) -> str:
        return physical_name(self.stack, logical, limit)

    def record(self, logical: str, physical: Any, **attrs: Any) -> None:
        """The resource's physical id (what ``Ref`` returns) and its ``GetAtt`` attributes."""
        self.stack.physical[logical] = physical
        for attr, value in attrs.items():
            self.stack.attrs[(logical, attr)] = value


Creator = Callable[[Target, str, dict[str, Any]], None]


def create_resource(target: Target, logical: str, rtype: str, props: dict[str, Any]) -> None:
    creator = _custom_resource if rtype.startswith("Custom::") else CREATORS.get(rtype)
    if creator is None:
        raise DeployError(f"{logical}: resource type {rtype} is not emulated by the local deployer")
    creator(target, logical, props)


def _layer_version(t: Target, logical: str, props: dict[str, Any]) -> None:
    t.record(logical, f"arn:aws:lambda:{t.stack.region}:{t.stack.account}:layer:{t.name(logical)}:1")


def _log_group(t: Target, logical: str, props: dict[str, Any]) -> None:
    name = props.get("LogGroupName") or f"/aws/local/{t.name(logical)}"
    t.client("logs").create_log_group(logGroupName=name)
    t.record(logical, name)


def _ec2_instance(t: Target, logical: str, props: dict[str, Any]) -> None:
    raise DeployError(f"{logical}: EC2 instances are not run locally (disable the sample target)")


def _function(t: Target, logical: str, props: dict[str, Any]) -> None:
    name = props.get("FunctionName") or t.name(logical)
    arn = f"arn:aws:lambda:{t.stack.region}:{t.stack.account}:function:{name}"
    spec = FunctionSpec(
        logical_id=logical,
        name=name,
        arn=arn,
        code_dir=(t.base_dir / props["CodeUri"]).resolve(),
        handler=props["Handler"],
        environment={k: str(v) for k, v in props["__env"].items()},
    )
    for event_name, event in (props.get("Events") or {}).items():
        eprops = event.get("Properties", {})
        if event["Type"] == "EventBridgeRule":
            spec.inbox_queue_url = spec.inbox_queue_url or _inbox(t, logical)
            # SAM names the rule resource <Function><Event>; CloudFormation derives its physical name
            _rule(t, t.name(f"{logical}{event_name}"), spec.inbox_queue_url, pattern=eprops["Pattern"])
        elif event["Type"] in {"Schedule", "ScheduleV2"}:
            spec.schedules.append(eprops.get("Schedule") or eprops["ScheduleExpression"])
        else:
            raise DeployError(f"{logical}.{event_name}: event type {event['Type']} not emulated")
    t.stack.functions[logical] = spec
    t.record(logical, name, Arn=arn)


def _inbox(t: Target, logical: str) -> str:
    """The SQS queue standing in for the function's EventBridge trigger."""
    url: str = t.client("sqs").create_queue(QueueName=t.name(f"{logical}-inbox", 80))["QueueUrl"]
    return url


def _rule(t: Target, name: str, queue_url: str, *, pattern: dict[str, Any]) -> None:
    sqs = t.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = t.client("events")
    events.put_rule(Name=name, EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule=name, Targets=[{"Id": "inbox", "Arn": arn}])


def _event_source_mapping(t: Target, logical: str, props: dict[str, Any]) -> None:
    """An SQS queue read for a function: recorded on its :class:`FunctionSpec` (the caller polls the queue and
    invokes the handler with the records, as Lambda's poller does)."""
    name, arn = str(props["FunctionName"]), str(props["EventSourceArn"])
    spec = next((f for f in t.stack.functions.values() if name in {f.name, f.arn}), None)
    if spec is None or not arn.startswith("arn:aws:sqs:"):
        raise DeployError(f"{logical}: only SQS mappings to a function of the stack are emulated")
    url = t.client("sqs").get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]
    spec.queue_sources.append(url)
    t.record(logical, f"{logical}-local")


def _ssm_parameter(t: Target, logical: str, props: dict[str, Any]) -> None:
    name = props.get("Name") or f"/{t.stack.name}/{logical}"
    t.client("ssm").put_parameter(
        Name=name, Type=props["Type"], Value=str(props["Value"]), Description=props.get("Description", "")
    )
    t.record(logical, name)


def _sqs_queue(t: Target, logical: str, props: dict[str, Any]) -> None:
    name = props.get("QueueName") or t.name(logical, 80)
    attributes: dict[str, str] = {
        key: str(props[key]) for key in ("VisibilityTimeout", "MessageRetentionPeriod") if key in props
    }
    if "RedrivePolicy" in props:
        attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
    url = t.client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = f"arn:aws:sqs:{t.stack.region}:{t.stack.account}:{name}"
    t.record(logical, url, Arn=arn, QueueName=name, QueueUrl=url)


def _dynamodb_table(t: Target, logical: str, props: dict[str, Any]) -> None:
    name = props.get("TableName") or t.name(logical, 255)
    ddb = t.client("dynamodb")
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
    t.record(logical, name, Arn=f"arn:aws:dynamodb:{t.stack.region}:{t.stack.account}:table/{name}")


def _sns_topic(t: Target, logical: str, props: dict[str, Any]) -> None:
    name = props.get("TopicName") or t.name(logical, 256)
    arn = t.client("sns").create_topic(Name=name)["TopicArn"]
    t.record(logical, arn, TopicName=name, TopicArn=arn)


def _sns_subscription(t: Target, logical: str, props: dict[str, Any]) -> None:
    sub = t.client("sns").subscribe(
        TopicArn=props["TopicArn"], Protocol=props["Protocol"], Endpoint=props["Endpoint"]
    )
    t.record(logical, sub["SubscriptionArn"])


def _schedule_group(t: Target, logical: str, props: dict[str, Any]) -> None:
    name = props.get("Name") or t.name(logical)
    arn = t.client("scheduler").create_schedule_group(Name=name)["ScheduleGroupArn"]
    t.record(logical, name, Arn=arn)


def _iam_role(t: Target, logical: str, props: dict[str, Any]) -> None:
    name = props.get("RoleName") or t.name(logical)
    role = t.client("iam").create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"])
    )["Role"]
    t.record(logical, name, Arn=role["Arn"])


def _alarm(t: Target, logical: str, props: dict[str, Any]) -> None:
    name = props.pop("AlarmName", None) or t.name(logical, 255)
    t.client("cloudwatch").put_metric_alarm(AlarmName=name, **props)
    t.record(logical, name, Arn=f"arn:aws:cloudwatch:{t.stack.region}:{t.stack.account}:alarm:{name}")


def _dashboard(t: Target, logical: str, props: dict[str, Any]) -> None:
    name = props.get("DashboardName") or t.name(logical)
    body = props["DashboardBody"]
    json.loads(body)  # a dashboard body that is not JSON fails the deploy, as in CloudFormation
    t.client("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=body)
    t.record(logical, name)


def _custom_resource(t: Target, logical: str, props: dict[str, Any]) -> None:
    """A custom resource is recorded, its function not invoked: the stack's only one
    (``ManagedEndpointsCleanup``) does nothing on Create by contract; its Delete is tested directly."""
    if not str(props.get("ServiceToken", "")).startswith("arn:"):
        raise DeployError(f"{logical}: a custom resource needs a ServiceToken ARN")
    t.record(logical, f"{t.name(logical, 64)}-custom")


def _security_group(t: Target, logical: str, props: dict[str, Any]) -> None:
    group = t.client("ec2").create_security_group(
        GroupName=props.get("GroupName") or t.name(logical, 255),
        Description=props["GroupDescription"],
        VpcId=props["VpcId"],
    )
    t.record(logical, group["GroupId"], GroupId=group["GroupId"])


def _resource_gateway(t: Target, logical: str, props: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {
        "name": props.get("Name") or t.name(logical, 40).lower(),
        "vpcIdentifier": props["VpcIdentifier"],
        "subnetIds": props["SubnetIds"],
    }
    if props.get("SecurityGroupIds"):
        kwargs["securityGroupIds"] = props["SecurityGroupIds"]
    if props.get("IpAddressType"):
        kwargs["ipAddressType"] = props["IpAddressType"]
    gw = t.client("vpc-lattice").create_resource_gateway(**kwargs)
    t.record(logical, gw["arn"], Arn=gw["arn"], Id=gw["id"])


def _configuration_definition(definition: dict[str, Any]) -> dict[str, Any]:
    """The API's resourceConfigurationDefinition for the template's ResourceConfigurationDefinition."""
    if "DnsResource" in definition:
        dns = definition["DnsResource"]
        return {
            "dnsResource": {
                "domainName": dns["DomainName"],
                "ipAddressType": dns.get("IpAddressType", "IPV4"),
            }
        }
    if "IpResource" in definition:
        return {"ipResource": {"ipAddress": definition["IpResource"]}}
    return {"arnResource": {"arn": definition["ArnResource"]}}


def _resource_configuration(t: Target, logical: str, props: dict[str, Any]) -> None:
    cfg = t.client("vpc-lattice").create_resource_configuration(
        name=props.get("Name") or t.name(logical, 40).lower(),
        type=props.get("ResourceConfigurationType", "SINGLE"),
        portRanges=props["PortRanges"],
        protocol=props.get("ProtocolType", "TCP"),
        resourceGatewayIdentifier=props["ResourceGatewayId"],
        resourceConfigurationDefinition=_configuration_definition(props["ResourceConfigurationDefinition"]),
        allowAssociationToShareableServiceNetwork=bool(
            props.get("AllowAssociationToSharableServiceNetwork", False)
        ),
    )
    t.record(logical, cfg["arn"], Arn=cfg["arn"], Id=cfg["id"])


def _tags_list(tags: Any) -> list[dict[str, str]]:
    if isinstance(tags, dict):
        return [{"Key": k, "Value": str(v)} for k, v in tags.items()]
    return list(tags or [])


def _resource_share(t: Target, logical: str, props: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {
        "name": props["Name"],
        "resourceArns": props.get("ResourceArns", []),
        "allowExternalPrincipals": bool(props.get("AllowExternalPrincipals", True)),
    }
    if props.get("Principals"):
        kwargs["principals"] = props["Principals"]
    if props.get("Tags"):
        kwargs["tags"] = [{"key": tag["Key"], "value": tag["Value"]} for tag in _tags_list(props["Tags"])]
    share = t.client("ram").create_resource_share(**kwargs)["resourceShare"]
    t.record(logical, share["resourceShareArn"], Arn=share["resourceShareArn"])


CREATORS: dict[str, Creator] = {
    "AWS::Serverless::LayerVersion": _layer_version,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::EC2::Instance": _ec2_instance,
    "AWS::Serverless::Function": _function,
    "AWS::Lambda::EventSourceMapping": _event_source_mapping,
    "AWS::SSM::Parameter": _ssm_parameter,
    "AWS::SQS::Queue": _sqs_queue,
    "AWS::DynamoDB::Table": _dynamodb_table,
    "AWS::SNS::Topic": _sns_topic,
    "AWS::SNS::Subscription": _sns_subscription,
    "AWS::Scheduler::ScheduleGroup": _schedule_group,
    "AWS::IAM::Role": _iam_role,
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::CloudWatch::Dashboard": _dashboard,
    "AWS::EC2::SecurityGroup": _security_group,
    "AWS::VpcLattice::ResourceGateway": _resource_gateway,
    "AWS::VpcLattice::ResourceConfiguration": _resource_configuration,
    "AWS::RAM::ResourceShare": _resource_share,
}
