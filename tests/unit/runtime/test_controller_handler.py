"""The handler's flow: which events reconcile, malformed ones change nothing, policy errors alarm,
read failures raise for a retry; plus the Lambda entry point itself and the CLI's argument handling."""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from aws_lambda_powertools import Logger, Metrics
from consumer_fakes import TRUSTED, client_error, policy_doc

from linkpilot.consumer.ports import Controller
from linkpilot.consumer.triggers import Trigger, classify_event
from linkpilot.outcome import RetryLater
from linkpilot.runtime.controller import handle_event
from linkpilot_cli import main as cli

ROOT = Path(__file__).parents[3]
EVENTS = ROOT / "events"
PARAM = "/linkpilot/stacks/linkpilot-consumer/policy"


def load(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


@pytest.mark.parametrize(
    ("name", "trigger"),
    [
        ("ram-resource-share-invitation.json", Trigger.RAM_EVENT),
        ("ram-resource-share-association.json", Trigger.RAM_EVENT),
        ("ram-cloudtrail-api-call.json", Trigger.RAM_EVENT),
        ("controller-schedule.json", Trigger.SCHEDULE),
        ("ssm-policy-parameter-change.json", Trigger.POLICY_CHANGE),
        ("controller-manual.json", Trigger.MANUAL),
        ("controller-malformed.json", None),
    ],
)
def test_every_sample_event_is_classified(name, trigger):
    assert classify_event(load(name), PARAM) is trigger


def test_other_parameters_and_sources_are_not_triggers():
    change = load("ssm-policy-parameter-change.json")
    change["detail"]["name"] = "/someone/else"
    assert classify_event(change, PARAM) is None
    ec2 = {
        **load("controller-schedule.json"),
        "source": "aws.ec2",
        "detail-type": "EC2 Instance State-change",
    }
    assert classify_event(ec2, PARAM) is None
    assert classify_event("not even a dict", PARAM) is None
    assert classify_event(None, PARAM) is None


class Calls:
    def __init__(self, policy_text: str = "", controller: Controller | None = None) -> None:
        self.policy_text = policy_text
        self._controller = controller
        self.loads: list[bool] = []
        self.built = 0

    def load_policy(self, force: bool) -> str:
        self.loads.append(force)
        return self.policy_text

    def controller(self) -> Controller:
        self.built += 1
        assert self._controller is not None
        return self._controller


def fresh_metrics() -> Metrics:
    metrics = Metrics(namespace="Linkpilot", service="test")
    metrics.clear_metrics()  # Powertools shares one metric set per process
    return metrics


def run(event, calls: Calls, metrics: Metrics | None = None):
    return handle_event(
        event,
        policy_parameter=PARAM,
        load_policy=calls.load_policy,
        controller=calls.controller,
        logger=Logger(service="test"),
        metrics=metrics or fresh_metrics(),
    )


def emitted(metrics: Metrics) -> dict:
    return metrics.serialize_metric_set()


def test_malformed_event_reads_and_writes_nothing(caplog):
    calls = Calls()
    assert run(load("controller-malformed.json"), calls) == {
        "status": "ignored",
        "reason": "unrecognised event",
    }
    assert calls.loads == [] and calls.built == 0


def test_the_logged_event_is_bounded(capsys):
    # an event's fields may come from another account: a 450,000-character share name is logged cut, with
    # the marker and hash that say how much was dropped
    from linkpilot.foreign import MESSAGE_FIELD_BYTES

    huge = {"source": "aws.ram", "detail": {"resourceShareName": "x" * 450_000}}
    logger = Logger(service="bounded-log", stream=sys.stdout)
    handle_event(
        huge,
        policy_parameter=PARAM,
        load_policy=lambda _: "{}",
        controller=Calls().controller,
        logger=logger,
        metrics=fresh_metrics(),
    )
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    name = logged[0]["raw_event"]["detail"]["resourceShareName"]
    assert len(name.encode()) <= MESSAGE_FIELD_BYTES and "truncated" in name and "sha256:" in name


def test_invalid_policy_changes_nothing_and_counts_a_policy_error():
    calls = Calls(policy_text=json.dumps({"trusted_accounts": ["nope"]}))
    metrics = fresh_metrics()
    result = run(load("controller-schedule.json"), calls, metrics)
    assert result["status"] == "policy-error"
    assert any(p.startswith("trusted_accounts.0:") for p in result["problems"])
    assert any(p.startswith("endpoint:") for p in result["problems"])
    assert calls.built == 0
    assert emitted(metrics)["PolicyErrors"] == [1.0]


def test_unreadable_policy_counts_a_policy_error_and_raises():
    metrics = fresh_metrics()

    def missing(_force: bool) -> str:
        raise LookupError("ParameterNotFound")

    calls = Calls()
    calls.load_policy = missing  # type: ignore[method-assign]
    with pytest.raises(LookupError):
        run(load("controller-schedule.json"), calls, metrics)
    assert emitted(metrics)["PolicyErrors"] == [1.0]
    assert calls.built == 0


def test_policy_change_event_forces_a_fresh_policy_read(account, controller):
    calls = Calls(json.dumps(policy_doc()), controller)
    assert run(load("ssm-policy-parameter-change.json"), calls)["status"] == "ok"
    assert run(load("controller-schedule.json"), calls)["status"] == "ok"
    assert calls.loads == [True, False]


def test_successful_run_publishes_every_metric(account, controller):
    account.invite(TRUSTED, 1)
    metrics = fresh_metrics()
    result = run(
        load("ram-resource-share-invitation.json"), Calls(json.dumps(policy_doc()), controller), metrics
    )
    assert result["status"] == "ok"
    assert [a["action"] for a in result["summary"]["actions"]] == ["accept-invitation"]
    values = emitted(metrics)
    assert values["InvitationsAccepted"] == [1.0] and values["EndpointsCreated"] == [0.0]
    account.settle()  # RAM completes the accept; the next run (here the same event again) creates
    metrics = fresh_metrics()
    result = run(
        load("ram-resource-share-invitation.json"), Calls(json.dumps(policy_doc()), controller), metrics
    )
    assert [a["action"] for a in result["summary"]["actions"]] == ["create-endpoint"]
    values = emitted(metrics)
    assert values["EndpointsCreated"] == [1.0]
    for name in (
        "InvitationsRejected",
        "InvitationsIgnored",
        "EndpointsDeleted",
        "ReconcileErrors",
        "UntrustedInvitationsPending",
        "PolicyErrors",
    ):
        assert values[name] == [0.0]
    assert values["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Linkpilot"


def test_read_failure_raises_and_counts_a_reconcile_error(account, controller):
    account.faults["GetResourceShareInvitations"] = [client_error("ThrottlingException")]
    metrics = fresh_metrics()
    with pytest.raises(Exception, match="ThrottlingException"):
        run(load("controller-schedule.json"), Calls(json.dumps(policy_doc()), controller), metrics)
    assert emitted(metrics)["ReconcileErrors"] == [1.0]


def test_transient_action_failure_raises_after_the_run(account, controller):
    account.invite(TRUSTED, 1)
    account.org_share(TRUSTED, 2)
    account.faults["AcceptResourceShareInvitation"] = [client_error("ThrottlingException")]
    with pytest.raises(RetryLater, match="ThrottlingException"):
        run(load("controller-schedule.json"), Calls(json.dumps(policy_doc()), controller))
    assert len(account.endpoints) == 1  # the organization share was still served


def test_refused_action_returns_failed_without_raising(account, controller):
    from linkpilot.errors import Refused

    account.org_share(TRUSTED, 1)
    account.create_refusals[next(iter(account.shares.values())).resources[0][0]] = Refused(
        "VpcEndpointLimitExceeded", "max", "quota"
    )
    result = run(load("controller-schedule.json"), Calls(json.dumps(policy_doc()), controller))
    assert result["status"] == "failed"
    assert "quota" in result["summary"]["errors"][0]


@pytest.mark.network  # the X-Ray SDK (imported by Tracer even when disabled) creates a UDP socket
def test_lambda_entry_point_ignores_a_malformed_event(monkeypatch, capsys):
    monkeypatch.setenv("LINKPILOT_POLICY_PARAMETER", PARAM)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "linkpilot-controller")
    spec = importlib.util.spec_from_file_location(
        "controller_app", ROOT / "functions" / "controller" / "app.py"
    )
    assert spec and spec.loader
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    context = SimpleNamespace(
        function_name="controller",
        memory_limit_in_mb=512,
        aws_request_id="req-1",
        invoked_function_arn="arn:aws:lambda:us-east-1:222222222222:function:controller",
    )
    # the service's logger may have been built by an earlier test: make it write to this test's stdout
    for handler in logging.getLogger("linkpilot-controller").handlers:
        handler.setStream(sys.stdout)
    assert app.handler(load("controller-malformed.json"), context)["status"] == "ignored"
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    warning = next(entry for entry in logged if entry.get("level") == "WARNING")
    assert warning["raw_event"] == load("controller-malformed.json")


def test_cli_prints_the_schema(capsys):
    assert cli.main(["reconcile", "--print-schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "trusted_accounts" in schema["properties"]


def test_cli_invalid_policy_exits_2_and_names_the_field(tmp_path, capsys):
    bad = tmp_path / "policy.json"
    bad.write_text(json.dumps({**policy_doc(), "untrusted_invitations": "accept"}))
    assert cli.main(["reconcile", "--policy", str(bad)]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["error"] == "policy" and out["problems"][0].startswith("untrusted_invitations:")


def test_cli_requires_a_policy(capsys):
    assert cli.main(["reconcile"]) == 2
