"""``linkpilot reconcile`` asks before it deletes (issue 26 item 3), with the confirmation ``cleanup`` uses
(``linkpilot_cli.confirm``): it plans first; a plan that deletes nothing runs without a question; one that
deletes is listed and asked about on a terminal, and stops with exit 2 after the reads without one; only the
confirmed deletes are done. The layer's ``confirmed_deletes`` limit, and the Lambda path that never sets it.
Against the local AWS: tests/integration/controller/test_reconcile_confirmation_local_aws.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from aws_lambda_powertools import Logger, Metrics
from consumer_fakes import TRUSTED, FakeAccount, faked_controller, make_policy, policy_doc, share_arn

from linkpilot.consumer.models import Outcome
from linkpilot.consumer.ports import Controller
from linkpilot.consumer.reconcile import NOT_CONFIRMED, reconcile
from linkpilot.runtime import controller as runtime
from linkpilot.runtime.controller import handle_event
from linkpilot_cli import aws
from linkpilot_cli import main as cli

READS = ("Get", "List", "Describe")


def writes(account: FakeAccount) -> list[str]:
    return [c for c in account.calls if not c.startswith(READS)]


class World:
    """Two organization shares, each with its managed endpoint; the first share then gone, so a run (grace
    0) deletes its endpoint. ``ids``: the endpoint of share 1, then of share 2."""

    def __init__(self) -> None:
        self.account = FakeAccount()
        self.controller = faked_controller(self.account)
        self.policy = make_policy(unshare_grace_minutes=0)
        for n in (1, 2):
            self.account.org_share(TRUSTED, n)
        reconcile(self.policy, self.controller)
        by_configuration = {
            e.resource_configuration_arn: e.endpoint_id for e in self.account.endpoints.values()
        }
        self.ids = [by_configuration[arn] for arn in sorted(by_configuration)]
        self.unshare(1)
        self.account.calls.clear()

    def unshare(self, n: int) -> None:
        del self.account.shares[share_arn(TRUSTED, n)]


@pytest.fixture
def world(monkeypatch, tmp_path) -> Any:
    """The CLI wired to the world's faked controller (no session, no boto3), with a policy file."""
    made = World()
    monkeypatch.setattr(aws, "session_from", lambda *_a, **_k: object())
    monkeypatch.setattr(runtime, "build_controller", lambda *_a, **_k: made.controller)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(policy_doc(unshare_grace_minutes=0)))
    made.argv = ["reconcile", "--policy", str(policy), "--output", "json"]  # type: ignore[attr-defined]
    return made


def answer(reply: bool, asked: list[str], meanwhile: Any = None) -> Any:
    def confirm(question: str, **_: object) -> bool:
        asked.append(question)
        if meanwhile is not None:
            meanwhile()
        return reply

    return confirm


def test_without_a_terminal_a_plan_that_deletes_stops_with_exit_2_and_no_write(world, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli.main(world.argv) == 2
    captured = capsys.readouterr()
    # one line says why (before it, only the progress line of the plan's reads, which --quiet silences)
    (line,) = [line for line in captured.err.splitlines() if not line.startswith("… planning")]
    assert line == (
        f"linkpilot reconcile: would delete 1 endpoint(s) ({world.ids[0]}) and there is no terminal to ask "
        "on; AWS was read, nothing was changed; pass --yes to allow it, or --dry-run to see the plan"
    )
    assert json.loads(captured.out) == {"ok": False, "error": "confirmation", "would_delete": [world.ids[0]]}
    assert world.account.calls and writes(world.account) == []  # it read, to know; it wrote nothing
    assert sorted(world.account.endpoints) == sorted(world.ids)


def test_a_plan_that_deletes_nothing_runs_without_a_question(world, monkeypatch, capsys):
    world.account.org_share(TRUSTED, 1)  # back: nothing to delete
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    asked: list[str] = []
    monkeypatch.setattr(click, "confirm", answer(True, asked))
    assert cli.main(world.argv) == 0
    assert asked == [] and json.loads(capsys.readouterr().out)["actions"] == []


def test_on_a_terminal_declining_exits_1_and_changes_nothing(world, monkeypatch, capsys):
    world.account.org_share(TRUSTED, 3)  # a create the declined run would also have made
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    asked: list[str] = []
    monkeypatch.setattr(click, "confirm", answer(False, asked))
    assert cli.main(world.argv) == 1
    captured = capsys.readouterr()
    assert asked == ["Delete these 1 endpoint(s) and run the reconcile?"] and captured.out == ""
    listing = captured.err.split("Would delete: 1")[1]
    assert "ENDPOINT" in listing and "REASON" in listing and world.ids[0] in listing
    assert "rcfg-1" in listing and "arn:aws" not in listing  # short ids; the full ARN is in --output json
    assert "linkpilot reconcile: warning: declined: nothing changed" in captured.err
    assert writes(world.account) == [] and sorted(world.account.endpoints) == sorted(world.ids)


def test_on_a_terminal_yes_deletes_what_was_listed(world, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    asked: list[str] = []
    monkeypatch.setattr(click, "confirm", answer(True, asked))
    assert cli.main(world.argv) == 0
    actions = json.loads(capsys.readouterr().out)["actions"]
    assert [(a["action"], a["endpoint_id"], a["outcome"]) for a in actions] == [
        ("delete-endpoint", world.ids[0], "done")
    ]
    assert len(asked) == 1 and list(world.account.endpoints) == [world.ids[1]]


def test_a_delete_planned_after_the_question_is_skipped_never_done(world, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    asked: list[str] = []
    # while the person reads the list, the second share goes too: the run plans its delete as well
    monkeypatch.setattr(click, "confirm", answer(True, asked, meanwhile=lambda: world.unshare(2)))
    assert cli.main(world.argv) == 0
    actions = json.loads(capsys.readouterr().out)["actions"]
    assert sorted((a["endpoint_id"], a["outcome"], a.get("detail") or "") for a in actions) == [
        (world.ids[0], "done", ""),
        (world.ids[1], "skipped", NOT_CONFIRMED),
    ]
    assert list(world.account.endpoints) == [world.ids[1]]


@pytest.mark.parametrize("flag", ["--yes", "-y"])
def test_yes_deletes_without_a_question_or_a_terminal(flag, world, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    asked: list[str] = []
    monkeypatch.setattr(click, "confirm", answer(True, asked))
    assert cli.main([*world.argv, flag]) == 0
    assert asked == [] and list(world.account.endpoints) == [world.ids[1]]
    assert json.loads(capsys.readouterr().out)["actions"][0]["outcome"] == "done"


def test_dry_run_asks_nothing_and_writes_nothing(world, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli.main([*world.argv, "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["actions"][0]["outcome"] == "planned"
    assert writes(world.account) == []


def test_the_help_documents_the_question_and_yes(capsys):
    assert cli.main(["reconcile", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--yes, -y" in text or "-y, --yes" in text
    assert "linkpilot reconcile --policy policy.yaml --yes" in text
    assert "AWS is read, nothing written" in text and "--yes (-y) skips the question" in text


# --- the layer's limit, and the Lambda path that never sets it -------------------------------------------
def test_confirmed_deletes_limits_the_deletes_and_none_is_no_limit():
    limited = World()
    limited.unshare(2)
    report = reconcile(limited.policy, limited.controller, confirmed_deletes={limited.ids[0]})
    assert sorted((r.action.endpoint_id, r.outcome) for r in report.results) == [
        (limited.ids[0], Outcome.DONE),
        (limited.ids[1], Outcome.SKIPPED),
    ]
    assert list(limited.account.endpoints) == [limited.ids[1]] and not report.failed
    nothing = World()
    reconcile(nothing.policy, nothing.controller, confirmed_deletes=frozenset())
    assert writes(nothing.account) == [] and sorted(nothing.account.endpoints) == sorted(nothing.ids)
    unlimited = World()
    unlimited.unshare(2)
    report = reconcile(unlimited.policy, unlimited.controller)
    assert {r.outcome for r in report.results} == {Outcome.DONE} and unlimited.account.endpoints == {}


def test_the_lambda_path_deletes_without_any_confirmation(monkeypatch):
    world = World()
    seen: list[dict[str, Any]] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs)
        return reconcile(*args, **kwargs)

    monkeypatch.setattr(runtime, "reconcile", spy)
    metrics = Metrics(namespace="Linkpilot", service="test")
    metrics.clear_metrics()
    controller: Controller = world.controller
    result = handle_event(
        json.loads((Path(__file__).parents[3] / "events" / "controller-schedule.json").read_text()),
        policy_parameter="/linkpilot/policy",
        load_policy=lambda _force: json.dumps(policy_doc(unshare_grace_minutes=0)),
        controller=lambda: controller,
        logger=Logger(service="test"),
        metrics=metrics,
    )
    assert result["status"] == "ok" and [k for k in seen[0] if k == "confirmed_deletes"] == []
    assert list(world.account.endpoints) == [world.ids[1]]  # the planned delete done, nobody asked
