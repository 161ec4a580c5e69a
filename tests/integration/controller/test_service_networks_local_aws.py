"""Issue 15 D against the local AWS: a shared service network gets ONE managed ServiceNetwork endpoint
(refused when the policy does not allow it), each configuration in the network is a probe target reached
through the local data path, and unsharing the network cleans the endpoint up after the grace."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from controller_world import Consumer, Provider

from linkpilot.consumer.reconcile import reconcile
from linkpilot.probe import probe_event
from linkpilot_demo.reference_target import reference_target

pytestmark = pytest.mark.integration
SN_TAG = "linkpilot:service-network-arn"


def actions(report: Any) -> list[tuple[str, str]]:
    return [(r.action.kind.value, r.outcome.value) for r in report.results]


@pytest.fixture
def targets(request: pytest.FixtureRequest) -> Iterator[list[Any]]:
    """Two reference targets on loopback (each answers one connection at a time)."""
    started = []
    for _ in range(2):
        t = reference_target()
        t.start()
        started.append(t)
    yield started
    for t in started:
        t.stop()


def sn_policy(consumer: Consumer, provider: Provider, allowed: list[str], **more: Any) -> Any:
    return consumer.policy([provider.account], service_networks={"allowed_arns": allowed}, **more)


@pytest.fixture
def world(local_aws: Any) -> tuple[Any, Provider, Consumer]:
    return local_aws, Provider.create(local_aws), Consumer.create(local_aws)


def test_shared_network_gets_one_endpoint_whose_configurations_are_probed(world, targets) -> None:
    aws, provider, consumer = world
    db, cache = provider.configuration("dbs"), provider.configuration("cache")
    network = provider.service_network([db, cache])
    share = provider.share(consumer.account, [network], name="net-share")
    aws.map_target("dbs.internal.example", 8080, (targets[0].host, targets[0].port))
    aws.map_target("cache.internal.example", 8080, (targets[1].host, targets[1].port))
    policy = sn_policy(consumer, provider, [f"arn:aws:vpc-lattice:*:{provider.account}:servicenetwork/*"])

    accepted = reconcile(policy, consumer.controller(), trigger="aws.ram")
    assert actions(accepted) == [("accept-invitation", "done")]
    aws.clock.advance(seconds=30)  # RAM completes the accept
    created = reconcile(policy, consumer.controller())
    assert [(r.action.kind.value, r.action.resource_configuration_arn) for r in created.results] == [
        ("create-endpoint", network)
    ]
    (ep,) = consumer.endpoints()
    assert (ep["VpcEndpointType"], ep["ServiceNetworkArn"], ep["VpcId"]) == (
        "ServiceNetwork",
        network,
        consumer.vpc_id,
    )
    assert {t["Key"]: t["Value"] for t in ep["Tags"]} == {
        "linkpilot:managed": "true",
        SN_TAG: network,
        "linkpilot:resource-share-arn": share,
    }

    aws.clock.advance(seconds=1)  # pending -> available
    published = reconcile(policy, consumer.controller())
    assert published.results == () and published.probe.targets == 2
    assert reconcile(policy, consumer.controller()).results == ()  # one endpoint, converged
    (schedule,) = consumer.schedules()
    payload = json.loads(schedule["Target"]["Input"])
    rows = consumer.associations(ep["VpcEndpointId"])
    assert {(t["resource_configuration_arn"], t["child_arn"]) for t in payload["targets"]} == {
        (network, db),
        (network, cache),
    }
    assert {t["dns_name"] for t in payload["targets"]} == {r["DnsEntry"]["DnsName"] for r in rows}
    results = probe_event(payload, resolver=aws.resolver)
    assert [r.verdict for r in results] == ["ok", "ok"], [r.to_dict() for r in results]

    audit = consumer.audit()
    created_rows = [a for a in audit if a.get("action") == "create-endpoint"]
    assert [a.get("resource_configuration_arn") for a in created_rows] == [network]


def test_probe_kind_of_a_configuration_in_the_network_follows_its_own_glob(world, targets) -> None:
    aws, provider, consumer = world
    db = provider.configuration("dbs")
    network = provider.service_network([db])
    provider.share(consumer.account, [network])
    aws.map_target("dbs.internal.example", 8080, (targets[0].host, targets[0].port))
    policy = sn_policy(
        consumer,
        provider,
        [network],
        probe={"overrides": [{"match": db, "kind": "tcp", "port": 8080}]},
    )
    consumer.onboard(policy)
    aws.clock.advance(seconds=1)
    reconcile(policy, consumer.controller())
    (schedule,) = consumer.schedules()
    (target,) = json.loads(schedule["Target"]["Input"])["targets"]
    assert (target["child_arn"], target["kind"]) == (db, "tcp")


def test_network_the_policy_does_not_allow_is_refused_and_gets_no_endpoint(world) -> None:
    aws, provider, consumer = world
    network = provider.service_network([provider.configuration("dbs")])
    provider.share(consumer.account, [network])
    for policy in (
        consumer.policy([provider.account]),  # no service_networks section
        sn_policy(consumer, provider, ["arn:aws:vpc-lattice:*:*:servicenetwork/sn-0000000000000000x"]),
    ):
        report = reconcile(policy, consumer.controller())
        assert actions(report) == []
        (decision,) = report.plan.decisions
        assert decision.verdict.value == "ignore" and decision.refused_by_policy, decision
        aws.clock.advance(seconds=30)
        assert reconcile(policy, consumer.controller()).results == ()
        assert consumer.endpoints() == [] and consumer.invitation_statuses() == ["PENDING"]
    assert any(a.get("decision") == "ignore" for a in consumer.audit())


def test_unsharing_the_network_deletes_its_endpoint_after_the_grace(world, targets) -> None:
    aws, provider, consumer = world
    network = provider.service_network([provider.configuration("dbs")])
    share = provider.share(consumer.account, [network])
    policy = sn_policy(consumer, provider, [network])
    consumer.onboard(policy)
    aws.clock.advance(seconds=1)
    (ep,) = consumer.endpoints()
    assert reconcile(policy, consumer.controller()).probe.targets == 1

    provider.unshare(share, consumer.account)
    aws.clock.advance(seconds=30)
    waiting = reconcile(policy, consumer.controller())
    assert waiting.results == () and [g.endpoint_id for g in waiting.plan.awaiting_grace] == [
        ep["VpcEndpointId"]
    ]
    aws.clock.advance(minutes=policy.unshare_grace_minutes)
    cleaned = reconcile(policy, consumer.controller())
    assert [(r.action.kind.value, r.action.endpoint_id, r.outcome.value) for r in cleaned.results] == [
        ("delete-endpoint", ep["VpcEndpointId"], "done")
    ]
    aws.clock.advance(seconds=1)
    assert consumer.endpoints() == []
    assert reconcile(policy, consumer.controller()).probe.targets == 0
