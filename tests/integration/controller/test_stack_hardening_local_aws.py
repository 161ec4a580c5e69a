"""Issue 22 against the real consumer template, deployed into the local AWS by the local deployer, with the
controller's real Lambda handler run in-process with the environment the template gives it:

1. a forged custom resource request changes nothing, the stack's own cleanup request still works;
2. whatever the stack is called (even the name of an SSM path Linkpilot uses), its trust policy parameter
   survives the scheduled runs that prune the endpoint directory, and the pruning removes only what the
   directory wrote.
"""

from __future__ import annotations

import contextlib
import io
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from controller_world import Provider, new_account

from linkpilot.consumer.directory import PREFIX, AssociationRecord
from linkpilot_demo.lambdas import LocalFunction, LogSink
from linkpilot_local.deploy import deploy_stack, write_baseline
from linkpilot_local.fixtures import make_vpc

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
SCHEDULED = json.loads((ROOT / "events" / "controller-schedule.json").read_text())
# The first segment of every SSM path Linkpilot names: the endpoint directory, the stacks' own parameters,
# the consumer account baseline and the provider's default consumer list; and the bare product name.
PATH_NAMES = ["endpoints", "stacks", "consumer", "provider", "linkpilot"]


class PutRecorder:
    """Stands in for ``urlopen``: the custom resource's answer (a PUT to its ResponseURL) is recorded, not
    sent."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, Any]]] = []

    def __call__(self, request: Any, timeout: float | None = None) -> Any:
        self.requests.append((request.get_method(), request.full_url, json.loads(request.data)))
        return contextlib.nullcontext(io.BytesIO(b""))


def deploy_consumer(
    aws: Any, stack_name: str, trusted: str, tmp_path: Path
) -> tuple[Any, Any, LocalFunction]:
    """A consumer account with its baseline and the consumer stack; the controller as Lambda runs it."""
    account = new_account()
    session = aws.session(account)
    vpc_id, subnets = make_vpc(session, "10.1.0.0/16")
    write_baseline(
        session,
        ROOT / "template.yaml",
        {
            "EndpointVpcId": vpc_id,
            "EndpointSubnetIds": subnets,
            "ProbeSecurityGroupIds": ["sg-0123456789abcdef0"],
        },
    )
    stack = deploy_stack(
        session,
        ROOT / "template.yaml",
        stack_name=stack_name,
        parameters={"TrustedAccounts": [trusted], "DeleteEndpointsOnStackDelete": "true"},
    )
    sink = LogSink(tmp_path / f"{stack_name}.log")
    controller = LocalFunction(stack.functions["ControllerFunction"], session, aws.region, sink)
    controller.module().FUNCTION.clock = aws.clock.now  # the local AWS's clock, as the demo does
    return session, stack, controller


def scheduled(account: str) -> dict[str, Any]:
    return {**SCHEDULED, "account": account}


@pytest.mark.parametrize("stack_name", PATH_NAMES)
def test_the_policy_parameter_survives_scheduled_runs_whatever_the_stack_is_called(
    local_aws: Any, tmp_path: Path, stack_name: str
) -> None:
    aws = local_aws
    session, stack, controller = deploy_consumer(aws, stack_name, "111111111111", tmp_path)
    ssm = session.client("ssm")
    policy_name = stack.physical["PolicyParameter"]
    policy_value = ssm.get_parameter(Name=policy_name)["Parameter"]["Value"]

    # what the directory wrote for an endpoint that is gone since, and what someone else keeps there
    gone = AssociationRecord(
        endpoint_id="vpce-0123456789abcdef0",
        endpoint_state="available",
        configuration_arn="arn:aws:vpc-lattice:us-east-1:111111111111:resourceconfiguration/rcfg-0123456789abcdef0",
        association_id="vpce-rsc-asc-0123456789abcdef0",
        dns_name="vpce-0123456789abcdef0.rcfg-0123456789abcdef0.abc1234.vpc-lattice-rsc.us-east-1.on.aws",
        accessibility="accessible",
    )
    ssm.put_parameter(Name=gone.parameter, Value=gone.value(), Type="String")
    theirs = {
        f"{PREFIX}/notes": "kept by a person",
        f"{PREFIX}/vpce-0aaaaaaaaaaaaaaaa/readme": json.dumps({"owner": "team-db"}),
        f"{PREFIX}/vpce-0aaaaaaaaaaaaaaaa/vpce-rsc-asc-0aaaaaaaaaaaaaaaa": "not a record",
    }
    for name, value in theirs.items():
        ssm.put_parameter(Name=name, Value=value, Type="String")

    for _ in range(2):  # two scheduled runs, five minutes apart
        result = controller.invoke(scheduled(session.client("sts").get_caller_identity()["Account"]))
        assert result["status"] == "ok", result
        aws.clock.advance(minutes=5)

    assert ssm.get_parameter(Name=policy_name)["Parameter"]["Value"] == policy_value
    left = {
        p["Name"]: p["Value"] for p in ssm.get_parameters_by_path(Path=PREFIX, Recursive=True)["Parameters"]
    }
    assert left == theirs  # the directory's own stale parameter went; nothing else under the prefix did
    # the stack's own parameters live apart from the directory, whatever the stack's name
    assert policy_name == f"/linkpilot/stacks/{stack_name}/policy"
    assert not policy_name.startswith(PREFIX + "/")


def test_forged_cleanup_requests_change_nothing_and_the_stacks_own_still_works(
    local_aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws = local_aws
    provider = Provider.create(aws)
    session, stack, controller = deploy_consumer(aws, "lp", provider.account, tmp_path)
    account = session.client("sts").get_caller_identity()["Account"]
    provider.share(account, [provider.configuration("alpha")])
    controller.invoke(scheduled(account))  # accepts
    aws.clock.advance(seconds=30)
    controller.invoke(scheduled(account))  # creates the endpoint
    aws.clock.advance(seconds=5)
    ec2 = session.client("ec2")

    def managed() -> list[str]:
        endpoints = ec2.describe_vpc_endpoints(
            Filters=[{"Name": "tag:linkpilot:managed", "Values": ["true"]}]
        )["VpcEndpoints"]
        return [e["VpcEndpointId"] for e in endpoints if e["State"].lower() not in {"deleting", "deleted"}]

    (endpoint,) = managed()
    puts = PutRecorder()
    monkeypatch.setattr(urllib.request, "urlopen", puts)
    stack_id = f"arn:aws:cloudformation:us-east-1:{account}:stack/lp/local"  # the deployer's AWS::StackId
    url = (
        "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/"
        f"arn%3Aaws%3Acloudformation%3Aus-east-1%3A{account}%3Astack/lp/local%7CManagedEndpointsCleanup%7Cr-1"
        "?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1555451971&Signature=28UijZePE5I4dvukKQqM"
    )
    genuine = {
        "RequestType": "Delete",
        "ServiceToken": stack.functions["ControllerFunction"].arn,
        "ResponseURL": url,
        "StackId": stack_id,
        "RequestId": "r-1",
        "LogicalResourceId": "ManagedEndpointsCleanup",
        "PhysicalResourceId": "ManagedEndpointsCleanup-linkpilot",
        "ResourceType": "Custom::LinkpilotManagedEndpoints",
        "ResourceProperties": {
            "ServiceToken": stack.functions["ControllerFunction"].arn,
            "DeleteManagedEndpoints": "true",
            "StateTable": stack.physical["StateTable"],
        },
    }
    forgeries = [
        {"StackId": stack_id.replace(account, "333333333333")},
        {"StackId": stack_id.replace("/lp/", "/lp2/")},
        {"LogicalResourceId": "AnythingElse"},
        {"ResourceType": "Custom::AnythingElse"},
        {"ResponseURL": url.replace("https://", "http://")},
        {"ResponseURL": "https://collector.attacker.example/cfn"},
        {"ResponseURL": url.replace("useast1.s3.amazonaws.com", "uswest2.s3.us-west-2.amazonaws.com")},
        {"ResponseURL": None, "RequestId": None},  # a partial request is refused as well
    ]
    for changes in forgeries:
        calls_before = len(aws.call_log)
        result = controller.invoke({**genuine, **changes})
        assert puts.requests == [], changes
        assert aws.call_log[calls_before:] == [], changes  # nothing read or written: no lease taken
        assert result["status"] == "ignored", changes
    assert managed() == [endpoint]
    # the log names the request, bounded and escaped, never the presigned URL's signature
    log = (tmp_path / "lp.log").read_text()
    assert "custom resource request ignored" in log and "Signature" not in log

    # the function knows its stack from the template (LINKPILOT_STACK_ID: !Ref AWS::StackId)
    assert stack.functions["ControllerFunction"].environment["LINKPILOT_STACK_ID"] == stack_id
    # no lease was taken: a reconcile asked for now runs at once
    assert controller.invoke({"linkpilot": "reconcile"})["status"] == "ok"
    # the stack's own request: the managed endpoint goes, the answer goes to CloudFormation's URL
    result = controller.invoke(genuine)
    assert result["Status"] == "SUCCESS" and result["cleanup"]["deleted"] == [endpoint]
    assert [(method, sent, body["Status"]) for method, sent, body in puts.requests] == [
        ("PUT", url, "SUCCESS")
    ]
    aws.clock.advance(seconds=5)
    assert managed() == []
