"""The demo's world: its three accounts, the reference target, the options, and the events the local AWS
does not emit by itself (delivered to the functions by the demo)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkpilot_local.delays import Delays

REPO = Path(__file__).resolve().parents[2]
PROVIDER, CONSUMER, UNTRUSTED = "111111111111", "222222222222", "333333333333"
TARGET_DOMAIN = "hello.provider.internal"
TARGET_PORT = 8080
EXPECTED_BODY = "Hello, World!"
# the database-like target: a second resource configuration in the same share, probed with kind tcp
DATABASE_DOMAIN = "db.provider.internal"
DATABASE_PORT = 5432
# the configuration the provider puts in a shared service network (served by the reference target)
NETWORK_DOMAIN = "api.provider.internal"


@dataclass
class DemoOptions:
    untrusted_invitations: str = "ignore"  # or "reject": what the consumer's policy does with them
    trusted_accounts: tuple[str, ...] = (PROVIDER,)  # the consumer's trust policy
    log_path: Path = field(default_factory=lambda: REPO / ".demo" / "demo.log")
    color: bool = False


def aws_like_delays() -> Delays:
    """The AWS-like delays (``linkpilot_local.delays.Delays``) the demo, the acceptance story's local run and
    ``python -m bench --only ready`` assume, not measured on AWS yet: an accepted share is listed 30 s after
    the accept, an endpoint stays pending 90 s, a service-network VPC association creating 60 s. Without
    them a new endpoint or association settles after 0.2 s of the emulation's clock, which runs with the
    host's: a step that reads it right after asking could see either state on a busy machine."""
    from linkpilot_local.delays import Delays

    return Delays(
        share_listed=timedelta(seconds=30),
        endpoint_pending=timedelta(seconds=90),
        association_creating=timedelta(seconds=60),
    )


def make_demo_vpc(session: Any, cidr: str) -> tuple[str, list[str], str]:
    from linkpilot_local.fixtures import make_vpc

    vpc_id, subnets = make_vpc(session, cidr)
    ec2 = session.client("ec2")
    sg = ec2.create_security_group(GroupName="linkpilot-demo", Description="demo", VpcId=vpc_id)["GroupId"]
    return vpc_id, subnets, sg


def deploy_provider(session: Any) -> Any:
    """The provider's real stack in a VPC of its own, its configuration naming the demo's target; returns
    the deployed stack (``linkpilot_local.deploy.deploy_stack``)."""
    from linkpilot_local.deploy import deploy_stack

    vpc_id, subnets, _ = make_demo_vpc(session, "10.0.0.0/16")
    return deploy_stack(
        session,
        REPO / "provider" / "template.yaml",
        stack_name="linkpilot-provider",
        parameters={
            "VpcId": vpc_id,
            "SubnetIds": subnets,
            "TargetDomainName": TARGET_DOMAIN,
            "PortRanges": [str(TARGET_PORT)],
        },
    )


def parameter_change_event(name: str, account: str, region: str, at: datetime) -> dict[str, Any]:
    """What EventBridge delivers for an SSM parameter update (moto's SSM does not emit events)."""
    return {
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000001",
        "detail-type": "Parameter Store Change",
        "source": "aws.ssm",
        "account": account,
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:ssm:{region}:{account}:parameter{name}"],
        "detail": {"operation": "Update", "name": name, "type": "String"},
    }


def scheduled_event(account: str, region: str, at: datetime) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000002",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{account}:rule/linkpilot-reconcile"],
        "detail": {},
    }
