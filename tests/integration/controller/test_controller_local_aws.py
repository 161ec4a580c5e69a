"""Issue 4 Done-when, against the local AWS: the real adapters, the real reconcile, the handler's flow."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from aws_lambda_powertools import Logger, Metrics
from controller_world import Consumer, Provider

from linkpilot.consumer.reconcile import reconcile
from linkpilot.outcome import RetryLater
from linkpilot.probe import probe_event
from linkpilot.probe.emf import emf_records
from linkpilot.runtime.controller import handle_event
from linkpilot_cli import main as cli

pytestmark = pytest.mark.integration
EVENTS = Path(__file__).resolve().parents[3] / "events"


def actions(report) -> list[tuple[str, str]]:
    return [(r.action.kind.value, r.outcome.value) for r in report.results]


@pytest.fixture
def world(local_aws):
    provider = Provider.create(local_aws)
    consumer = Consumer.create(local_aws)
    return local_aws, provider, consumer


def test_trusted_invitation_gives_one_endpoint_probe_target_audit_and_notification(world):
    aws, provider, consumer = world
    cfg = provider.configuration("hello")
    share = provider.share(consumer.account, [cfg])
    policy = consumer.policy([provider.account])

    report = reconcile(policy, consumer.controller(), trigger="test")
    assert actions(report) == [("accept-invitation", "done")]  # no endpoint in the accepting run
    assert consumer.invitation_statuses() == ["ACCEPTED"] and consumer.endpoints() == []
    aws.clock.advance(seconds=30)  # RAM completes the accept
    report = reconcile(policy, consumer.controller(), trigger="test")
    assert actions(report) == [("create-endpoint", "done")]
    (ep,) = consumer.endpoints()
    tags = {t["Key"]: t["Value"] for t in ep["Tags"]}
    assert tags == {
        "linkpilot:managed": "true",
        "linkpilot:resource-configuration-arn": cfg,
        "linkpilot:resource-share-arn": share,
    }
    assert ep["VpcId"] == consumer.vpc_id and ep["VpcEndpointType"] == "Resource"

    aws.clock.advance(seconds=1)  # pending -> available
    report = reconcile(policy, consumer.controller())
    assert report.results == () and report.probe.status == "updated"
    (schedule,) = consumer.schedules()
    payload = json.loads(schedule["Target"]["Input"])
    (row,) = consumer.associations(ep["VpcEndpointId"])
    assert payload["targets"] == [
        {
            "endpoint_id": ep["VpcEndpointId"],
            "dns_name": row["DnsEntry"]["DnsName"],
            "resource_configuration_arn": cfg,
            "address_family": ep["IpAddressType"].lower(),  # the endpoint's type: the probe follows it
        }
    ]
    assert schedule["ScheduleExpression"] == "rate(1 minute)"

    audit = consumer.audit()
    assert {(a["record"], a.get("action") or a.get("decision")) for a in audit} == {
        ("decision", "accept"),
        ("action", "accept-invitation"),
        ("action", "create-endpoint"),
    }
    assert all(int(a["expires_at"]) > 0 for a in audit)
    calls_before = len(aws.call_log)
    again = reconcile(policy, consumer.controller())
    assert again.results == () and again.probe.status == "unchanged"
    made = [op for acct, _svc, op in aws.call_log[calls_before:] if acct == consumer.account]
    # the lease (read first: its answer's Date is the time the runs share; then taken and given back: two
    # PutItem), the grace marks (GetItem), one endpoint read (the managed endpoints and the unmanaged ones
    # in the policy VPC) and their association rows, RAM
    assert sorted(made) == [
        "DescribeVpcEndpointAssociations",
        "DescribeVpcEndpoints",
        "GetItem",
        "GetItem",
        "GetResourceShareInvitations",
        "ListResources",
        "PutItem",
        "PutItem",
    ]


def test_untrusted_sender_is_ignored_or_rejected_and_gets_nothing(world):
    aws, provider, consumer = world
    provider.share(consumer.account, [provider.configuration("hello")])
    report = reconcile(consumer.policy([]), consumer.controller())
    assert report.results == ()
    assert report.metrics()["UntrustedInvitationsPending"] == 1
    assert consumer.invitation_statuses() == ["PENDING"] and consumer.endpoints() == []
    pending_reads = [op for acct, _s, op in aws.call_log if op == "ListPendingInvitationResources"]
    assert pending_reads == []  # an untrusted sender's share is not even inspected

    report = reconcile(consumer.policy([], untrusted_invitations="reject"), consumer.controller())
    assert actions(report) == [("reject-invitation", "done")]
    assert consumer.invitation_statuses() == ["REJECTED"] and consumer.endpoints() == []


def test_trusted_sender_sharing_a_disallowed_resource_is_not_accepted(world):
    _aws, provider, consumer = world
    good, bad = provider.configuration("good"), provider.configuration("bad")
    provider.share(consumer.account, [good, bad])
    policy = consumer.policy([provider.account], allowed_resource_configuration_arns=[good])
    report = reconcile(policy, consumer.controller())
    assert report.results == ()
    (decision,) = report.plan.decisions
    assert decision.verdict.value == "ignore" and bad in decision.reason
    assert consumer.invitation_statuses() == ["PENDING"] and consumer.endpoints() == []


def test_organization_share_without_invitation_gets_an_endpoint_only_if_trusted(world):
    aws, provider, consumer = world
    aws.set_organization_sharing([provider.account, consumer.account], enabled=True)
    cfg = provider.configuration("org")
    provider.share(consumer.account, [cfg])
    assert consumer.invitation_statuses() == []

    untrusting = reconcile(consumer.policy([]), consumer.controller())
    assert untrusting.results == () and untrusting.plan.refused_resources[0][0] == cfg
    assert consumer.endpoints() == []

    report = reconcile(consumer.policy([provider.account]), consumer.controller())
    assert actions(report) == [("create-endpoint", "done")]
    assert len(consumer.endpoints()) == 1


def test_same_event_three_times_concurrently_gives_one_endpoint(world):
    _aws, provider, consumer = world
    provider.share(consumer.account, [provider.configuration("hello")])
    event = json.loads((EVENTS / "ram-resource-share-invitation.json").read_text())
    policy_text = json.dumps(consumer.policy_doc([provider.account]))
    results, errors = [], []

    def deliver() -> None:
        try:
            results.append(
                handle_event(
                    event,
                    policy_parameter="/linkpilot/policy",
                    load_policy=lambda _force: policy_text,
                    controller=consumer.controller,  # each delivery: its own clients, as separate Lambdas
                    logger=Logger(service="test"),
                    metrics=Metrics(namespace="Linkpilot"),
                )
            )
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [r["status"] for r in results] == ["ok", "ok", "ok"]
    assert consumer.invitation_statuses() == ["ACCEPTED"]
    # RAM completes the accept; the same event delivered three times again gives one endpoint
    _aws.clock.advance(seconds=30)
    results.clear()
    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and [r["status"] for r in results] == ["ok", "ok", "ok"]
    assert len(consumer.endpoints()) == 1


def test_unshare_deletes_managed_endpoint_and_never_touches_unmanaged_ones(world):
    aws, provider, consumer = world
    cfg = provider.configuration("hello")
    share = provider.share(consumer.account, [cfg])
    policy = consumer.policy([provider.account])
    reconcile(policy, consumer.controller())
    aws.clock.advance(seconds=30)
    reconcile(policy, consumer.controller())
    ec2 = consumer.session.client("ec2")
    mine = ec2.create_vpc_endpoint(
        VpcEndpointType="Resource",
        VpcId=consumer.vpc_id,
        SubnetIds=consumer.subnet_ids,
        ResourceConfigurationArn=cfg,
        ClientToken="made-by-a-person",
        TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": [{"Key": "team", "Value": "db"}]}],
    )["VpcEndpoint"]["VpcEndpointId"]
    aws.clock.advance(seconds=1)

    orphaned = reconcile(
        consumer.policy([provider.account], delete_endpoints_on_unshare=False), consumer.controller()
    )
    assert orphaned.results == ()
    provider.unshare(share, consumer.account)
    kept = reconcile(
        consumer.policy([provider.account], delete_endpoints_on_unshare=False), consumer.controller()
    )
    assert kept.results == () and len(kept.plan.orphaned) == 1

    waiting = reconcile(policy, consumer.controller())  # missing once: kept for the policy's grace
    assert waiting.results == () and len(waiting.plan.awaiting_grace) == 1
    aws.clock.advance(minutes=15)
    report = reconcile(policy, consumer.controller())
    assert actions(report) == [("delete-endpoint", "done")]
    aws.clock.advance(seconds=1)
    assert [e["VpcEndpointId"] for e in consumer.endpoints()] == [mine]


def test_no_available_endpoint_leaves_one_schedule_probing_nothing(world):
    """Before the first endpoint and after the last one goes, one schedule stays with ``targets: []``: the
    probe then runs and reports ProbeTargetsFailed = 0, which keeps the failing-targets alarm (missing data
    = breaching) out of ALARM on a stack with no endpoints."""
    aws, provider, consumer = world
    policy = consumer.policy([provider.account])
    assert reconcile(policy, consumer.controller()).probe.status == "updated"  # nothing shared yet
    (schedule,) = consumer.schedules()
    assert json.loads(schedule["Target"]["Input"])["targets"] == []
    (aggregate,) = emf_records(probe_event(json.loads(schedule["Target"]["Input"])))
    assert aggregate["ProbeTargetsFailed"] == [0]

    cfg = provider.configuration("hello")
    share = provider.share(consumer.account, [cfg])
    reconcile(policy, consumer.controller())  # accepts
    aws.clock.advance(seconds=30)  # the share becomes visible
    reconcile(policy, consumer.controller())  # creates
    aws.clock.advance(seconds=1)  # pending -> available: the endpoint becomes the one target
    reconcile(policy, consumer.controller())
    (schedule,) = consumer.schedules()
    targets = json.loads(schedule["Target"]["Input"])["targets"]
    assert [t["resource_configuration_arn"] for t in targets] == [cfg]

    provider.unshare(share, consumer.account)
    # within the grace the endpoint stays; its association row is no longer Accessible (the configuration is
    # not shared), so it is no probe target: nothing answers through it
    assert reconcile(policy, consumer.controller()).results == ()
    aws.clock.advance(minutes=15)
    report = reconcile(policy, consumer.controller())
    assert actions(report) == [("delete-endpoint", "done")]
    assert (report.probe.targets, report.probe.shards) == (0, 1)
    (schedule,) = consumer.schedules()
    assert schedule["State"] == "ENABLED"
    assert json.loads(schedule["Target"]["Input"])["targets"] == []


def test_expired_invitation_is_recorded_and_not_accepted(world):
    aws, provider, consumer = world
    provider.share(consumer.account, [provider.configuration("hello")])
    aws.clock.advance(hours=13)
    report = reconcile(consumer.policy([provider.account]), consumer.controller())
    assert report.results == ()
    assert [d.verdict.value for d in report.plan.decisions] == ["expired"]
    assert [a["decision"] for a in consumer.audit() if a["record"] == "decision"] == ["expired"]
    assert consumer.endpoints() == []


def test_throttling_exhausting_retries_raises_for_a_retry_and_the_retry_converges(world, monkeypatch):
    aws, provider, consumer = world
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    provider.share(consumer.account, [provider.configuration("cfg-a")])
    provider.configuration("cfg-b")
    aws.faults.configure(
        rules=[{"kind": "throttle", "service": "ram", "operation": "AcceptResourceShareInvitation"}]
    )
    policy_text = json.dumps(consumer.policy_doc([provider.account]))
    kwargs = {
        "policy_parameter": "/linkpilot/policy",
        "load_policy": lambda _force: policy_text,
        "controller": consumer.controller,
        "logger": Logger(service="test"),
        "metrics": Metrics(namespace="Linkpilot"),
    }
    event = json.loads((EVENTS / "controller-schedule.json").read_text())
    with pytest.raises(RetryLater, match="ThrottlingException"):
        handle_event(event, **kwargs)
    assert consumer.endpoints() == [] and consumer.invitation_statuses() == ["PENDING"]
    aws.faults.clear()
    assert handle_event(event, **kwargs)["status"] == "ok"  # the retry accepts
    aws.clock.advance(seconds=30)

    aws.faults.configure(
        rules=[{"kind": "throttle", "service": "ec2", "operation": "CreateVpcEndpoint", "max_hits": 1}]
    )
    assert handle_event(event, **kwargs)["status"] == "ok"  # botocore's own retry absorbs one throttle
    assert len(consumer.endpoints()) == 1
    aws.faults.clear()


def test_throttled_reads_raise_and_change_nothing(world):
    aws, provider, consumer = world
    provider.share(consumer.account, [provider.configuration("cfg-a")])
    aws.faults.configure(rules=[{"kind": "throttle", "service": "ec2", "operation": "DescribeVpcEndpoints"}])
    with pytest.raises(Exception, match="RequestLimitExceeded"):
        reconcile(consumer.policy([provider.account]), consumer.controller())
    aws.faults.clear()
    assert consumer.invitation_statuses() == ["PENDING"]


def test_cli_reconcile_dry_run_then_real_run(world, tmp_path, monkeypatch, capsys):
    _aws, provider, consumer = world
    provider.share(consumer.account, [provider.configuration("hello")])
    creds = consumer.session.get_credentials().get_frozen_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds.token)
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps(consumer.policy_doc([provider.account])))

    assert cli.main(["reconcile", "--policy", str(policy_file), "--dry-run"]) == 0
    planned = json.loads(capsys.readouterr().out)
    assert [a["outcome"] for a in planned["actions"]] == ["planned"]
    assert consumer.invitation_statuses() == ["PENDING"]

    assert cli.main(["reconcile", "--policy", str(policy_file)]) == 0
    done = json.loads(capsys.readouterr().out)
    assert [(a["action"], a["outcome"]) for a in done["actions"]] == [("accept-invitation", "done")]
    _aws.clock.advance(seconds=30)
    assert cli.main(["reconcile", "--policy", str(policy_file)]) == 0
    done = json.loads(capsys.readouterr().out)
    assert [(a["action"], a["outcome"]) for a in done["actions"]] == [("create-endpoint", "done")]
    assert len(consumer.endpoints()) == 1


def test_cli_exits_non_zero_when_an_action_fails(world, tmp_path, monkeypatch, capsys):
    _aws, provider, consumer = world
    aws = world[0]
    aws.set_organization_sharing([provider.account, consumer.account], enabled=True)
    provider.share(consumer.account, [provider.configuration("hello")])
    creds = consumer.session.get_credentials().get_frozen_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds.token)
    doc = consumer.policy_doc([provider.account])
    doc["endpoint"]["subnet_ids"] = ["subnet-0123456789abcdef0"]  # does not exist
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps(doc))
    assert cli.main(["reconcile", "--policy", str(policy_file)]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["actions"][0]["error_code"] == "InvalidSubnetID.NotFound"


def test_lambda_handler_end_to_end_with_the_policy_in_ssm(world, monkeypatch):
    """The real entry point: settings from the environment, policy from SSM (Powertools parameters)."""
    import importlib.util
    from types import SimpleNamespace

    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    _aws, provider, consumer = world
    cfg = provider.configuration("hello")
    provider.share(consumer.account, [cfg])
    creds = consumer.session.get_credentials().get_frozen_credentials()
    for var, value in {
        "AWS_ACCESS_KEY_ID": creds.access_key,
        "AWS_SECRET_ACCESS_KEY": creds.secret_key,
        "AWS_SESSION_TOKEN": creds.token,
        "LINKPILOT_POLICY_PARAMETER": "/linkpilot/test/policy",
        "LINKPILOT_AUDIT_TABLE": "linkpilot-audit",
        "LINKPILOT_TOPIC_ARN": consumer.settings.notification_topic_arn,
        "POWERTOOLS_SERVICE_NAME": "linkpilot-controller",
    }.items():
        monkeypatch.setenv(var, value)
    # Powertools caches one SSM provider per process (bound to the credentials of its first use)
    saved = dict(DEFAULT_PROVIDERS)
    DEFAULT_PROVIDERS.clear()
    consumer.session.client("ssm").put_parameter(
        Name="/linkpilot/test/policy",
        Type="String",
        Value=json.dumps(consumer.policy_doc([provider.account])),
    )
    spec = importlib.util.spec_from_file_location(
        "controller_app_e2e", Path(__file__).resolve().parents[3] / "functions" / "controller" / "app.py"
    )
    assert spec and spec.loader
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    context = SimpleNamespace(
        function_name="controller",
        memory_limit_in_mb=512,
        aws_request_id="req-1",
        invoked_function_arn=f"arn:aws:lambda:us-east-1:{consumer.account}:function:controller",
    )
    Metrics(namespace="Linkpilot").clear_metrics()
    try:
        result = app.handler(
            json.loads((EVENTS / "ssm-policy-parameter-change.json").read_text())
            | {"detail": {"name": "/linkpilot/test/policy", "type": "String", "operation": "Update"}},
            context,
        )
    finally:
        DEFAULT_PROVIDERS.clear()
        DEFAULT_PROVIDERS.update(saved)
    assert result["status"] == "ok"
    assert [a["action"] for a in result["summary"]["actions"]] == ["accept-invitation"]
    assert consumer.endpoints() == []  # the next run (event or schedule) creates it
    assert {a["record"] for a in consumer.audit()} == {"decision", "action"}
