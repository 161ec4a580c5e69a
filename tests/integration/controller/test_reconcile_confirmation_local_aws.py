"""``linkpilot reconcile`` asks before it deletes, against the local AWS (issue 26 item 3): without a terminal
and without --yes it stops (exit 2) having only read; declined on a terminal, nothing is deleted (exit 1);
with --yes the delete is done; a delete planned after the question is skipped, never done. The same with
fakes: tests/unit/cli/test_cli_reconcile_confirmation.py."""

from __future__ import annotations

import json
import threading
from typing import Any

import click
import pytest
from controller_world import Consumer, Provider

from linkpilot.consumer.reconcile import NOT_CONFIRMED
from linkpilot_cli import main as cli

pytestmark = pytest.mark.integration

READS = ("Get", "List", "Describe", "Query", "Scan", "BatchGet")


@pytest.fixture
def world(local_aws, monkeypatch, tmp_path) -> dict[str, Any]:
    """Two shares, each with its managed endpoint; the first then unshared, so a run (grace 0) deletes its
    endpoint. The CLI runs as the consumer's operator, with the stack's state table (the lease)."""
    provider, consumer = Provider.create(local_aws), Consumer.create(local_aws)
    shares = [
        provider.share(consumer.account, [provider.configuration(name)], name=name) for name in ("one", "two")
    ]
    consumer.onboard(consumer.policy([provider.account], unshare_grace_minutes=0))
    by_configuration = {
        e["ResourceConfigurationArn"]: e["VpcEndpointId"] for e in consumer.endpoints(managed_only=True)
    }
    ids = [by_configuration[arn] for arn in provider.configurations]
    assert len(ids) == 2
    provider.unshare(shares[0], consumer.account)
    local_aws.clock.advance(seconds=1)
    consumer.use_credentials(monkeypatch)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(consumer.policy_doc([provider.account], unshare_grace_minutes=0)))
    argv = ["reconcile", "--policy", str(policy), "--output", "json"]
    return {
        "aws": local_aws,
        "provider": provider,
        "consumer": consumer,
        "ids": ids,
        "shares": shares,
        "argv": argv,
    }


def managed(consumer: Consumer) -> list[str]:
    return sorted(e["VpcEndpointId"] for e in consumer.endpoints(managed_only=True))


def answer(reply: bool, asked: list[str], meanwhile: Any = None) -> Any:
    def confirm(question: str, **_: object) -> bool:
        asked.append(question)
        if meanwhile is not None:
            meanwhile()
        return reply

    return confirm


def test_without_a_terminal_it_exits_2_having_made_no_write_call(world, capsys):
    aws, consumer, ids = world["aws"], world["consumer"], world["ids"]
    before = len(aws.call_log)
    assert cli.main(world["argv"]) == 2  # pytest's stdin is no terminal
    err = capsys.readouterr().err
    assert f"linkpilot reconcile: would delete 1 endpoint(s) ({ids[0]})" in err
    assert "pass --yes to allow it, or --dry-run to see the plan" in err
    made = [op for account, _service, op in aws.call_log[before:] if account == consumer.account]
    assert made and [op for op in made if not op.startswith(READS)] == []
    assert managed(consumer) == sorted(ids)


def test_on_a_terminal_declining_deletes_nothing(world, monkeypatch, capsys):
    consumer, ids = world["consumer"], world["ids"]
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    asked: list[str] = []
    monkeypatch.setattr(click, "confirm", answer(False, asked))
    assert cli.main(world["argv"]) == 1
    captured = capsys.readouterr()
    assert asked == ["Delete these 1 endpoint(s) and run the reconcile?"] and captured.out == ""
    assert ids[0] in captured.err and "declined: nothing changed" in captured.err
    assert managed(consumer) == sorted(ids)


def test_yes_deletes(world, capsys):
    aws, consumer, ids = world["aws"], world["consumer"], world["ids"]
    assert cli.main([*world["argv"], "--yes"]) == 0
    actions = json.loads(capsys.readouterr().out)["actions"]
    assert [(a["action"], a["endpoint_id"], a["outcome"]) for a in actions] == [
        ("delete-endpoint", ids[0], "done")
    ]
    aws.clock.advance(seconds=5)
    assert managed(consumer) == [ids[1]]


def test_a_delete_planned_after_the_question_is_skipped(world, monkeypatch, capsys):
    aws, provider, consumer, ids = world["aws"], world["provider"], world["consumer"], world["ids"]
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)

    def second_unshare() -> None:  # while the person reads the list
        # on a thread of its own, as the provider is another process: its call is not the reconcile's (the IAM
        # recorder attributes a call to the function whose code is on the calling thread's stack)
        unshare = threading.Thread(target=provider.unshare, args=(world["shares"][1], consumer.account))
        unshare.start()
        unshare.join()
        aws.clock.advance(seconds=1)

    asked: list[str] = []
    monkeypatch.setattr(click, "confirm", answer(True, asked, meanwhile=second_unshare))
    assert cli.main(world["argv"]) == 0
    actions = json.loads(capsys.readouterr().out)["actions"]
    assert sorted((a["endpoint_id"], a["outcome"], a.get("detail") or "") for a in actions) == sorted(
        [(ids[0], "done", ""), (ids[1], "skipped", NOT_CONFIRMED)]
    )
    aws.clock.advance(seconds=5)
    assert managed(consumer) == [ids[1]]
