"""The onboarding Lambda handler end to end in-process: moto SSM, DynamoDB and SNS, a fake share."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws
from provider_fakes import SHARE, FakeShare

from linkpilot.aws.audit import AuditTable
from linkpilot.aws.notify import SnsNotifier
from linkpilot.aws.ssm_parameters import SsmParameter
from linkpilot.provider.service import Outputs
from linkpilot.runtime.onboarding import Collaborators, OnboardingFunction, OnboardingSettings
from linkpilot_local.fixtures import make_audit_table

APP = Path(__file__).parents[3] / "functions" / "onboarding" / "app.py"
PARAMETER = "/linkpilot/provider/consumers"


def load_app(collaborators: Collaborators) -> ModuleType:
    """The handler module as Lambda loads it (settings from the environment), with the test's adapters."""
    spec = importlib.util.spec_from_file_location("onboarding_app", APP)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.FUNCTION = OnboardingFunction(OnboardingSettings.from_env(), collaborators=collaborators)
    return module


CONTEXT = SimpleNamespace(
    function_name="onboarding",
    memory_limit_in_mb=256,
    invoked_function_arn="arn:aws:lambda:us-east-1:111111111111:function:onboarding",
    aws_request_id="req-1",
)
CHANGE_EVENT = {
    "source": "aws.ssm",
    "detail-type": "Parameter Store Change",
    "detail": {"name": PARAMETER, "operation": "Update", "type": "StringList"},
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    with mock_aws():
        ddb = boto3.client("dynamodb")
        make_audit_table(ddb, "audit")
        sns = boto3.client("sns")
        topic = sns.create_topic(Name="provider")["TopicArn"]
        sqs = boto3.client("sqs")
        queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
        )
        for key, value in {
            "LINKPILOT_SHARE_ARN": SHARE,
            "LINKPILOT_CONSUMER_LIST_PARAMETER": PARAMETER,
            "LINKPILOT_SHARING_MODE": "accounts",
            "LINKPILOT_AUDIT_TABLE": "audit",
            "LINKPILOT_TOPIC_ARN": topic,
            "POWERTOOLS_SERVICE_NAME": "linkpilot-onboarding",
        }.items():
            monkeypatch.setenv(key, value)
        share = FakeShare({"444444444444": "ASSOCIATED"})
        yield {
            "ssm": boto3.client("ssm"),
            "ddb": ddb,
            "sqs": sqs,
            "queue": queue,
            "share": share,
            "collaborators": Collaborators(
                consumer_list=SsmParameter(boto3.client("ssm"), PARAMETER),
                share=share,
                out=Outputs(AuditTable(ddb, "audit"), SnsNotifier(sns, topic)),
            ),
        }


def test_parameter_change_syncs_the_share_audits_and_notifies(
    env: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    env["ssm"].put_parameter(Name=PARAMETER, Type="StringList", Value="222222222222")
    summary = load_app(env["collaborators"]).handler(CHANGE_EVENT, CONTEXT)
    assert summary["ok"] is True
    assert env["share"].associations == {"444444444444": "DISASSOCIATED", "222222222222": "ASSOCIATED"}
    items = env["ddb"].scan(TableName="audit")["Items"]
    assert sorted(i["event"]["S"] for i in items) == ["associate", "disassociate"]
    assert all(int(i["expires_at"]["N"]) > 0 for i in items)
    messages = env["sqs"].receive_message(QueueUrl=env["queue"], MaxNumberOfMessages=10)["Messages"]
    assert {json.loads(m["Body"])["action"] for m in messages} == {"associate", "disassociate"}
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(m.get("PrincipalsAssociated") == [1.0] or m.get("PrincipalsAssociated") == 1.0 for m in emf)


def test_malformed_list_is_rejected_and_nothing_changes(env: dict[str, Any]) -> None:
    env["ssm"].put_parameter(Name=PARAMETER, Type="StringList", Value="222222222222,2222")
    summary = load_app(env["collaborators"]).handler(CHANGE_EVENT, CONTEXT)
    assert summary["ok"] is False
    assert "entry 2 '2222' is not a 12-digit AWS account id" in summary["error"]
    assert env["share"].calls == []
    assert [i["event"]["S"] for i in env["ddb"].scan(TableName="audit")["Items"]] == [
        "consumer-list-rejected"
    ]


def test_missing_parameter_is_a_config_error_not_a_crash(env: dict[str, Any]) -> None:
    summary = load_app(env["collaborators"]).handler({"source": "aws.scheduler"}, CONTEXT)
    assert summary["ok"] is False
    assert "does not exist" in summary["error"]
    assert env["share"].calls == []


def test_throttling_raises_so_the_platform_retries(env: dict[str, Any]) -> None:
    """The pass's outcome decides: an AWS failure is a Retry, raised as the error itself."""
    from linkpilot.errors import Transient

    env["ssm"].put_parameter(Name=PARAMETER, Type="StringList", Value="222222222222")
    env["share"].raise_on_write = Transient("ThrottlingException", "slow down")
    with pytest.raises(Transient, match="ThrottlingException"):
        load_app(env["collaborators"]).handler(CHANGE_EVENT, CONTEXT)
