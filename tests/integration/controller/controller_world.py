"""A provider and a consumer in the local AWS, and the controller wired to it exactly as in Lambda
(``build_controller`` over a boto3 session), with its audit table, topic and probe schedule group."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from linkpilot.consumer.memory import ControllerMemory
from linkpilot.consumer.policy import TrustPolicy, parse_policy
from linkpilot.consumer.ports import Controller
from linkpilot.runtime.controller import ControllerSettings, build_controller
from linkpilot_local.fixtures import make_audit_table, make_vpc

_accounts = itertools.count(210000000001)
RCFG = "vpc-lattice:ResourceConfiguration"


def make_state_table(dynamodb: Any, name: str) -> str:
    """The consumer template's state table (``pk`` string only): the run lease and the grace marks."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def new_account() -> str:
    return f"{next(_accounts):012d}"


@dataclass
class Provider:
    aws: Any
    account: str
    gateway_id: str
    configurations: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, aws: Any, zones: tuple[str, ...] = ("us-east-1a", "us-east-1b")) -> Provider:
        account = new_account()
        session = aws.session(account)
        vpc_id, subnets = make_vpc(session, "10.0.0.0/16", zones)
        gw = session.client("vpc-lattice").create_resource_gateway(
            name="provider-gw", vpcIdentifier=vpc_id, subnetIds=subnets
        )
        return cls(aws, account, gw["id"])

    def configuration(self, name: str) -> str:
        cfg = (
            self.aws.session(self.account)
            .client("vpc-lattice")
            .create_resource_configuration(
                name=name,
                type="SINGLE",
                portRanges=["8080"],
                resourceGatewayIdentifier=self.gateway_id,
                resourceConfigurationDefinition={
                    "dnsResource": {"domainName": f"{name}.internal.example", "ipAddressType": "IPV4"}
                },
            )
        )
        self.aws.clock.advance(seconds=1)
        self.configurations.append(cfg["arn"])
        return str(cfg["arn"])

    def group(self, name: str, children: list[str]) -> tuple[str, list[str]]:
        """A GROUP configuration with one DNS-resource CHILD per name: (group arn, child arns)."""
        lattice = self.aws.session(self.account).client("vpc-lattice")
        group = lattice.create_resource_configuration(
            name=name, type="GROUP", portRanges=["8080"], resourceGatewayIdentifier=self.gateway_id
        )
        child_arns = [
            str(
                lattice.create_resource_configuration(
                    name=child,
                    type="CHILD",
                    resourceConfigurationGroupIdentifier=group["id"],
                    resourceConfigurationDefinition={
                        "dnsResource": {"domainName": f"{child}.internal.example", "ipAddressType": "IPV4"}
                    },
                )["arn"]
            )
            for child in children
        ]
        self.aws.clock.advance(seconds=1)
        return str(group["arn"]), child_arns

    def service_network(self, configurations: list[str], name: str = "shared-net") -> str:
        """A service network holding ``configurations`` (one service-network resource association each)."""
        lattice = self.aws.session(self.account).client("vpc-lattice")
        network = lattice.create_service_network(name=name)
        for arn in configurations:
            lattice.create_service_network_resource_association(
                serviceNetworkIdentifier=network["id"], resourceConfigurationIdentifier=arn
            )
        self.aws.clock.advance(seconds=1)
        return str(network["arn"])

    def share(self, consumer: str, arns: list[str], name: str = "share") -> str:
        share = (
            self.aws.session(self.account)
            .client("ram")
            .create_resource_share(name=name, resourceArns=arns, principals=[consumer])["resourceShare"]
        )
        self.aws.clock.advance(seconds=1)  # RAM associates the resources asynchronously (ASSOCIATING)
        return str(share["resourceShareArn"])

    def unshare(self, share_arn: str, consumer: str) -> None:
        self.aws.session(self.account).client("ram").disassociate_resource_share(
            resourceShareArn=share_arn, principals=[consumer]
        )


@dataclass
class Consumer:
    aws: Any
    account: str
    vpc_id: str
    subnet_ids: list[str]
    settings: ControllerSettings
    memory: ControllerMemory = field(default_factory=ControllerMemory)

    @classmethod
    def create(cls, aws: Any, *, with_side_effects: bool = True) -> Consumer:
        account = new_account()
        session = aws.session(account)
        vpc_id, subnets = make_vpc(session, "10.1.0.0/16")
        env: dict[str, str] = {}
        if with_side_effects:
            make_audit_table(session.client("dynamodb"), "linkpilot-audit")
            make_state_table(session.client("dynamodb"), "linkpilot-state")
            topic = session.client("sns").create_topic(Name="linkpilot-alerts")["TopicArn"]
            session.client("scheduler").create_schedule_group(Name="linkpilot-probe")
            env = {
                "LINKPILOT_AUDIT_TABLE": "linkpilot-audit",
                "LINKPILOT_STATE_TABLE": "linkpilot-state",
                "LINKPILOT_TOPIC_ARN": topic,
                "LINKPILOT_PROBE_SCHEDULE_GROUP": "linkpilot-probe",
                "LINKPILOT_PROBE_FUNCTION_ARN": f"arn:aws:lambda:us-east-1:{account}:function:probe",
                "LINKPILOT_PROBE_SCHEDULER_ROLE_ARN": f"arn:aws:iam::{account}:role/probe-scheduler",
                "LINKPILOT_PUBLISH_ENDPOINTS": "true",
            }
        return cls(aws, account, vpc_id, subnets, ControllerSettings.from_env(env))

    @property
    def session(self) -> Any:
        return self.aws.session(self.account)

    def policy_doc(self, trusted: list[str], **overrides: Any) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "trusted_accounts": trusted,
            "endpoint": {"vpc_id": self.vpc_id, "subnet_ids": self.subnet_ids},
        }
        doc.update(overrides)
        return doc

    def policy(self, trusted: list[str], **overrides: Any) -> TrustPolicy:
        return parse_policy(json.dumps(self.policy_doc(trusted, **overrides)))

    def onboard(self, policy: TrustPolicy) -> Any:
        """A run that accepts, then (RAM accepts asynchronously) the run that creates, 30 s later."""
        from linkpilot.consumer.reconcile import reconcile

        reconcile(policy, self.controller())
        self.aws.clock.advance(seconds=30)
        return reconcile(policy, self.controller())

    def use_credentials(self, monkeypatch: Any, *, lease: bool = True) -> None:
        """The CLI as this account's operator: its credentials in the environment, and (``lease``) the
        stack's state table, so the CLI takes the run lease."""
        creds = self.session.get_credentials().get_frozen_credentials()
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
        monkeypatch.setenv("AWS_SESSION_TOKEN", creds.token)
        if lease:
            monkeypatch.setenv("LINKPILOT_STATE_TABLE", str(self.settings.state_table_name))
        else:
            monkeypatch.delenv("LINKPILOT_STATE_TABLE", raising=False)

    def controller(self) -> Controller:
        c = build_controller(self.settings, self.session, self.memory)
        c.clock.own = self.aws.clock.now
        return c

    # --- what the consumer account looks like ----------------------------------------------------
    def endpoints(self, managed_only: bool = False) -> list[dict[str, Any]]:
        eps = self.session.client("ec2").describe_vpc_endpoints()["VpcEndpoints"]
        eps = [e for e in eps if e["State"].lower() not in {"deleted", "deleting"}]
        if managed_only:
            eps = [e for e in eps if {"Key": "linkpilot:managed", "Value": "true"} in e.get("Tags", [])]
        return eps

    def associations(self, endpoint_id: str) -> list[dict[str, Any]]:
        ec2 = self.session.client("ec2")
        return list(
            ec2.describe_vpc_endpoint_associations(VpcEndpointIds=[endpoint_id])["VpcEndpointAssociations"]
        )

    def invitation_statuses(self) -> list[str]:
        ram = self.session.client("ram")
        return sorted(i["status"] for i in ram.get_resource_share_invitations()["resourceShareInvitations"])

    def audit(self) -> list[dict[str, Any]]:
        items = self.session.client("dynamodb").scan(TableName="linkpilot-audit")["Items"]
        return [{k: next(iter(v.values())) for k, v in item.items()} for item in items]

    def schedules(self) -> list[dict[str, Any]]:
        sched = self.session.client("scheduler")
        names = [s["Name"] for s in sched.list_schedules(GroupName="linkpilot-probe")["Schedules"]]
        return [sched.get_schedule(GroupName="linkpilot-probe", Name=n) for n in sorted(names)]
