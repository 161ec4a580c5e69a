"""Uninstall against the local AWS: ``linkpilot cleanup [--dry-run]`` and the stack's custom resource
(answered over loopback HTTP, as CloudFormation's pre-signed ResponseURL would be)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
from controller_world import Consumer, Provider

from linkpilot.consumer.reconcile import reconcile
from linkpilot.consumer.wiring import ControllerFunction
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
    return local_aws, consumer, theirs


def test_cleanup_lists_with_dry_run_then_removes_only_managed_endpoints(world, monkeypatch, capsys):
    aws, consumer, theirs = world
    consumer.use_credentials(monkeypatch)
    assert cli.main(["cleanup", "--dry-run"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed["managed_endpoints"]) == 2 and listed["deleted"] == []
    assert len(consumer.endpoints(managed_only=True)) == 2

    assert cli.main(["cleanup"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert sorted(done["deleted"]) == sorted(e["endpoint_id"] for e in listed["managed_endpoints"])
    aws.clock.advance(seconds=5)
    assert [e["VpcEndpointId"] for e in consumer.endpoints()] == [theirs]


class _Capture(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict]] = []

    def do_PUT(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass


@pytest.mark.parametrize("delete", ["true", "false"])
def test_stack_delete_custom_resource_removes_managed_endpoints_only_when_asked(world, delete):
    aws, consumer, theirs = world
    server = HTTPServer(("127.0.0.1", 0), _Capture)
    _Capture.bodies = []
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    function = ControllerFunction(consumer.settings, lambda: consumer.session, lambda *a, **k: "")
    function._controller = consumer.controller()
    result = function.custom_resource(
        {
            "RequestType": "Delete",
            "ResponseURL": f"http://127.0.0.1:{server.server_port}/cfn-response",
            "StackId": f"arn:aws:cloudformation:us-east-1:{consumer.account}:stack/lp/1",
            "RequestId": "req-1",
            "LogicalResourceId": "ManagedEndpointsCleanup",
            "PhysicalResourceId": "ManagedEndpointsCleanup-linkpilot",
            "ResourceType": "Custom::LinkpilotManagedEndpoints",
            "ResourceProperties": {"ServiceToken": "arn", "DeleteManagedEndpoints": delete},
        }
    )
    thread.join(timeout=10)
    server.server_close()
    assert [b["Status"] for b in _Capture.bodies] == ["SUCCESS"] and result["Status"] == "SUCCESS"
    aws.clock.advance(seconds=5)
    left = sorted(e["VpcEndpointId"] for e in consumer.endpoints())
    if delete == "true":
        assert left == [theirs]
        # the lease stays taken: a reconcile triggered while the stack's rules go away changes nothing
        ctl = consumer.controller()
        ctl.lease_timing = type(ctl.lease_timing)(wait_s=0)
        from linkpilot.lease import LeaseBusy

        with pytest.raises(LeaseBusy):
            reconcile(consumer.policy([consumer.account]), ctl)
    else:
        assert len(left) == 3
