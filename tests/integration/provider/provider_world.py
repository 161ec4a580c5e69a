"""A provider account in the local AWS, set up the way provider/template.yaml sets it up, and a way to run
the onboarding function in it. Shared by the provider integration tests and the end-to-end round trip."""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any
from unittest import mock

from linkpilot.aws.audit import AuditTable
from linkpilot.aws.lattice_provider import LatticeConsumerEndpoints
from linkpilot.aws.notify import SnsNotifier
from linkpilot.aws.ram_provider import RamShareAdmin
from linkpilot.aws.ssm_parameters import SsmParameter
from linkpilot.aws.state_table import StateTable
from linkpilot.provider.service import Outputs
from linkpilot.runtime.onboarding import Collaborators, OnboardingFunction, OnboardingSettings
from linkpilot_local.fixtures import make_audit_table

ROOT = Path(__file__).parents[3]
PARAMETER = "/linkpilot/provider/consumers"
TARGET_DOMAIN = "hello.provider.internal"
CONTEXT = SimpleNamespace(
    function_name="linkpilot-onboarding",
    memory_limit_in_mb=256,
    invoked_function_arn="arn:aws:lambda:us-east-1:111111111111:function:linkpilot-onboarding",
    aws_request_id="req-onboarding",
)


def load_onboarding_app() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "onboarding_app", ROOT / "functions" / "onboarding" / "app.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class ProviderWorld:
    aws: Any
    account: str
    share_arn: str
    configuration_arn: str
    topic_arn: str
    queue_url: str
    mode: str = "accounts"
    overdue_hours: int = 0
    app: ModuleType | None = None  # loaded on first use, in the function's environment

    @property
    def session(self) -> Any:
        return self.aws.session(self.account)

    def put_consumers(self, value: str) -> None:
        self.session.client("ssm").put_parameter(Name=PARAMETER, Value=value, Type="String", Overwrite=True)

    def onboard(self, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """One invocation of the onboarding handler, as EventBridge would deliver a parameter change."""
        session = self.session
        env = {
            "LINKPILOT_SHARE_ARN": self.share_arn,
            "LINKPILOT_CONSUMER_LIST_PARAMETER": PARAMETER,
            "LINKPILOT_SHARING_MODE": self.mode,
            "LINKPILOT_AUDIT_TABLE": "provider-audit",
            "LINKPILOT_TOPIC_ARN": self.topic_arn,
            "LINKPILOT_STATE_TABLE": "provider-state",
            "POWERTOOLS_SERVICE_NAME": "linkpilot-onboarding",
            "LINKPILOT_RESOURCE_CONFIGURATION_ARNS": self.configuration_arn,
            "LINKPILOT_ENDPOINT_OVERDUE_HOURS": str(self.overdue_hours),
        }
        event = event or {
            "source": "aws.ssm",
            "detail-type": "Parameter Store Change",
            "detail": {"name": PARAMETER, "operation": "Update", "type": "String"},
        }
        with mock.patch.dict(os.environ, env):
            if self.app is None:
                self.app = load_onboarding_app()
            settings = OnboardingSettings.from_env()
            parts = Collaborators(
                consumer_list=SsmParameter(session.client("ssm"), PARAMETER),
                share=RamShareAdmin(session.client("ram")),
                out=Outputs(
                    AuditTable(session.client("dynamodb"), "provider-audit"),
                    SnsNotifier(session.client("sns"), self.topic_arn),
                    clock=self.aws.clock.now,
                ),
                endpoints=LatticeConsumerEndpoints(session.client("vpc-lattice")),
                lease=(state := StateTable(session.client("dynamodb"), "provider-state")),
                shared_clock=state.clock,  # the lease on AWS's (the local AWS's) clock, as deployed
            )
            with mock.patch.object(self.app, "FUNCTION", OnboardingFunction(settings, collaborators=parts)):
                result: dict[str, Any] = self.app.handler(event, CONTEXT)
        return result

    def principals(self) -> dict[str, str]:
        rows = self.session.client("ram").get_resource_share_associations(
            associationType="PRINCIPAL", resourceShareArns=[self.share_arn]
        )["resourceShareAssociations"]
        return {r["associatedEntity"]: r["status"] for r in rows}

    def audit_events(self) -> list[tuple[str, str, str]]:
        items = self.session.client("dynamodb").scan(TableName="provider-audit")["Items"]
        ordered = sorted(items, key=lambda i: i["sk"]["S"])
        return [(i["event"]["S"], i["principal"]["S"], i["outcome"]["S"]) for i in ordered]

    def notifications(self) -> list[dict[str, Any]]:
        sqs = self.session.client("sqs")
        got = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
        for m in got:
            sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
        return [json.loads(m["Body"]) for m in got]


def build_provider(aws: Any, account: str = "111111111111", *, allow_external: bool = True) -> ProviderWorld:
    """Gateway, configuration (a DNS target on 8080), share with no principals, consumer-list parameter,
    audit table and notification topic (with an SQS inbox to read what was sent)."""
    session = aws.session(account)
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.10.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(("us-east-1a", "us-east-1b"), start=1)
    ]
    lattice = session.client("vpc-lattice")
    gateway = lattice.create_resource_gateway(
        name="linkpilot-provider-rgw", vpcIdentifier=vpc, subnetIds=subnets
    )
    configuration = lattice.create_resource_configuration(
        name="linkpilot-provider-target",
        type="SINGLE",
        portRanges=["8080"],
        resourceGatewayIdentifier=gateway["id"],
        resourceConfigurationDefinition={
            "dnsResource": {"domainName": TARGET_DOMAIN, "ipAddressType": "IPV4"}
        },
    )
    aws.clock.advance(seconds=1)
    share = session.client("ram").create_resource_share(
        name="linkpilot-provider-share",
        resourceArns=[configuration["arn"]],
        allowExternalPrincipals=allow_external,
        tags=[{"key": "linkpilot:role", "value": "provider-share"}],  # as provider/template.yaml tags it
    )["resourceShare"]
    session.client("ssm").put_parameter(Name=PARAMETER, Value="[]", Type="String")
    make_audit_table(session.client("dynamodb"), "provider-audit")
    session.client("dynamodb").create_table(  # the template's state table: the onboarding lease
        TableName="provider-state",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    sns = session.client("sns")
    topic = sns.create_topic(Name="linkpilot-provider")["TopicArn"]
    sqs = session.client("sqs")
    queue = sqs.create_queue(QueueName="provider-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    return ProviderWorld(
        aws=aws,
        account=account,
        share_arn=share["resourceShareArn"],
        configuration_arn=configuration["arn"],
        topic_arn=topic,
        queue_url=queue,
    )
