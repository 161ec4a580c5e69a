"""The reconcile executor over in-memory fakes: ordering, idempotency, error isolation, probe, audit."""

from __future__ import annotations

import json
import threading
from dataclasses import replace

from consumer_fakes import (
    NOW,
    RCFG,
    TRUSTED,
    UNTRUSTED,
    VPC,
    FakeAccount,
    FakeAudit,
    FakeNotifier,
    FakeSchedules,
    client_error,
    config_arn,
    make_policy,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from linkpilot.consumer.memory import ControllerMemory
from linkpilot.consumer.models import ActionKind, Outcome
from linkpilot.consumer.ports import Controller, Ports, ReconcileOptions, RunClock
from linkpilot.consumer.reconcile import reconcile
from linkpilot.errors import Refused
from linkpilot.outcome import Retry


def outcomes(report):
    return [(r.action.kind.value, r.outcome.value) for r in report.results]


def test_trusted_invitation_is_accepted_and_gets_exactly_one_endpoint(policy, account, controller):
    account.invite(TRUSTED, 1)
    report = reconcile(policy, controller)
    assert outcomes(report) == [("accept-invitation", "done")]  # the endpoint waits for RAM
    assert report.metrics()["InvitationsAccepted"] == 1 and report.metrics()["EndpointsCreated"] == 0
    # RAM has not finished the accept yet: the share is not listed, the run reports it waiting
    report = reconcile(policy, controller)
    assert outcomes(report) == [] and account.endpoints == {}
    assert "waiting for the share to become visible" in report.to_json()["waiting"][0]["reason"]
    account.settle()
    report = reconcile(policy, controller)
    assert outcomes(report) == [("create-endpoint", "done")]
    assert len(account.endpoints) == 1
    (ep,) = account.endpoints.values()
    assert ep.tags["linkpilot:resource-configuration-arn"] == config_arn(TRUSTED, 1)
    assert not report.failed and report.metrics()["EndpointsCreated"] == 1


def test_second_run_is_a_no_op_with_three_reads(policy, account, controller):
    account.invite(TRUSTED, 1)
    reconcile(policy, controller)
    account.settle()
    reconcile(policy, controller)
    account.make_available()
    reconcile(policy, controller)  # publishes the probe target
    account.calls.clear()
    report = reconcile(policy, controller)
    assert report.results == ()
    # one describe gives managed endpoints (anywhere) and unmanaged ones in the policy VPC
    assert sorted(account.calls) == [
        "DescribeVpcEndpoints",
        "GetResourceShareInvitations",
        "ListResources",
    ]
    assert report.probe.status == "unchanged"


def test_concurrent_runs_converge_on_one_endpoint(policy, account):
    account.invite(TRUSTED, 1)
    reconcile(policy, Controller(Ports(ram=account, ec2=account), clock=RunClock(lambda: NOW)))
    account.settle()
    controllers = [Controller(Ports(ram=account, ec2=account), clock=RunClock(lambda: NOW)) for _ in range(3)]
    reports = []
    threads = [threading.Thread(target=lambda c=c: reports.append(reconcile(policy, c))) for c in controllers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(account.endpoints) == 1
    assert not any(r.failed for r in reports)


def test_accept_failure_is_retryable_and_creates_nothing(policy, account, controller):
    account.invite(TRUSTED, 1)
    account.faults["AcceptResourceShareInvitation"] = [client_error("ThrottlingException")]
    report = reconcile(policy, controller)
    assert outcomes(report) == [("accept-invitation", "failed")]
    assert isinstance(report.outcome, Retry) and report.failed
    assert account.endpoints == {}


def test_expired_while_accepting_is_recorded_not_failed(policy, account, controller):
    share = account.invite(TRUSTED, 1)
    real_accept = account.accept

    def expire_then_accept(arn, token):
        share.status = "EXPIRED"
        return real_accept(arn, token)

    account.accept = expire_then_accept
    report = reconcile(policy, controller)
    assert outcomes(report) == [("accept-invitation", "skipped")]
    assert "expired" in report.results[0].detail and not report.failed


def test_already_accepted_is_success(policy, account, controller):
    share = account.invite(TRUSTED, 1)
    real_accept = account.accept

    def someone_else_first(arn, token):
        share.status = "ACCEPTED"
        return real_accept(arn, token)

    account.accept = someone_else_first
    report = reconcile(policy, controller)
    assert outcomes(report) == [("accept-invitation", "already-done")]


def test_one_refused_create_does_not_block_the_others(policy, account, controller):
    for n in (1, 2, 3):
        account.org_share(TRUSTED, n)
    account.create_refusals[config_arn(TRUSTED, 2)] = Refused(
        "InvalidParameter", "no common Availability Zone", "availability-zone mismatch"
    )
    report = reconcile(policy, controller)
    by_config = {r.action.resource_configuration_arn: r for r in report.results}
    assert by_config[config_arn(TRUSTED, 2)].outcome is Outcome.FAILED
    assert "availability-zone mismatch" in by_config[config_arn(TRUSTED, 2)].detail
    # a refusal is not retried by the platform; the next schedule tries again
    assert not isinstance(report.outcome, Retry)
    assert len(account.endpoints) == 2
    assert report.metrics()["ReconcileErrors"] == 1
    assert controller.ports.notifier.messages[-1][1] == ["create", "error"]


def test_transient_create_error_is_retryable_and_others_still_done(policy, account, controller):
    for n in (1, 2):
        account.org_share(TRUSTED, n)
    account.faults["CreateVpcEndpoint"] = [client_error("RequestLimitExceeded")]
    report = reconcile(policy, controller)
    assert sorted(r.outcome.value for r in report.results) == ["done", "failed"]
    assert isinstance(report.outcome, Retry)


def test_read_failure_raises_and_changes_nothing(policy, account, controller):
    account.invite(TRUSTED, 1)
    account.faults["ListResources"] = [client_error("ThrottlingException")]
    try:
        reconcile(policy, controller)
    except Exception as exc:
        assert "ThrottlingException" in str(exc)
    else:
        raise AssertionError("expected the read failure to propagate")
    assert account.ops("Accept") == [] and account.endpoints == {}
    assert controller.ports.audit.records == []


def test_dry_run_changes_nothing(account, controller):
    policy = make_policy(unshare_grace_minutes=0)
    account.invite(TRUSTED, 1)
    account.add_endpoint(
        vpc_id=VPC, state="available", resource_configuration_arn="x", tags={"linkpilot:managed": "true"}
    )
    report = reconcile(policy, controller, dry_run=True)
    assert {r.outcome for r in report.results} == {Outcome.PLANNED}
    assert sorted(r.action.kind.value for r in report.results) == ["accept-invitation", "delete-endpoint"]
    writes = [c for c in account.calls if not c.startswith(("Get", "List", "Describe"))]
    assert writes == []
    assert controller.ports.audit.records == [] and controller.ports.notifier.messages == []
    assert controller.ports.schedules.writes == 0


def test_unshare_deletes_managed_endpoint_and_leaves_unmanaged_alone(account, controller):
    policy = make_policy(unshare_grace_minutes=0)
    share = account.org_share(TRUSTED, 1)
    reconcile(policy, controller)
    mine = account.add_endpoint(
        vpc_id=VPC, state="available", resource_configuration_arn=config_arn(TRUSTED, 1), tags={"team": "db"}
    )
    del account.shares[share.arn]
    report = reconcile(policy, controller)
    assert outcomes(report) == [("delete-endpoint", "done")]
    assert list(account.endpoints) == [mine.endpoint_id]


def test_probe_targets_published_once_and_updated_when_the_set_changes(policy, account, controller):
    account.org_share(TRUSTED, 1)
    reconcile(policy, controller)
    # pending endpoints are not targets: one schedule with an empty target list (the probe reports 0 failed)
    assert controller.ports.schedules.writes == 1
    assert json.loads(controller.ports.schedules.inputs[0])["targets"] == []
    account.make_available()
    report = reconcile(policy, controller)
    assert report.probe.status == "updated" and controller.ports.schedules.writes == 2
    payload = json.loads(controller.ports.schedules.inputs[0])
    (target,) = payload["targets"]
    assert set(target) == {"endpoint_id", "dns_name", "resource_configuration_arn", "address_family"}
    # the DNS name is the endpoint association's (a Resource endpoint has no DnsEntries)
    (ep,) = account.endpoints.values()
    assert target["dns_name"] == ep.associations[0].dns_name and ".vpc-lattice-rsc." in target["dns_name"]
    assert payload["defaults"]["port"] == 8080
    reads = controller.ports.schedules.reads
    assert reconcile(policy, controller).probe.status == "unchanged"
    assert controller.ports.schedules.reads == reads  # warm memory: no read at all
    # a cold process reads the digest once and still does not write
    cold = replace(controller, ports=replace(controller.ports, memory=ControllerMemory()))
    assert reconcile(policy, cold).probe.status == "unchanged"
    assert controller.ports.schedules.writes == 2
    account.org_share(TRUSTED, 2)
    reconcile(policy, controller)
    account.make_available()
    report = reconcile(policy, controller)
    assert report.probe.targets == 2 and controller.ports.schedules.writes == 3


def test_no_targets_keeps_one_schedule_with_an_empty_target_list(account, controller):
    """A stack with no available endpoint still has a probe run reporting 0 failed targets: the
    failing-targets alarm treats missing data as breaching, so deleting every schedule would hold it in
    ALARM."""
    policy = make_policy(unshare_grace_minutes=0)
    report = reconcile(policy, controller)  # nothing shared at all
    assert (report.probe.status, report.probe.targets, report.probe.shards) == ("updated", 0, 1)
    (empty,) = controller.ports.schedules.inputs
    assert json.loads(empty) == {"defaults": policy.probe.defaults.probe_input(), "targets": []}
    share = account.org_share(TRUSTED, 1)
    reconcile(policy, controller)
    account.make_available()
    reconcile(policy, controller)
    assert [len(json.loads(i)["targets"]) for i in controller.ports.schedules.inputs] == [1]
    del account.shares[share.arn]  # unshared: the managed endpoint goes, the last target with it
    report = reconcile(policy, controller)
    assert outcomes(report) == [("delete-endpoint", "done")]
    assert (report.probe.status, report.probe.targets, report.probe.shards) == ("updated", 0, 1)
    assert controller.ports.schedules.inputs == [empty]
    writes = controller.ports.schedules.writes
    cold = replace(controller, ports=replace(controller.ports, memory=ControllerMemory()))
    assert reconcile(policy, cold).probe.status == "unchanged"
    assert controller.ports.schedules.writes == writes


def test_probe_shards_when_the_input_would_be_too_big(policy, account):
    for n in range(40):
        account.org_share(TRUSTED, n)
    schedules = FakeSchedules()
    controller = Controller(
        Ports(ram=account, ec2=account, schedules=schedules),
        ReconcileOptions(probe_input_max_chars=2048),
        RunClock(lambda: NOW),
    )
    reconcile(policy, controller)
    account.make_available()
    report = reconcile(policy, controller)
    assert report.probe.shards == len(schedules.inputs) > 1
    assert all(len(s) <= 2048 for s in schedules.inputs)
    ids = [t["endpoint_id"] for s in schedules.inputs for t in json.loads(s)["targets"]]
    assert sorted(ids) == sorted(account.endpoints)


def test_probe_failure_is_reported_and_retried(policy, account, controller):
    account.org_share(TRUSTED, 1)
    reconcile(policy, controller)
    account.make_available()
    controller.ports.schedules.fail_with = client_error("ThrottlingException")
    report = reconcile(policy, controller)
    assert report.probe.status == "failed" and isinstance(report.outcome, Retry)


def test_audit_records_each_decision_and_action_and_standing_conditions_once(policy, account, controller):
    account.invite(TRUSTED, 1)
    account.invite(UNTRUSTED, 2)
    reconcile(policy, controller)
    records = controller.ports.audit.records
    kinds = sorted((r["record"], r.get("decision") or r.get("action")) for r in records)
    assert kinds == [("action", "accept-invitation"), ("decision", "accept"), ("decision", "ignore")]
    assert all(isinstance(r["expires_at"], int) and r["pk"] and r["sk"] for r in records)
    ignored = next(r for r in records if r.get("decision") == "ignore")
    assert ignored["sender_account_id"] == UNTRUSTED and "not in trusted_accounts" in ignored["reason"]
    count = len(records)
    reconcile(policy, controller)
    assert len(controller.ports.audit.records) == count  # the standing "ignore" is not written again


def test_audit_failure_is_a_retryable_side_error(policy, account, controller):
    account.org_share(TRUSTED, 1)
    controller.ports.audit.fail_with = client_error("ProvisionedThroughputExceededException")
    report = reconcile(policy, controller)
    assert isinstance(report.outcome, Retry) and any(e.startswith("audit:") for e in report.side_errors)
    assert len(account.endpoints) == 1


def test_notification_only_when_something_happened(policy, account, controller):
    reconcile(policy, controller)
    assert controller.ports.notifier.messages == []
    account.invite(TRUSTED, 1)
    reconcile(policy, controller)
    subject, kinds, message = controller.ports.notifier.messages[-1]
    assert kinds == ["accept"] and "1 accepted" in subject
    assert {a["action"] for a in message["actions"]} == {"accept-invitation"}
    account.settle()
    reconcile(policy, controller)
    subject, kinds, message = controller.ports.notifier.messages[-1]
    assert kinds == ["create"] and {a["action"] for a in message["actions"]} == {"create-endpoint"}


def test_report_json_is_serialisable(policy, account, controller):
    account.invite(TRUSTED, 1)
    account.invite(UNTRUSTED, 2)
    doc = reconcile(policy, controller).to_json()
    json.dumps(doc)
    assert doc["ok"] is True and len(doc["decisions"]) == 2 and len(doc["actions"]) == 1
    assert doc["waiting"][0]["resource_configuration_arn"] == config_arn(TRUSTED, 1)


SHARES = st.lists(
    st.tuples(st.sampled_from([TRUSTED, UNTRUSTED]), st.booleans(), st.sampled_from([RCFG, "ec2:Subnet"])),
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(shares=SHARES, reject=st.booleans())
def test_reconcile_converges_second_run_changes_nothing(shares, reject):
    policy = make_policy(untrusted_invitations="reject" if reject else "ignore")
    account = FakeAccount()
    for n, (owner, invited, typ) in enumerate(shares):
        resources = [(config_arn(owner, n), typ)]
        (account.invite if invited else account.org_share)(owner, n, resources)
    controller = Controller(
        Ports(
            ram=account, ec2=account, schedules=FakeSchedules(), audit=FakeAudit(), notifier=FakeNotifier()
        ),
        clock=RunClock(lambda: NOW),
    )
    reconcile(policy, controller)
    account.settle()  # RAM finishes the accepts
    reconcile(policy, controller)
    account.make_available()
    reconcile(policy, controller)
    again = reconcile(policy, controller)
    assert again.results == ()
    # exactly the acceptable configurations have an endpoint, one each
    expected = {
        config_arn(owner, n) for n, (owner, _, typ) in enumerate(shares) if owner == TRUSTED and typ == RCFG
    }
    got = [e.managed_configuration_arn for e in account.endpoints.values()]
    assert sorted(got) == sorted(expected)
    assert again.probe.targets == len(expected)
    assert all(a.kind is not ActionKind.ACCEPT_INVITATION for a in again.plan.actions)
