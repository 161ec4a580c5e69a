"""Issue 6 Done-when, end to end against the local AWS: the provider's onboarding function and the
consumer's controller, each with its real adapters, meet only through AWS (RAM, Lattice, EC2).

provider adds a consumer -> an invitation appears in the consumer account -> the consumer controller onboards
it (accept, endpoint, traffic reaches the provider's target) -> a malformed consumer list changes nothing ->
the provider removes the consumer -> the consumer cleans up (endpoint deleted, no access, no traffic).
"""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from linkpilot.consumer.reconcile import reconcile

pytestmark = [pytest.mark.e2e, pytest.mark.network]

TESTS = Path(__file__).resolve().parents[1]


def _helper(path: Path) -> ModuleType:
    """The provider and controller test worlds (kept next to their integration tests)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(path.stem, module)
    spec.loader.exec_module(module)
    return sys.modules[path.stem]


provider_world = _helper(TESTS / "integration" / "provider" / "provider_world.py")
controller_world = _helper(TESTS / "integration" / "controller" / "controller_world.py")


def http_get(ip: str, port: int, host: str) -> bytes:
    with socket.create_connection((ip, port), timeout=3) as conn:
        conn.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        data = b""
        while chunk := conn.recv(4096):
            data += chunk
    return data


def test_provider_adds_then_removes_a_consumer_and_the_consumer_follows(
    local_aws: Any, reference_responder: Any
) -> None:
    aws = local_aws
    provider = provider_world.build_provider(aws)
    consumer = controller_world.Consumer.create(aws)
    policy = consumer.policy([provider.account])
    aws.map_target(provider_world.TARGET_DOMAIN, 8080, (reference_responder.host, reference_responder.port))

    # Nothing is shared yet: the consumer's controller has nothing to do.
    assert reconcile(policy, consumer.controller()).results == ()

    # 1. The provider declares the consumer; its onboarding function associates it: an invitation appears.
    provider.put_consumers(consumer.account)
    onboarded = provider.onboard()
    assert [(c["action"], c["principal"], c["ok"]) for c in onboarded["changes"]] == [
        ("associate", consumer.account, True)
    ]
    assert consumer.invitation_statuses() == ["PENDING"]

    # 2. The consumer's controller accepts it (trusted sender); RAM completes the accept asynchronously,
    #    and the next run, once RAM lists the configuration AVAILABLE, creates the resource endpoint.
    report = reconcile(policy, consumer.controller(), trigger="aws.ram")
    assert [(r.action.kind.value, r.outcome.value) for r in report.results] == [("accept-invitation", "done")]
    aws.clock.advance(seconds=30)
    report = reconcile(policy, consumer.controller(), trigger="schedule")
    assert [(r.action.kind.value, r.outcome.value) for r in report.results] == [("create-endpoint", "done")]
    aws.clock.advance(seconds=1)  # endpoint pending -> available
    (endpoint,) = consumer.endpoints(managed_only=True)
    assert endpoint["ResourceConfigurationArn"] == provider.configuration_arn
    # the DNS name is the endpoint association's (AWS gives a Resource endpoint no DnsEntries)
    (association,) = consumer.associations(endpoint["VpcEndpointId"])
    dns_name = association["DnsEntry"]["DnsName"]
    reply = http_get(aws.resolve(dns_name), 8080, dns_name)
    assert reply == b"HTTP/1.1 200 OK\nContent-Type: text/plain\n\nHello, World!"

    # 3. A malformed consumer list is rejected with a clear error and changes nothing on either side.
    provider.put_consumers(f"{consumer.account},12345")
    rejected = provider.onboard()
    assert rejected["ok"] is False
    assert "entry 2 '12345' is not a 12-digit AWS account id" in rejected["error"]
    assert provider.principals() == {consumer.account: "ASSOCIATED"}
    assert reconcile(policy, consumer.controller()).results == ()
    assert [e["VpcEndpointId"] for e in consumer.endpoints(managed_only=True)] == [endpoint["VpcEndpointId"]]
    assert http_get(aws.resolve(dns_name), 8080, dns_name).endswith(b"Hello, World!")

    # 4. The provider removes the consumer: access goes at once...
    provider.put_consumers("[]")
    removed = provider.onboard()
    assert [(c["action"], c["principal"], c["ok"]) for c in removed["changes"]] == [
        ("disassociate", consumer.account, True)
    ]
    ram = consumer.session.client("ram")
    assert ram.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"] == []
    assert http_get(aws.resolve(dns_name), 8080, dns_name) == b""

    # 5. ...and the consumer's controller cleans up the endpoint it created, once the absence has lasted the
    # policy's grace (a configuration missing from one read is not gone).
    waiting = reconcile(policy, consumer.controller(), trigger="schedule")
    assert waiting.results == () and len(waiting.plan.awaiting_grace) == 1
    aws.clock.advance(minutes=policy.unshare_grace_minutes)
    cleanup = reconcile(policy, consumer.controller(), trigger="schedule")
    assert [(r.action.kind.value, r.outcome.value) for r in cleanup.results] == [("delete-endpoint", "done")]
    aws.clock.advance(seconds=1)
    assert consumer.endpoints(managed_only=True) == []
    assert reconcile(policy, consumer.controller()).results == ()

    assert [e[0] for e in provider.audit_events()] == ["associate", "consumer-list-rejected", "disassociate"]


def test_a_group_configuration_gets_one_endpoint_probed_per_child(
    local_aws: Any, reference_responder: Any, request: pytest.FixtureRequest
) -> None:
    """Issue 12: a GROUP configuration with two CHILD configurations is shared; the consumer makes ONE
    endpoint (for the GROUP, never a CHILD) and the probe gets one target per child association, each
    with its own DNS name, and traffic through each reaches that child's target."""
    from linkpilot.probe import probe_event

    aws = local_aws
    provider = controller_world.Provider.create(aws)
    consumer = controller_world.Consumer.create(aws)
    group, children = provider.group("db-group", ["db-a", "db-b"])
    # one reference target per child (each answers one connection at a time)
    from linkpilot_demo.reference_target import reference_target

    second = reference_target()
    second.start()
    request.addfinalizer(second.stop)
    aws.map_target("db-a.internal.example", 8080, (reference_responder.host, reference_responder.port))
    aws.map_target("db-b.internal.example", 8080, (second.host, second.port))
    provider.share(consumer.account, [group])
    policy = consumer.policy([provider.account])

    accepted = reconcile(policy, consumer.controller(), trigger="aws.ram")
    assert [(r.action.kind.value, r.outcome.value) for r in accepted.results] == [
        ("accept-invitation", "done")
    ]
    aws.clock.advance(seconds=30)  # RAM completes the accept
    created = reconcile(policy, consumer.controller(), trigger="schedule")
    assert [(r.action.kind.value, r.action.resource_configuration_arn) for r in created.results] == [
        ("create-endpoint", group)
    ]
    aws.clock.advance(seconds=1)  # endpoint pending -> available
    published = reconcile(policy, consumer.controller(), trigger="schedule")
    assert published.results == () and published.probe.targets == 2
    (endpoint,) = consumer.endpoints(managed_only=True)
    rows = consumer.associations(endpoint["VpcEndpointId"])
    assert sorted(r["AssociatedResourceArn"] for r in rows) == sorted(children)

    (schedule,) = consumer.schedules()
    payload = json.loads(schedule["Target"]["Input"])
    targets = payload["targets"]
    assert sorted(t["child_arn"] for t in targets) == sorted(children)
    assert {t["endpoint_id"] for t in targets} == {endpoint["VpcEndpointId"]}
    assert {t["dns_name"] for t in targets} == {r["DnsEntry"]["DnsName"] for r in rows}
    for t in targets:
        assert http_get(aws.resolve(t["dns_name"]), 8080, t["dns_name"]).endswith(b"Hello, World!")
    # the probe itself, through each child's name (the local data path resolves it)
    results = probe_event(payload, resolver=aws.resolver)
    assert [r.verdict for r in results] == ["ok", "ok"], [r.to_dict() for r in results]
    assert sorted(r.child_arn or "" for r in results) == sorted(children)
