"""Endpoints that applications can find, against the local AWS: after a reconcile every managed association
has its SSM parameter under /linkpilot/endpoints/ and a ``Linkpilot Endpoint State Change`` event reached the
default bus; an application finds the endpoint by the parameter and reaches the target through it; after
the provider unshares, parameter and endpoint are gone and a ``gone`` event was sent."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from controller_world import Consumer, Provider

from linkpilot.consumer.directory import EVENT_DETAIL_TYPE, PREFIX
from linkpilot.consumer.reconcile import reconcile

pytestmark = [pytest.mark.integration, pytest.mark.network]


def event_inbox(consumer: Consumer) -> str:
    """An SQS queue receiving the controller's events through a rule on the default bus (what a team's
    automation would subscribe)."""
    session = consumer.session
    sqs = session.client("sqs")
    queue = sqs.create_queue(QueueName="endpoint-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = session.client("events")
    events.put_rule(
        Name="linkpilot-endpoints",
        EventPattern=json.dumps({"source": ["linkpilot"], "detail-type": [EVENT_DETAIL_TYPE]}),
    )
    events.put_targets(Rule="linkpilot-endpoints", Targets=[{"Id": "inbox", "Arn": arn}])
    return str(queue)


def received(consumer: Consumer, queue: str) -> list[dict[str, Any]]:
    sqs = consumer.session.client("sqs")
    got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    for m in got:  # read once: SQS's visibility timeout runs on the local AWS's clock, which the tests move
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in got]


def application_get(consumer: Consumer, aws: Any, parameter_prefix: str) -> bytes:
    """What an application does: find the endpoint's name in SSM, resolve it, connect, send a request."""
    ssm = consumer.session.client("ssm")
    (parameter,) = ssm.get_parameters_by_path(Path=parameter_prefix, Recursive=True)["Parameters"]
    name = json.loads(parameter["Value"])["dns_name"]
    with socket.create_connection((aws.resolve(name), 8080), timeout=3) as conn:
        conn.sendall(f"GET / HTTP/1.1\r\nHost: {name}\r\n\r\n".encode())
        data = b""
        while chunk := conn.recv(4096):
            data += chunk
    return data


def test_parameters_and_events_follow_the_endpoint(local_aws: Any, reference_responder: Any) -> None:
    aws = local_aws
    provider = Provider.create(aws)
    consumer = Consumer.create(aws)
    cfg = provider.configuration("hello")
    aws.map_target("hello.internal.example", 8080, (reference_responder.host, reference_responder.port))
    share = provider.share(consumer.account, [cfg])
    policy = consumer.policy([provider.account], unshare_grace_minutes=0)
    inbox = event_inbox(consumer)
    ssm = consumer.session.client("ssm")

    consumer.onboard(policy)  # accept, then create (pending: not published yet)
    assert ssm.get_parameters_by_path(Path=PREFIX, Recursive=True)["Parameters"] == []
    aws.clock.advance(seconds=1)
    report = reconcile(policy, consumer.controller())
    assert report.directory.status == "updated"

    (endpoint,) = consumer.endpoints(managed_only=True)
    (parameter,) = ssm.get_parameters_by_path(Path=PREFIX, Recursive=True)["Parameters"]
    assert parameter["Name"].startswith(f"{PREFIX}/{endpoint['VpcEndpointId']}/")
    value = json.loads(parameter["Value"])
    assert value["state"] == "available" and value["resource_configuration_arn"] == cfg
    (row,) = consumer.associations(endpoint["VpcEndpointId"])
    assert parameter["Name"] == f"{PREFIX}/{endpoint['VpcEndpointId']}/{row['Id']}"
    assert value["dns_name"] == row["DnsEntry"]["DnsName"] and value["accessibility"] == "accessible"
    (event,) = received(consumer, inbox)
    assert event["source"] == "linkpilot" and event["detail-type"] == EVENT_DETAIL_TYPE
    assert (
        event["detail"]["state"] == "available"
        and event["detail"]["endpoint_id"] == endpoint["VpcEndpointId"]
    )

    assert (
        application_get(consumer, aws, PREFIX)
        == b"HTTP/1.1 200 OK\nContent-Type: text/plain\n\nHello, World!"
    )

    # Nothing changed: no write, no event (the parameter's version stays).
    reconcile(policy, consumer.controller())
    (same,) = ssm.get_parameters_by_path(Path=PREFIX, Recursive=True)["Parameters"]
    assert same["Version"] == parameter["Version"] and received(consumer, inbox) == []

    provider.unshare(share, consumer.account)
    cleanup = reconcile(policy, consumer.controller())
    assert [r.action.kind.value for r in cleanup.results] == ["delete-endpoint"]
    assert ssm.get_parameters_by_path(Path=PREFIX, Recursive=True)["Parameters"] == []
    (gone,) = received(consumer, inbox)
    assert gone["detail"]["state"] == "gone" and gone["detail"]["previous_state"] == "available"


def test_service_network_endpoint_publishes_one_parameter_per_configuration(local_aws: Any) -> None:
    """A managed ServiceNetwork endpoint has one association row per configuration in the network: each row
    gets its own parameter, naming the configuration it reaches (what an application looks for) and the
    network it comes through; unsharing the network (grace 0) removes them and announces them gone."""
    aws = local_aws
    provider = Provider.create(aws)
    consumer = Consumer.create(aws)
    db, cache = provider.configuration("dbs"), provider.configuration("cache")
    network = provider.service_network([db, cache])
    share = provider.share(consumer.account, [network], name="net-share")
    policy = consumer.policy(
        [provider.account], service_networks={"allowed_arns": [network]}, unshare_grace_minutes=0
    )
    inbox = event_inbox(consumer)
    ssm = consumer.session.client("ssm")

    consumer.onboard(policy)
    aws.clock.advance(seconds=1)  # pending -> available
    assert reconcile(policy, consumer.controller()).directory.status == "updated"

    (endpoint,) = consumer.endpoints(managed_only=True)
    endpoint_id = endpoint["VpcEndpointId"]
    assert endpoint["VpcEndpointType"] == "ServiceNetwork"
    rows = {r["Id"]: r for r in consumer.associations(endpoint_id)}
    parameters = ssm.get_parameters_by_path(Path=PREFIX, Recursive=True)["Parameters"]
    assert sorted(p["Name"] for p in parameters) == sorted(f"{PREFIX}/{endpoint_id}/{i}" for i in rows)
    values = {p["Name"].rsplit("/", 1)[-1]: json.loads(p["Value"]) for p in parameters}
    assert {v["resource_configuration_arn"] for v in values.values()} == {db, cache}
    for association_id, value in values.items():
        row = rows[association_id]
        assert (value["endpoint_id"], value["association_id"]) == (endpoint_id, association_id)
        assert value["service_network_arn"] == network
        assert value["associated_resource_arn"] == row["AssociatedResourceArn"]
        assert value["resource_configuration_arn"] == row["AssociatedResourceArn"]
        assert value["dns_name"] == row["DnsEntry"]["DnsName"] != ""
        assert (value["accessibility"], value["state"]) == ("accessible", "available")
    announced = received(consumer, inbox)
    assert sorted((e["detail"]["parameter"], e["detail"]["state"]) for e in announced) == sorted(
        (p["Name"], "available") for p in parameters
    )

    provider.unshare(share, consumer.account)
    aws.clock.advance(seconds=30)
    cleanup = reconcile(policy, consumer.controller())
    assert [(r.action.kind.value, r.action.endpoint_id) for r in cleanup.results] == [
        ("delete-endpoint", endpoint_id)
    ]
    assert ssm.get_parameters_by_path(Path=PREFIX, Recursive=True)["Parameters"] == []
    gone = received(consumer, inbox)
    assert sorted(
        (e["detail"]["parameter"], e["detail"]["state"], e["detail"]["previous_state"]) for e in gone
    ) == sorted((p["Name"], "gone", "available") for p in parameters)
