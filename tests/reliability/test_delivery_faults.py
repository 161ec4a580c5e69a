"""Delivery faults against the local AWS.

Transient: the local AWS serves over HTTP (server mode, so a hang is a real read timeout) and fails 30 % of
ALL calls — 10 % throttling, 10 % 5xx, 10 % hangs longer than the client's read timeout. Every RAM event is
delivered three times, concurrently, and a scheduled reconcile runs each round; a delivery that raises is
retried as Lambda retries async invocations (MaximumRetryAttempts from template.yaml). Within 5 rounds every
approved share has exactly one endpoint: none missing, no duplicates, nothing for what the policy refuses.

Permanent: a call IAM denies (AccessDenied / UnauthorizedOperation) shows up as the ReconcileErrors metric
(EMF printed by the real Lambda handler), as template.yaml's ReconcileErrorsAlarm going to ALARM (evaluated
with linkpilot_local.cloudwatch_alarms) with its SNS notification, and as an audit record — never silently.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aws_lambda_powertools import Logger
from botocore.config import Config

from linkpilot.consumer.memory import ControllerMemory
from linkpilot.runtime.controller import build_controller, handle_event
from linkpilot_local.cfn import load_template
from linkpilot_local.cloudwatch_alarms import evaluate_alarms, put_emf_records

from .support import ROOT, MetricsRecorder, controller_world, denied, load_function_app

pytestmark = pytest.mark.integration

EVENTS = ROOT / "events"
SCHEDULE_EVENT = json.loads((EVENTS / "controller-schedule.json").read_text())
TEMPLATE = load_template(ROOT / "template.yaml")
LAMBDA_RETRIES = int(
    TEMPLATE["Resources"]["ControllerFunction"]["Properties"]["EventInvokeConfig"]["MaximumRetryAttempts"]
)
READ_TIMEOUT_S = 0.5
HANG_S = 1.5
MAX_ROUNDS = 5
# 30 % of all calls: the rules are tried in order, so each rate is of the calls the earlier rules left.
TRANSIENT_FAULTS = [
    {"kind": "throttle", "rate": 0.10},
    {"kind": "5xx", "rate": 0.10 / 0.90},
    {"kind": "hang", "rate": 0.10 / 0.80, "hang_seconds": HANG_S},
]


@pytest.fixture
def server() -> Iterator[Any]:
    """``linkpilot local serve`` in this process (a thread), so the test can read its fault counters."""
    from linkpilot_local.remote import RemoteLocalAws
    from linkpilot_local.server import LocalAwsServer

    srv = LocalAwsServer(port=0).start()
    try:
        yield srv, RemoteLocalAws(srv.url)
    finally:
        srv.stop()


def _deliver(event: dict[str, Any], policy_text: str, make_controller: Any) -> tuple[str, int]:
    """One async invocation as Lambda runs it: retried after an error, then dead-lettered."""
    attempts = 0
    for _ in range(1 + LAMBDA_RETRIES):
        attempts += 1
        try:
            result = handle_event(
                event,
                policy_parameter="/linkpilot/policy",
                load_policy=lambda _force: policy_text,
                controller=make_controller,
                logger=Logger(service="linkpilot-controller", level="CRITICAL"),
                metrics=MetricsRecorder(),  # type: ignore[arg-type]
            )
        except Exception:
            continue
        return str(result["status"]), attempts
    return "dead-lettered", attempts


# Deliveries of one round queue on the account's run lease (each may wait up to 60 s, then is retried as
# Lambda would): on a loaded machine a round takes minutes, not seconds. The bound is a hang guard.
@pytest.mark.timeout(900)
def test_transient_faults_on_30_percent_of_calls_and_triple_delivery_converge_within_5_rounds(server):
    srv, aws = server
    cw = controller_world()
    providers = [cw.Provider.create(aws), cw.Provider.create(aws)]
    stranger = cw.Provider.create(aws)
    consumer = cw.Consumer.create(aws)
    aws.set_organization_sharing([providers[1].account, consumer.account], enabled=True)

    approved: list[str] = []
    for p in providers:
        for name in ("alpha", "beta"):
            cfg = p.configuration(f"{name}-{p.account[-4:]}")
            p.share(consumer.account, [cfg], name=f"share-{name}")
            approved.append(cfg)
    refused = [stranger.configuration("stranger")]  # untrusted sender
    stranger.share(consumer.account, refused)
    disallowed = providers[0].configuration("not-allowed")  # trusted sender, ARN outside the allowed globs
    providers[0].share(consumer.account, [disallowed], name="share-not-allowed")
    refused.append(disallowed)

    doc = consumer.policy_doc(
        [p.account for p in providers],
        allowed_resource_configuration_arns=approved,
        untrusted_invitations="ignore",
    )
    policy_text = json.dumps(doc)
    consumer.session._session.set_default_client_config(
        Config(read_timeout=READ_TIMEOUT_S, connect_timeout=2, retries={"mode": "standard"})
    )
    memory = ControllerMemory()

    def make_controller() -> Any:  # one per delivery: separate Lambda containers share nothing but AWS
        return build_controller(consumer.settings, consumer.session, memory)

    def endpoints_by_config() -> dict[str, int]:
        counts: dict[str, int] = {}
        for ep in consumer.endpoints(managed_only=True):
            tags = {t["Key"]: t["Value"] for t in ep["Tags"]}
            arn = tags["linkpilot:resource-configuration-arn"]
            counts[arn] = counts.get(arn, 0) + 1
        return counts

    seen_events = 0
    deliveries = invocations = dead = 0
    rounds_needed = None
    calls = 0
    started = time.perf_counter()
    for round_no in range(1, MAX_ROUNDS + 1):
        events = aws.events[seen_events:]
        seen_events += len(events)
        batch = [e for e in events for _ in range(3)] + [SCHEDULE_EVENT]
        calls_before = len(srv.emulation.call_log)
        srv.emulation.faults.configure(seed=round_no, rules=TRANSIENT_FAULTS)
        with ThreadPoolExecutor(max_workers=12) as pool:
            outcomes = list(pool.map(lambda e: _deliver(e, policy_text, make_controller), batch))
        srv.emulation.faults.clear()
        calls += len(srv.emulation.call_log) - calls_before
        deliveries += len(batch)
        invocations += sum(n for _s, n in outcomes)
        dead += sum(1 for s, _n in outcomes if s == "dead-lettered")
        aws.clock.advance(seconds=1)  # new endpoints: pending -> available
        counts = endpoints_by_config()
        if set(counts) == set(approved) and all(n == 1 for n in counts.values()):
            rounds_needed = round_no
            break
    elapsed = time.perf_counter() - started
    injected = srv.emulation.faults.injected
    by_kind = {k: sum(1 for *_x, kind in injected if kind == k) for k in ("throttle", "5xx", "hang")}

    assert rounds_needed is not None, f"not converged after {MAX_ROUNDS} rounds: {endpoints_by_config()}"
    counts = endpoints_by_config()
    assert sorted(counts) == sorted(approved) and set(counts.values()) == {1}
    assert not set(counts) & set(refused)
    all_endpoints = consumer.endpoints()
    assert len(all_endpoints) == len(approved), "an endpoint without the managed tag appeared"
    invitations = consumer.session.client("ram").get_resource_share_invitations()["resourceShareInvitations"]
    statuses = {(i["senderAccountId"], i["resourceShareName"]): i["status"] for i in invitations}
    assert statuses == {
        (providers[0].account, "share-alpha"): "ACCEPTED",
        (providers[0].account, "share-beta"): "ACCEPTED",
        (providers[0].account, "share-not-allowed"): "PENDING",
        (stranger.account, "share"): "PENDING",
    }  # providers[1] shares inside the organization: no invitations
    assert min(by_kind.values()) > 0, f"every fault kind must have fired: {by_kind}"
    # a settled world is quiet: one more scheduled run changes nothing
    before = len(srv.emulation.call_log)
    assert _deliver(SCHEDULE_EVENT, policy_text, make_controller)[0] == "ok"
    writes = [
        op for _a, _s, op in srv.emulation.call_log[before:] if op.startswith(("Create", "Delete", "Accept"))
    ]
    assert writes == []

    report = os.environ.get("LINKPILOT_RELIABILITY_REPORT")
    if report:
        Path(report).write_text(
            json.dumps(
                {
                    "rounds_needed": rounds_needed,
                    "approved_shares": len(approved),
                    "deliveries": deliveries,
                    "invocations": invocations,
                    "dead_lettered": dead,
                    "aws_calls": calls,
                    "faults_injected": len(injected),
                    "faults_by_kind": by_kind,
                    "fault_share": round(len(injected) / max(calls, 1), 3),
                    "seconds": round(elapsed, 2),
                }
            )
        )


@pytest.mark.timeout(900)
def test_association_mode_under_30_percent_faults_and_triple_delivery_makes_one_association(server):
    """Two allowed service networks shared in association mode, with a configuration: under the same faults
    and triple delivery the account converges to one endpoint and exactly ONE managed association (a VPC
    takes one network), and a settled world is quiet."""
    from dataclasses import replace

    srv, aws = server
    cw = controller_world()
    provider = cw.Provider.create(aws)
    consumer = cw.Consumer.create(aws)
    consumer.settings = replace(consumer.settings, service_network_associations="true")
    cfg = provider.configuration("alpha")
    networks = [
        provider.service_network([provider.configuration(f"net-{n}")], name=f"net-{n}") for n in ("a", "b")
    ]
    provider.share(consumer.account, [cfg], name="share-cfg")
    provider.share(consumer.account, networks, name="share-networks")
    doc = consumer.policy_doc(
        [provider.account], service_networks={"allowed_arns": networks, "mode": "association"}
    )
    policy_text = json.dumps(doc)
    consumer.session._session.set_default_client_config(
        Config(read_timeout=READ_TIMEOUT_S, connect_timeout=2, retries={"mode": "standard"})
    )
    memory = ControllerMemory()
    lattice = consumer.session.client("vpc-lattice")

    def make_controller() -> Any:
        return build_controller(consumer.settings, consumer.session, memory)

    def settled() -> tuple[list[str], list[str]]:
        endpoints = [e["ResourceConfigurationArn"] for e in consumer.endpoints(managed_only=True)]
        items = lattice.list_service_network_vpc_associations(vpcIdentifier=consumer.vpc_id)["items"]
        return endpoints, [a["serviceNetworkArn"] for a in items if a["status"] != "DELETE_IN_PROGRESS"]

    seen_events, rounds_needed = 0, None
    for round_no in range(1, MAX_ROUNDS + 1):
        events = aws.events[seen_events:]
        seen_events += len(events)
        batch = [e for e in events for _ in range(3)] + [SCHEDULE_EVENT]
        srv.emulation.faults.configure(seed=100 + round_no, rules=TRANSIENT_FAULTS)
        with ThreadPoolExecutor(max_workers=12) as pool:
            list(pool.map(lambda e: _deliver(e, policy_text, make_controller), batch))
        srv.emulation.faults.clear()
        aws.clock.advance(seconds=1)
        if settled() == ([cfg], [min(networks)]):
            rounds_needed = round_no
            break
    assert rounds_needed is not None, f"not converged after {MAX_ROUNDS} rounds: {settled()}"
    assert srv.emulation.faults.injected, "faults must have fired"
    before = len(srv.emulation.call_log)
    assert _deliver(SCHEDULE_EVENT, policy_text, make_controller)[0] == "ok"
    writes = [
        op for _a, _s, op in srv.emulation.call_log[before:] if op.startswith(("Create", "Delete", "Accept"))
    ]
    assert writes == [] and settled() == ([cfg], [min(networks)])


# --- permanent faults ----------------------------------------------------------------------------------
CONTEXT = SimpleNamespace(
    function_name="linkpilot-controller",
    memory_limit_in_mb=512,
    aws_request_id="req-reliability",
    invoked_function_arn="arn:aws:lambda:us-east-1:222222222222:function:linkpilot-controller",
)


@pytest.fixture
def lambda_world(local_aws, monkeypatch):
    """A consumer with the controller's stack resources, the policy in SSM, template.yaml's
    ReconcileErrorsAlarm on the alerts topic (read through an SQS subscription), a trusted invitation."""
    from aws_lambda_powertools.utilities import parameters

    cw = controller_world()
    provider = cw.Provider.create(local_aws)
    consumer = cw.Consumer.create(local_aws)
    cfg = provider.configuration("hello")
    provider.share(consumer.account, [cfg])
    session = consumer.session
    session.client("ssm").put_parameter(
        Name="/linkpilot/policy", Type="String", Value=json.dumps(consumer.policy_doc([provider.account]))
    )
    topic = consumer.settings.notification_topic_arn
    sqs = session.client("sqs")
    queue = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    session.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    alarm = TEMPLATE["Resources"]["ReconcileErrorsAlarm"]["Properties"]
    cloudwatch = session.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName="ReconcileErrorsAlarm",
        AlarmActions=[topic],
        **{
            k: alarm[k]
            for k in (
                "Namespace",
                "MetricName",
                "Dimensions",
                "Statistic",
                "Period",
                "EvaluationPeriods",
                "Threshold",
                "ComparisonOperator",
                "TreatMissingData",
            )
        },
    )
    creds = session.get_credentials().get_frozen_credentials()
    env = {
        "AWS_ACCESS_KEY_ID": creds.access_key,
        "AWS_SECRET_ACCESS_KEY": creds.secret_key,
        "AWS_SESSION_TOKEN": creds.token,
        "POWERTOOLS_SERVICE_NAME": "linkpilot-controller",
        "LINKPILOT_POLICY_PARAMETER": "/linkpilot/policy",
        "LINKPILOT_AUDIT_TABLE": consumer.settings.audit_table_name,
        "LINKPILOT_TOPIC_ARN": topic,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    parameters.clear_caches()  # a new container: no SSM client or value cached from another test
    app = load_function_app("controller")
    app.metrics.clear_metrics()
    yield SimpleNamespace(
        aws=local_aws, consumer=consumer, app=app, cloudwatch=cloudwatch, sqs=sqs, queue=queue
    )
    parameters.clear_caches()


def _invoke(world: Any, capsys: Any) -> tuple[Any, list[dict[str, Any]]]:
    capsys.readouterr()
    try:
        outcome: Any = world.app.handler(SCHEDULE_EVENT, CONTEXT)
    except Exception as exc:
        outcome = exc
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    return outcome, lines


def _alarm_fired(world: Any, lines: list[dict[str, Any]]) -> list[Any]:
    emf = [line for line in lines if "_aws" in line]
    assert put_emf_records(world.cloudwatch, emf) > 0, "the handler printed no EMF metrics"
    at = datetime.fromtimestamp(emf[-1]["_aws"]["Timestamp"] / 1000, tz=UTC) + timedelta(seconds=300)
    return evaluate_alarms(world.cloudwatch, at, sns=world.consumer.session.client("sns"))


def _notifications(world: Any) -> list[dict[str, Any]]:
    """What reached the alerts topic (alarm state changes and the controller's run notifications)."""
    got = world.sqs.receive_message(QueueUrl=world.queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(json.loads(m["Body"])["Message"]) for m in got]


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        (("ec2", "CreateVpcEndpoint"), "UnauthorizedOperation"),
        (("ram", "AcceptResourceShareInvitation"), "AccessDeniedException"),
    ],
)
def test_denied_action_shows_as_metric_alarm_and_audit_record(lambda_world, capsys, operation, code):
    world = lambda_world
    if operation == ("ec2", "CreateVpcEndpoint"):
        # the endpoint is created by a run after the accepting one, once RAM lists the share
        _invoke(world, capsys)
        world.consumer.aws.clock.advance(seconds=30)
        _notifications(world)  # the accepting run's notice
    with denied({operation}, account=world.consumer.account) as hits:
        outcome, lines = _invoke(world, capsys)
    assert hits == [operation]
    assert isinstance(outcome, dict) and outcome["status"] == "failed", outcome
    emf = next(line for line in lines if "ReconcileErrors" in line)
    assert emf["ReconcileErrors"] == [1.0] and emf["service"] == "linkpilot-controller"

    transitions = _alarm_fired(world, lines)
    assert [(t.name, t.new_state) for t in transitions] == [("ReconcileErrorsAlarm", "ALARM")]
    failed = [a for a in world.consumer.audit() if a.get("outcome") == "failed"]
    assert [a["error_code"] for a in failed] == [code]
    assert world.consumer.endpoints() == []
    notes = _notifications(world)
    assert [n["NewStateValue"] for n in notes if "AlarmName" in n] == ["ALARM"]
    (run,) = [n for n in notes if "run_id" in n]
    assert any(code in error for error in run["errors"]), (
        run
    )  # the controller's own notice, naming the denial


def test_denied_read_raises_for_a_retry_and_shows_as_metric_and_alarm(lambda_world, capsys):
    world = lambda_world
    with denied({("ec2", "DescribeVpcEndpoints")}, account=world.consumer.account):
        outcome, lines = _invoke(world, capsys)
    assert isinstance(outcome, Exception) and "UnauthorizedOperation" in str(outcome)  # -> retries, then DLQ
    assert next(line for line in lines if "ReconcileErrors" in line)["ReconcileErrors"] == [1.0]
    assert [(t.name, t.new_state) for t in _alarm_fired(world, lines)] == [("ReconcileErrorsAlarm", "ALARM")]
    assert world.consumer.invitation_statuses() == ["PENDING"]


def test_denied_read_leaves_an_audit_record(lambda_world, capsys):
    world = lambda_world
    with denied({("ec2", "DescribeVpcEndpoints")}, account=world.consumer.account):
        _invoke(world, capsys)
    errors = [a for a in world.consumer.audit() if a["record"] == "error"]
    assert [a["error_code"] for a in errors] == ["UnauthorizedOperation"]
    assert "nothing decided or changed" in errors[0]["reason"]
