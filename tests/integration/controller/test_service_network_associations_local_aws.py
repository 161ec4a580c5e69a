"""Issue 15 D, association mode, against the local AWS: an allowed shared service network gets ONE managed
service-network VPC association of the policy's VPC (one network per VPC: of several allowed, one is taken
and the others refused), none when the policy does not allow it; unsharing removes it after the grace; a
mode change removes what the other mode made; an association not ours blocks and is reported; uninstall
removes ours."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from typing import Any

import pytest
from controller_world import Consumer, Provider

from linkpilot.consumer.reconcile import reconcile
from linkpilot.consumer.uninstall import cleanup_under_lease
from linkpilot_cli.commands.status import collect_status

pytestmark = pytest.mark.integration
SN_TAG = "linkpilot:service-network-arn"


def kinds(report: Any) -> list[tuple[str, str, str]]:
    return [
        (r.action.kind.value, r.action.resource_configuration_arn, r.outcome.value) for r in report.results
    ]


def associations(consumer: Consumer, vpc_id: str | None = None) -> list[dict[str, Any]]:
    """The VPC's associations (not being deleted), with their tags."""
    lattice = consumer.session.client("vpc-lattice")
    items = lattice.list_service_network_vpc_associations(vpcIdentifier=vpc_id or consumer.vpc_id)["items"]
    return [
        {**a, "tags": lattice.list_tags_for_resource(resourceArn=a["arn"])["tags"]}
        for a in items
        if a["status"] != "DELETE_IN_PROGRESS"
    ]


def directory(consumer: Consumer) -> list[str]:
    """The endpoint directory's parameter names."""
    ssm = consumer.session.client("ssm")
    found = ssm.get_parameters_by_path(Path="/linkpilot/endpoints/", Recursive=True)["Parameters"]
    return sorted(p["Name"] for p in found)


@pytest.fixture
def world(local_aws: Any) -> tuple[Any, Provider, Consumer]:
    consumer = Consumer.create(local_aws)
    consumer.settings = replace(consumer.settings, service_network_associations="true")
    return local_aws, Provider.create(local_aws), consumer


def assoc_policy(consumer: Consumer, provider: Provider, allowed: list[str], **more: Any) -> Any:
    networks = {"allowed_arns": allowed, "mode": "association"}
    return consumer.policy([provider.account], service_networks=networks, **more)


def associated(aws: Any, provider: Provider, consumer: Consumer) -> tuple[Any, str, dict[str, Any]]:
    """A network of one configuration shared and taken in association mode, settled: (policy, the
    share's ARN, the association as listed)."""
    network = provider.service_network([provider.configuration("dbs")])
    share = provider.share(consumer.account, [network])
    policy = assoc_policy(consumer, provider, [network])
    consumer.onboard(policy)
    aws.clock.advance(seconds=1)
    (assoc,) = associations(consumer)
    return policy, share, assoc


def test_an_allowed_network_gets_one_managed_association_of_the_policy_vpc(world) -> None:
    aws, provider, consumer = world
    network = provider.service_network([provider.configuration("dbs")])
    share = provider.share(consumer.account, [network], name="net-share")
    policy = assoc_policy(consumer, provider, [f"arn:aws:vpc-lattice:*:{provider.account}:servicenetwork/*"])

    accepted = reconcile(policy, consumer.controller(), trigger="aws.ram")
    assert [k for k, _arn, _o in kinds(accepted)] == ["accept-invitation"]
    aws.clock.advance(seconds=30)  # RAM completes the accept
    created = reconcile(policy, consumer.controller())
    assert kinds(created) == [("create-association", network, "done")]
    (assoc,) = associations(consumer)
    assert assoc["serviceNetworkArn"] == network and assoc["vpcId"] == consumer.vpc_id
    assert assoc["tags"] == {
        "linkpilot:managed": "true",
        SN_TAG: network,
        "linkpilot:resource-share-arn": share,
    }
    assert consumer.endpoints() == []  # no ServiceNetwork endpoint in this mode

    aws.clock.advance(seconds=1)  # CREATE_IN_PROGRESS -> ACTIVE
    converged = reconcile(policy, consumer.controller())
    assert converged.results == () and converged.probe.targets == 0
    (unprobed,) = converged.plan.unprobed
    assert unprobed.endpoint_id == assoc["id"] and "UNVERIFIED" in unprobed.reason
    assert converged.to_json()["metrics"]["AssociationsCreated"] == 0
    # linkpilot status lists it (with a policy that takes service networks)
    status = collect_status(consumer.session, policy, probe_log_group="").to_json()
    (row,) = status["endpoints"]
    assert (row["endpoint_id"], row["state"]) == (assoc["id"], "available")
    assert row["resource_configuration_arn"] == network
    audited = [a for a in consumer.audit() if a.get("action") == "create-association"]
    assert [a.get("resource_configuration_arn") for a in audited] == [network]


def test_of_two_allowed_networks_one_is_taken_and_the_other_refused(world) -> None:
    aws, provider, consumer = world
    first = provider.service_network([provider.configuration("alpha")], name="net-a")
    second = provider.service_network([provider.configuration("bravo")], name="net-b")
    provider.share(consumer.account, [first, second])
    policy = assoc_policy(consumer, provider, [first, second])
    consumer.onboard(policy)
    aws.clock.advance(seconds=1)
    (assoc,) = associations(consumer)
    assert assoc["serviceNetworkArn"] == min(first, second)
    report = reconcile(policy, consumer.controller())
    assert report.results == ()
    ((refused, _share, why),) = report.plan.refused_resources
    assert refused == max(first, second) and "one service network only" in why


def test_a_network_the_policy_does_not_allow_gets_no_association(world) -> None:
    _aws, provider, consumer = world
    network = provider.service_network([provider.configuration("dbs")])
    provider.share(consumer.account, [network])
    policy = assoc_policy(consumer, provider, ["arn:aws:vpc-lattice:*:*:servicenetwork/sn-0000000000000000x"])
    assert kinds(consumer.onboard(policy)) == []
    assert associations(consumer) == [] and consumer.invitation_statuses() == ["PENDING"]


def test_unsharing_the_network_removes_its_association_after_the_grace(world) -> None:
    aws, provider, consumer = world
    policy, share, assoc = associated(aws, provider, consumer)

    assert reconcile(policy, consumer.controller()).results == ()
    assert [p.split("/")[3] for p in directory(consumer)] == [assoc["id"]]  # its state is published

    provider.unshare(share, consumer.account)
    aws.clock.advance(seconds=30)
    waiting = reconcile(policy, consumer.controller())
    assert waiting.results == () and [g.endpoint_id for g in waiting.plan.awaiting_grace] == [assoc["id"]]
    aws.clock.advance(minutes=policy.unshare_grace_minutes)
    cleaned = reconcile(policy, consumer.controller())
    assert [(r.action.kind.value, r.action.endpoint_id, r.outcome.value) for r in cleaned.results] == [
        ("delete-association", assoc["id"], "done")
    ]
    assert directory(consumer) == []  # removed by the run that deleted it
    aws.clock.advance(seconds=1)
    assert associations(consumer) == []
    assert reconcile(policy, consumer.controller()).results == ()


def test_a_mode_change_removes_what_the_other_mode_made(world) -> None:
    aws, provider, consumer = world
    network = provider.service_network([provider.configuration("dbs")])
    provider.share(consumer.account, [network])
    as_endpoint = consumer.policy([provider.account], service_networks={"allowed_arns": [network]})
    consumer.onboard(as_endpoint)
    aws.clock.advance(seconds=1)
    (endpoint,) = consumer.endpoints()

    as_association = assoc_policy(consumer, provider, [network])
    switched = reconcile(as_association, consumer.controller())
    assert kinds(switched) == [("create-association", network, "done"), ("delete-endpoint", network, "done")]
    assert switched.results[1].action.endpoint_id == endpoint["VpcEndpointId"]
    aws.clock.advance(seconds=1)
    assert consumer.endpoints() == [] and len(associations(consumer)) == 1

    back = reconcile(as_endpoint, consumer.controller())
    assert kinds(back) == [("create-endpoint", network, "done"), ("delete-association", network, "done")]
    aws.clock.advance(seconds=1)
    assert associations(consumer) == [] and len(consumer.endpoints()) == 1


def test_an_association_not_ours_blocks_the_vpc_and_is_reported(world) -> None:
    aws, provider, consumer = world
    network = provider.service_network([provider.configuration("dbs")])
    other = provider.service_network([provider.configuration("other")], name="net-other")
    provider.share(consumer.account, [network, other])
    policy = assoc_policy(consumer, provider, [network, other])
    reconcile(policy, consumer.controller(), trigger="aws.ram")  # accepts
    aws.clock.advance(seconds=30)
    # someone associates the VPC by hand, untagged, before the controller makes its own
    lattice = consumer.session.client("vpc-lattice")
    theirs = lattice.create_service_network_vpc_association(
        serviceNetworkIdentifier=other, vpcIdentifier=consumer.vpc_id
    )
    aws.clock.advance(seconds=1)
    report = reconcile(policy, consumer.controller())
    assert report.results == ()
    (unmanaged,) = report.plan.unmanaged
    assert unmanaged.endpoint_id == theirs["id"] and other in unmanaged.reason
    assert report.to_json()["metrics"]["UnmanagedEndpoints"] == 1
    assert [a["id"] for a in associations(consumer)] == [theirs["id"]]  # never touched


def test_without_vpc_lattice_access_association_mode_is_refused_and_nothing_read(world) -> None:
    aws, provider, consumer = world
    consumer.settings = replace(consumer.settings, service_network_associations="false")
    network = provider.service_network([provider.configuration("dbs")])
    provider.share(consumer.account, [network])
    policy = assoc_policy(consumer, provider, [network])
    before = len(aws.call_log)
    report = consumer.onboard(policy)
    lattice_calls = [c for c in aws.call_log[before:] if c[1] == "vpc-lattice" and c[0] == consumer.account]
    assert lattice_calls == [] and report.results == () and associations(consumer) == []
    ((_arn, _share, why),) = report.plan.refused_resources
    assert "VPC Lattice access" in why


def test_uninstall_removes_the_managed_association(world) -> None:
    aws, provider, consumer = world
    _policy, _share, assoc = associated(aws, provider, consumer)
    ctl = consumer.controller()

    def cleanup(dry_run: bool) -> Any:
        return cleanup_under_lease(
            ctl.ports.ec2,
            ctl.ports.lease,
            dry_run=dry_run,
            hold=False,
            shared=ctl.clock.shared_time,
            sleep=ctl.clock.sleep,
            associations=ctl.ports.associations,
        )

    listed = cleanup(dry_run=True)
    assert [(e.endpoint_id, e.kind) for e in listed.endpoints] == [(assoc["id"], "association")]
    report = cleanup(dry_run=False)
    assert report.ok and report.deleted == (assoc["id"],)
    aws.clock.advance(seconds=1)
    assert associations(consumer) == []


def _concurrently(runs: int, run: Any, slow_first: float = 0.0) -> None:
    threads = [threading.Thread(target=run) for _ in range(runs)]
    threads[0].start()
    time.sleep(slow_first)
    for t in threads[1:]:
        t.start()
    for t in threads:
        t.join(timeout=60)


def test_three_concurrent_reconciles_one_with_delayed_reads_make_one_association(world) -> None:
    """Under the run lease: the first run's association read hangs 1.5 s while two more start; one
    association is made, nothing is deleted, and a later run has nothing to do."""
    aws, provider, consumer = world
    network = provider.service_network([provider.configuration("dbs")])
    provider.share(consumer.account, [network])
    policy = assoc_policy(consumer, provider, [network], unshare_grace_minutes=0)
    reconcile(policy, consumer.controller(), trigger="test")  # accepts
    aws.clock.advance(seconds=30)
    aws.faults.configure(
        seed=1,
        rules=[
            {
                "kind": "hang",
                "service": "vpc-lattice",
                "operations": ["ListServiceNetworkVpcAssociations"],
                "account": consumer.account,
                "hang_seconds": 1.5,
                "max_hits": 1,
            }
        ],
    )
    reports: list[Any] = []
    errors: list[Exception] = []

    def run() -> None:
        try:
            reports.append(reconcile(policy, consumer.controller(), trigger="test"))
        except Exception as exc:
            errors.append(exc)

    _concurrently(3, run, slow_first=0.3)
    aws.faults.clear()
    assert errors == [] and len(reports) == 3
    done = [(r.action.kind.value, r.outcome.value) for rep in reports for r in rep.results]
    assert done == [("create-association", "done")], done
    assert len(associations(consumer)) == 1
    aws.clock.advance(seconds=1)
    assert reconcile(policy, consumer.controller()).results == ()


def test_concurrent_runs_without_a_lease_make_one_association_by_its_client_token(local_aws) -> None:
    """The CLI without a state table: runs are not serialised; the deterministic client token makes every
    create the same association (VPC Lattice's create is idempotent by clientToken: botocore model)."""
    provider = Provider.create(local_aws)
    consumer = Consumer.create(local_aws, with_side_effects=False)
    consumer.settings = replace(consumer.settings, service_network_associations="true")
    network = provider.service_network([provider.configuration("dbs")])
    provider.share(consumer.account, [network])
    policy = assoc_policy(consumer, provider, [network])
    reconcile(policy, consumer.controller(), trigger="test")  # accepts
    local_aws.clock.advance(seconds=30)
    reports: list[Any] = []

    def run() -> None:
        reports.append(reconcile(policy, consumer.controller(), trigger="test"))

    _concurrently(3, run)
    created = {r.endpoint_id for rep in reports for r in rep.results if r.outcome.value == "done"}
    (assoc,) = associations(consumer)
    assert created == {assoc["id"]}
    assert not [r for rep in reports for r in rep.results if r.outcome.value == "failed"]


def test_linkpilot_cleanup_removes_associations_only_with_the_flag(world, monkeypatch, capsys) -> None:
    """``linkpilot cleanup`` (the operator's credentials) lists and deletes managed endpoints only; with
    ``--associations`` (or LINKPILOT_SERVICE_NETWORK_ASSOCIATIONS=true) the managed associations too."""
    from linkpilot_cli import main as cli

    aws, provider, consumer = world
    _policy, _share, assoc = associated(aws, provider, consumer)
    # no state table: no lease to take (the local AWS's simulated clock runs ahead of the CLI's real one,
    # which would make the CLI wait for the lease the simulated-time runs gave back)
    consumer.use_credentials(monkeypatch, lease=False)
    monkeypatch.delenv("LINKPILOT_SERVICE_NETWORK_ASSOCIATIONS", raising=False)

    assert cli.main(["cleanup", "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["managed_endpoints"] == []  # without the flag: not read
    assert cli.main(["cleanup", "--dry-run", "--associations"]) == 0
    listed = json.loads(capsys.readouterr().out)["managed_endpoints"]
    assert [(e["endpoint_id"], e["kind"]) for e in listed] == [(assoc["id"], "association")]
    assert cli.main(["cleanup", "--associations", "--yes"]) == 0
    assert json.loads(capsys.readouterr().out)["deleted"] == [assoc["id"]]
    aws.clock.advance(seconds=1)
    assert associations(consumer) == []
