"""The malformed-input corpus (tests/corpus/): every entry gets a clear error and makes ZERO AWS write calls.

Each corpus directory has an ``expected.json`` naming, per file, a fragment the error must contain. The
inputs go through the real entry points against the local AWS, in a world where a valid input WOULD write
(a trusted invitation is pending; the provider's share has a consumer to remove), and ``aws.call_log`` is
checked: no Create/Accept/Reject/Delete/Put/Associate/... call at all, apart from the onboarding function's
own audit record and notice of the rejected list (DynamoDB PutItem, SNS Publish), how it reports.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from linkpilot.probe import InvalidEvent, probe_event
from linkpilot.runtime.controller import handle_event
from linkpilot_cli import main as cli

from .support import CORPUS, MetricsRecorder, controller_world, is_write, load_function_app, provider_world

pytestmark = pytest.mark.integration


def corpus(kind: str) -> list[tuple[Path, str]]:
    expected = json.loads((CORPUS / kind / "expected.json").read_text())
    files = sorted(p.name for p in (CORPUS / kind).iterdir() if p.name != "expected.json")
    assert files == sorted(expected), (
        f"tests/corpus/{kind}/expected.json must name every file, and only those"
    )
    return [(CORPUS / kind / name, expected[name]) for name in files]


def ids(entries: list[tuple[Path, str]]) -> list[str]:
    return [p.stem for p, _ in entries]


def writes(aws: Any, since: int, account: str | None = None) -> list[tuple[str, str, str]]:
    return [c for c in aws.call_log[since:] if is_write(c[2]) and (account is None or c[0] == account)]


@pytest.fixture
def consumer_world(local_aws):
    cw = controller_world()
    provider = cw.Provider.create(local_aws)
    consumer = cw.Consumer.create(local_aws)
    provider.share(consumer.account, [provider.configuration("hello")])
    return SimpleNamespace(aws=local_aws, provider=provider, consumer=consumer)


def _handle(event: Any, policy_text: str, consumer: Any) -> dict[str, Any]:
    return handle_event(
        event,
        policy_parameter="/linkpilot/policy",
        load_policy=lambda _force: policy_text,
        controller=consumer.controller,
        logger=Logger(service="linkpilot-corpus", level="CRITICAL"),  # its own name: never mutes the app
        metrics=MetricsRecorder(),  # type: ignore[arg-type]
    )


POLICIES = corpus("policies")
EVENTS = corpus("events")
TARGETS = corpus("probe_targets")
CONSUMER_LISTS = corpus("consumer_lists")


def test_the_world_would_write_with_valid_input(consumer_world):
    """The control: the same world, a valid policy and two schedule events -> accept, then create."""
    w = consumer_world
    start = len(w.aws.call_log)
    event = json.loads((CORPUS.parents[1] / "events" / "controller-schedule.json").read_text())
    result = _handle(event, json.dumps(w.consumer.policy_doc([w.provider.account])), w.consumer)
    assert result["status"] == "ok"
    w.aws.clock.advance(seconds=30)  # RAM completes the accept
    result = _handle(event, json.dumps(w.consumer.policy_doc([w.provider.account])), w.consumer)
    assert result["status"] == "ok"
    assert {op for _a, _s, op in writes(w.aws, start)} >= {
        "AcceptResourceShareInvitation",
        "CreateVpcEndpoint",
    }


@pytest.mark.parametrize(("path", "fragment"), POLICIES, ids=ids(POLICIES))
def test_malformed_policy_is_named_and_changes_nothing(consumer_world, path, fragment, tmp_path, capsys):
    w = consumer_world
    text = path.read_text()
    event = json.loads((CORPUS.parents[1] / "events" / "controller-schedule.json").read_text())
    start = len(w.aws.call_log)
    result = _handle(event, text, w.consumer)
    assert result["status"] == "policy-error"
    assert any(fragment in p for p in result["problems"]), result["problems"]
    assert w.aws.call_log[start:] == [], "a policy that does not validate must not even read AWS"

    # the operator's CLI: exit 2, the problem on stderr, nothing written
    creds = w.consumer.session.get_credentials().get_frozen_credentials()
    file = tmp_path / path.name
    file.write_text(text)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
        mp.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
        mp.setenv("AWS_SESSION_TOKEN", creds.token)
        assert cli.main(["reconcile", "--policy", str(file)]) == 2
    assert fragment in capsys.readouterr().err
    assert writes(w.aws, start) == []


@pytest.mark.parametrize(("path", "fragment"), EVENTS, ids=ids(EVENTS))
def test_unrecognised_event_is_ignored_without_any_call(consumer_world, path, fragment):
    w = consumer_world
    start = len(w.aws.call_log)
    result = _handle(
        json.loads(path.read_text()), json.dumps(w.consumer.policy_doc([w.provider.account])), w.consumer
    )
    assert result == {"status": "ignored", "reason": fragment}
    assert w.aws.call_log[start:] == []


@pytest.mark.parametrize(("path", "fragment"), TARGETS, ids=ids(TARGETS))
def test_malformed_probe_input_is_refused_and_never_probed(local_aws, path, fragment):
    scope, message = fragment.split(": ", 1)
    event = json.loads(path.read_text())
    resolved: list[str] = []

    def resolver(name: str) -> str:
        resolved.append(name)
        return "127.0.0.1"

    valid = [t for t in (event.get("targets") or []) if isinstance(event, dict)] if scope == "target" else []
    if scope == "event":
        with pytest.raises(InvalidEvent, match=None) as info:
            probe_event(event, resolver=resolver)
        assert message in str(info.value)
    else:
        results = probe_event(event, resolver=resolver)
        assert [r.verdict for r in results] == ["invalid"] * len(valid)
        assert all(message in (r.error or "") for r in results), [r.error for r in results]
    assert resolved == [], "a malformed target must never be resolved or connected to"
    assert local_aws.call_log == []


def test_the_probe_handler_refuses_a_malformed_input_as_an_invocation_error(local_aws):
    app = load_function_app("probe")
    context = SimpleNamespace(
        function_name="probe", memory_limit_in_mb=256, aws_request_id="r", invoked_function_arn="arn:aws:x"
    )
    with pytest.raises(InvalidEvent, match="targets must be a list"):
        app.handler(json.loads((CORPUS / "probe_targets" / "targets-missing.json").read_text()), context)
    assert local_aws.call_log == []


@pytest.mark.parametrize(("path", "fragment"), CONSUMER_LISTS, ids=ids(CONSUMER_LISTS))
def test_malformed_consumer_list_is_rejected_whole_and_the_share_is_untouched(local_aws, path, fragment):
    pw = provider_world()
    provider = pw.build_provider(local_aws)
    provider.put_consumers("222222222222")
    assert provider.onboard()["ok"] is True  # a consumer the malformed list would otherwise remove
    principals = provider.principals()
    start = len(local_aws.call_log)

    provider.put_consumers(path.read_text())
    summary = provider.onboard()
    assert summary["ok"] is False
    assert any(fragment in p for p in summary["problems"]), summary["problems"]
    # reporting, the test's own parameter write, and the pass's lease (taken and given back)
    reporting = {
        ("sns", "Publish"),
        ("ssm", "PutParameter"),
        ("dynamodb", "PutItem"),
    }
    assert [c for c in writes(local_aws, start) if (c[1], c[2]) not in reporting] == []
    (lease,) = (
        local_aws.session(provider.account).client("dynamodb").scan(TableName="provider-state")["Items"]
    )
    assert lease["lease_expires"] == {"N": "0"}  # given back
    assert provider.principals() == principals
    assert provider.audit_events()[-1][0] == "consumer-list-rejected"
