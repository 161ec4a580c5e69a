"""Uninstall against the local AWS: ``linkpilot cleanup [--dry-run]`` and the stack's custom resource
(its answer, a PUT to CloudFormation's presigned ResponseURL, recorded instead of sent), and forged
custom resource requests, which change nothing."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import urllib.request
from dataclasses import replace

import pytest
from controller_world import Consumer, Provider

from linkpilot.consumer.reconcile import reconcile
from linkpilot.lease import LeaseTiming
from linkpilot.runtime.controller import ControllerFunction, ControllerSettings
from linkpilot_cli import main as cli

pytestmark = pytest.mark.integration


@pytest.fixture
def world(local_aws):
    provider, consumer = Provider.create(local_aws), Consumer.create(local_aws)
    provider.share(consumer.account, [provider.configuration("alpha"), provider.configuration("beta")])
    consumer.onboard(consumer.policy([provider.account]))
    ec2 = consumer.session.client("ec2")
    theirs = ec2.create_vpc_endpoint(
        VpcEndpointType="Resource",
        VpcId=consumer.vpc_id,
        SubnetIds=consumer.subnet_ids,
        ResourceConfigurationArn=provider.configurations[0],
        ClientToken="a-person",
    )["VpcEndpoint"]["VpcEndpointId"]
    return local_aws, consumer, theirs, provider


def test_cleanup_lists_with_dry_run_then_removes_only_managed_endpoints(world, monkeypatch, capsys):
    aws, consumer, theirs, _provider = world
    consumer.use_credentials(monkeypatch)
    assert cli.main(["cleanup", "--dry-run"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed["managed_endpoints"]) == 2 and listed["deleted"] == []
    assert len(consumer.endpoints(managed_only=True)) == 2

    assert cli.main(["cleanup", "--yes"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert sorted(done["deleted"]) == sorted(e["endpoint_id"] for e in listed["managed_endpoints"])
    aws.clock.advance(seconds=5)
    assert [e["VpcEndpointId"] for e in consumer.endpoints()] == [theirs]


def test_cleanup_lists_what_it_will_delete_asks_then_deletes_what_was_confirmed(world, monkeypatch, capsys):
    import click

    aws, consumer, theirs, _provider = world
    consumer.use_credentials(monkeypatch)
    managed = sorted(e["VpcEndpointId"] for e in consumer.endpoints(managed_only=True))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    asked: list[str] = []

    def answer(reply: bool):
        def confirm(question: str, **_: object) -> bool:
            asked.append(question)
            return reply

        return confirm

    monkeypatch.setattr(click, "confirm", answer(False))
    assert cli.main(["cleanup", "--output", "json"]) == 1  # declined
    captured = capsys.readouterr()
    assert asked == ["Delete these 2 managed endpoint(s)?"] and captured.out == ""
    assert all(endpoint in captured.err for endpoint in managed)  # the list, before the question
    assert "declined: nothing deleted" in captured.err
    assert sorted(e["VpcEndpointId"] for e in consumer.endpoints(managed_only=True)) == managed

    monkeypatch.setattr(click, "confirm", answer(True))
    assert cli.main(["cleanup", "--output", "json"]) == 0
    assert sorted(json.loads(capsys.readouterr().out)["deleted"]) == managed
    aws.clock.advance(seconds=5)
    assert [e["VpcEndpointId"] for e in consumer.endpoints()] == [theirs]


def test_cleanup_without_a_terminal_and_without_yes_deletes_nothing(world, monkeypatch, capsys):
    _aws, consumer, _theirs, _provider = world
    consumer.use_credentials(monkeypatch)
    before = consumer.endpoints(managed_only=True)
    assert cli.main(["cleanup"]) == 2  # pytest's stdin is no terminal
    err = capsys.readouterr().err
    assert err.startswith("linkpilot cleanup: deleting asks for confirmation") and err.count("\n") == 1
    assert consumer.endpoints(managed_only=True) == before


class PutRecorder:
    """Stands in for ``urlopen`` (the custom resource's answer is a PUT to its ResponseURL): records each
    request instead of sending it anywhere."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict]] = []

    def __call__(self, request, timeout=None):  # type: ignore[no-untyped-def]
        self.requests.append((request.get_method(), request.full_url, json.loads(request.data)))
        return contextlib.nullcontext(io.BytesIO(b""))


@pytest.fixture
def puts(monkeypatch) -> PutRecorder:
    recorder = PutRecorder()
    monkeypatch.setattr(urllib.request, "urlopen", recorder)
    return recorder


def stack_id(consumer) -> str:  # type: ignore[no-untyped-def]
    return (
        f"arn:aws:cloudformation:us-east-1:{consumer.account}:stack/lp/6c5e2f30-1a2b-11f0-9d3e-0a1b2c3d4e5f"
    )


def response_url(consumer) -> str:  # type: ignore[no-untyped-def]
    return (
        "https://cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com/"
        f"arn%3Aaws%3Acloudformation%3Aus-east-1%3A{consumer.account}%3Astack/lp/6c5e2f30%7C"
        "ManagedEndpointsCleanup%7Creq-1?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=0123abcd"
    )


def cleanup_function(consumer) -> ControllerFunction:  # type: ignore[no-untyped-def]
    """The function as deployed: its settings from its environment, with its own stack's id."""
    env = {
        ControllerSettings.env_name(f.name): str(getattr(consumer.settings, f.name))
        for f in dataclasses.fields(consumer.settings)
        if getattr(consumer.settings, f.name) is not None
    }
    settings = ControllerSettings.from_env({**env, "LINKPILOT_STACK_ID": stack_id(consumer)})
    function = ControllerFunction(settings, lambda: consumer.session, lambda *a, **k: "")
    function._controller = consumer.controller()
    return function


def delete_request(consumer, delete: str = "true", **changes) -> dict:  # type: ignore[no-untyped-def]
    return {
        "RequestType": "Delete",
        "ResponseURL": response_url(consumer),
        "StackId": stack_id(consumer),
        "RequestId": "req-1",
        "LogicalResourceId": "ManagedEndpointsCleanup",
        "PhysicalResourceId": "ManagedEndpointsCleanup-linkpilot",
        "ResourceType": "Custom::LinkpilotManagedEndpoints",
        "ResourceProperties": {"ServiceToken": "arn", "DeleteManagedEndpoints": delete},
        **changes,
    }


@pytest.mark.parametrize("delete", ["true", "false"])
def test_stack_delete_custom_resource_removes_managed_endpoints_only_when_asked(world, puts, delete):
    aws, consumer, theirs, _provider = world
    result = cleanup_function(consumer).custom_resource(delete_request(consumer, delete))
    # the one answer: a PUT of the response body to the request's presigned URL
    assert [(method, url, body["Status"]) for method, url, body in puts.requests] == [
        ("PUT", response_url(consumer), "SUCCESS")
    ]
    assert result["Status"] == "SUCCESS"
    aws.clock.advance(seconds=5)
    left = sorted(e["VpcEndpointId"] for e in consumer.endpoints())
    if delete == "true":
        assert left == [theirs]
        # the lease stays taken: a reconcile triggered while the stack's rules go away changes nothing
        ctl = consumer.controller()
        ctl.options = replace(ctl.options, lease_timing=LeaseTiming(wait_s=0))
        from linkpilot.lease import LeaseBusy

        with pytest.raises(LeaseBusy):
            reconcile(consumer.policy([consumer.account]), ctl)
    else:
        assert len(left) == 3


FORGED = {
    "another account's stack": lambda c: {"StackId": stack_id(c).replace(c.account, "333333333333")},
    "another stack of the account": lambda c: {"StackId": stack_id(c).replace("/lp/", "/other/")},
    "another logical id": lambda c: {"LogicalResourceId": "Anything"},
    "another resource type": lambda c: {"ResourceType": "Custom::Anything"},
    "an answer over http": lambda c: {"ResponseURL": response_url(c).replace("https:", "http:")},
    "an answer to another host": lambda c: {"ResponseURL": "https://127.0.0.1:8443/collect"},
    "an answer to another Region": lambda c: {
        "ResponseURL": "https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/x"
    },
}


@pytest.mark.parametrize("forge", FORGED.values(), ids=FORGED.keys())
def test_a_forged_delete_request_reads_writes_and_sends_nothing(world, puts, forge):
    """Issue 22.1: a Delete request that is not this stack's cleanup resource's (anyone allowed to invoke
    the function can send one) deletes no endpoint, takes no lease, makes no AWS call and sends no answer."""
    aws, consumer, _theirs, provider = world
    function = cleanup_function(consumer)
    managed = sorted(e["VpcEndpointId"] for e in consumer.endpoints(managed_only=True))
    calls_before = len(aws.call_log)
    result = function.custom_resource(delete_request(consumer, **forge(consumer)))
    assert puts.requests == []
    assert aws.call_log[calls_before:] == []
    assert result["status"] == "ignored" and result["reason"]
    aws.clock.advance(seconds=5)
    assert sorted(e["VpcEndpointId"] for e in consumer.endpoints(managed_only=True)) == managed
    # no lease held: the next reconcile runs at once and changes nothing
    ctl = consumer.controller()
    ctl.options = replace(ctl.options, lease_timing=LeaseTiming(wait_s=0))
    assert reconcile(consumer.policy([provider.account]), ctl).results == ()
