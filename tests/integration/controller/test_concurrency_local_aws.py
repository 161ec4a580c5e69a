"""Issue 13 against the local AWS: concurrent reconciles (one with delayed reads), an endpoint whose
managed tag was removed, and a configuration missing from the shares for less than the grace."""

from __future__ import annotations

import threading
import time

import pytest
from controller_world import Consumer, Provider

from linkpilot.aws.ec2_endpoints import Ec2Endpoints
from linkpilot.consumer.memory import ControllerMemory
from linkpilot.consumer.reconcile import reconcile
from linkpilot.errors import Refused

pytestmark = pytest.mark.integration


@pytest.fixture
def world(local_aws):
    return local_aws, Provider.create(local_aws), Consumer.create(local_aws)


def outcomes(report) -> list[tuple[str, str]]:
    return [(r.action.kind.value, r.outcome.value) for r in report.results]


def test_three_concurrent_reconciles_one_with_delayed_reads_delete_nothing(world):
    """The first run's invitation and endpoint reads hang 1.5 s (the local AWS's ``hang`` fault) while two
    more runs start. Without the lease, the slow run saw the invitation already ACCEPTED, no shared
    configuration (its ListResources answered before the accept) and the new endpoints, and deleted them."""
    aws, provider, consumer = world
    configs = [provider.configuration("alpha"), provider.configuration("beta")]
    provider.share(consumer.account, configs)
    policy = consumer.policy([provider.account], unshare_grace_minutes=0)  # no grace to hide behind
    # RAM accepts asynchronously: one run accepts, and the configurations are listed a little later
    assert outcomes(reconcile(policy, consumer.controller(), trigger="test")) == [
        ("accept-invitation", "done")
    ]
    aws.clock.advance(seconds=30)
    aws.faults.configure(
        seed=1,
        rules=[
            {
                "kind": "hang",
                "service": service,
                "operations": [op],
                "account": consumer.account,
                "hang_seconds": 1.5,
                "max_hits": 1,
            }
            for service, op in (("ram", "GetResourceShareInvitations"), ("ec2", "DescribeVpcEndpoints"))
        ],
    )
    reports, errors = [], []

    def run() -> None:
        try:
            reports.append(reconcile(policy, consumer.controller(), trigger="test"))
        except Exception as exc:
            errors.append(exc)

    slow = threading.Thread(target=run)
    slow.start()
    time.sleep(0.3)  # the slow run has started its reads
    fast = [threading.Thread(target=run) for _ in range(2)]
    for t in fast:
        t.start()
    for t in [slow, *fast]:
        t.join(timeout=60)
    aws.faults.clear()

    assert errors == [] and len(reports) == 3
    done = [(k, o) for r in reports for k, o in outcomes(r) if o == "done"]
    assert sorted(done) == [("create-endpoint", "done"), ("create-endpoint", "done")]
    assert not [k for r in reports for k, _ in outcomes(r) if k == "delete-endpoint"]
    live = consumer.endpoints(managed_only=True)
    assert sorted(e["ResourceConfigurationArn"] for e in live) == sorted(configs)
    # the waiting runs acted on fresh reads: a later run has nothing to do
    assert reconcile(policy, consumer.controller()).results == ()


def test_an_endpoint_whose_managed_tag_was_removed_is_reported_never_counted_as_created(world):
    aws, provider, consumer = world
    cfg = provider.configuration("hello")
    provider.share(consumer.account, [cfg])
    policy = consumer.policy([provider.account])
    first = consumer.onboard(policy)
    (endpoint_id,) = [r.endpoint_id for r in first.results if r.action.kind.value == "create-endpoint"]
    ec2 = consumer.session.client("ec2")
    ec2.delete_tags(Resources=[endpoint_id], Tags=[{"Key": "linkpilot:managed"}])
    aws.clock.advance(seconds=1)

    for _ in range(2):  # converged: the same answer every run, nothing created, the condition alarmed
        report = reconcile(policy, consumer.controller())
        assert report.results == ()
        assert [(u.endpoint_id, u.resource_configuration_arn) for u in report.plan.unmanaged] == [
            (endpoint_id, cfg)
        ]
        assert report.metrics()["EndpointsCreated"] == 0 and report.metrics()["UnmanagedEndpoints"] == 1
    assert [e["VpcEndpointId"] for e in consumer.endpoints()] == [endpoint_id]
    assert any(a["record"] == "unmanaged-endpoint" for a in consumer.audit())

    # the ClientToken hands the untagged endpoint back: the adapter refuses to call it created
    create = first.results[-1].action
    with pytest.raises(Refused) as refused:
        Ec2Endpoints(ec2).create(policy.endpoint, cfg, create.share_arn, create.client_token)
    assert refused.value.code == "UnmanagedEndpoint"

    # the operator tags it back: it is the configuration's managed endpoint again
    ec2.create_tags(Resources=[endpoint_id], Tags=[{"Key": "linkpilot:managed", "Value": "true"}])
    report = reconcile(policy, consumer.controller())
    assert report.results == () and report.plan.unmanaged == ()


def test_a_configuration_missing_from_the_shares_keeps_its_endpoint_until_the_grace_has_passed(world):
    aws, provider, consumer = world
    cfg = provider.configuration("hello")
    share = provider.share(consumer.account, [cfg])
    policy = consumer.policy([provider.account], unshare_grace_minutes=15)
    consumer.onboard(policy)
    (endpoint,) = consumer.endpoints(managed_only=True)
    aws.clock.advance(seconds=2)

    provider.unshare(share, consumer.account)
    missing = reconcile(policy, consumer.controller())
    assert missing.results == ()
    (waiting,) = missing.plan.awaiting_grace
    assert waiting.endpoint_id == endpoint["VpcEndpointId"]

    aws.clock.advance(minutes=10)
    # a cold start (new process, empty memory) still knows since when: the mark is in the state table
    consumer.memory = ControllerMemory()
    still = reconcile(policy, consumer.controller())
    assert still.results == () and still.plan.awaiting_grace[0].missing_since == waiting.missing_since

    aws.clock.advance(minutes=5)
    gone = reconcile(policy, consumer.controller())
    assert outcomes(gone) == [("delete-endpoint", "done")]


def test_a_configuration_back_within_the_grace_keeps_the_same_endpoint(world):
    aws, provider, consumer = world
    cfg = provider.configuration("hello")
    share = provider.share(consumer.account, [cfg], name="first")
    policy = consumer.policy([provider.account])
    consumer.onboard(policy)
    (endpoint,) = consumer.endpoints(managed_only=True)
    aws.clock.advance(seconds=2)

    provider.unshare(share, consumer.account)
    assert reconcile(policy, consumer.controller()).plan.awaiting_grace
    aws.clock.advance(minutes=5)
    provider.share(consumer.account, [cfg], name="again")
    back = reconcile(policy, consumer.controller())
    assert [k for k, _ in outcomes(back)] == ["accept-invitation"]
    aws.clock.advance(seconds=30)  # RAM lists the configuration again: the endpoint stays, the mark goes
    settled = reconcile(policy, consumer.controller())
    assert settled.results == ()
    assert settled.plan.awaiting_grace == () and settled.plan.missing_since == {}
    aws.clock.advance(minutes=30)
    assert reconcile(policy, consumer.controller()).results == ()
    assert [e["VpcEndpointId"] for e in consumer.endpoints(managed_only=True)] == [endpoint["VpcEndpointId"]]
