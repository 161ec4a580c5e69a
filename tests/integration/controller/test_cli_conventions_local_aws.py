"""The CLI's conventions against the local AWS: AWS_REGION alone is enough, and every command follows the
same output convention (data on stdout in the chosen format, progress on stderr)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from controller_world import Consumer, Provider

from linkpilot_cli import main as cli

pytestmark = pytest.mark.integration


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def consumer_env(local_aws: Any, tmp_path, monkeypatch) -> dict[str, Any]:
    """A consumer account with one pending invitation, its credentials in the environment, and a
    Region given ONLY as AWS_REGION (the test set-up's AWS_DEFAULT_REGION is removed)."""
    provider = Provider.create(local_aws)
    consumer = Consumer.create(local_aws)
    provider.share(consumer.account, [provider.configuration("hello")])
    creds = consumer.session.get_credentials().get_frozen_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds.token)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(consumer.policy_doc([provider.account])))
    template = tmp_path / "template.json"
    template.write_text(json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}))
    return {"policy": str(policy), "template": str(template), "consumer": consumer}


KINDS = {
    "reconcile": {"decision", "action", "not-acted-on"},
    "status": {"endpoint", "invitation"},
    "stackset": {"stackset", "operation", "failure", "untargeted-ou"},
}


def _commands(env: dict[str, Any]) -> dict[str, list[str]]:
    return {
        "reconcile": ["reconcile", "--policy", env["policy"], "--dry-run"],
        "status": ["status"],  # without a policy, the pending invitation is listed as "unknown"
        "stackset": [
            "stackset",
            "deploy",
            "--template",
            env["template"],
            "--name",
            "linkpilot-consumer",
            "--ou-ids",
            "ou-ab12-cdefgh34",
            "--regions",
            "us-east-1",
            "--dry-run",
        ],
    }


def test_aws_region_alone_is_enough_for_reconcile_and_status(consumer_env, capsys):
    assert cli.main(["reconcile", "--policy", consumer_env["policy"], "--dry-run"]) == 0
    planned = json.loads(capsys.readouterr().out)
    # the accept only: the endpoint is created once RAM lists the accepted configuration (a later run)
    assert [(a["action"], a["outcome"]) for a in planned["actions"]] == [("accept-invitation", "planned")]
    assert cli.main(["status", "--policy", consumer_env["policy"]]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["summary"]["managed_endpoints"] == 0
    assert "NoRegionError" not in captured.err and "must specify a region" not in captured.err


@pytest.mark.parametrize("name", ["reconcile", "status", "stackset"])
def test_every_command_follows_the_output_convention(name, consumer_env, capsys):
    argv = _commands(consumer_env)[name]
    # json: one document on stdout, progress on stderr only
    assert cli.main([*argv, "--output", "json"]) == 0
    captured = capsys.readouterr()
    assert isinstance(json.loads(captured.out), dict)
    assert all(line.startswith("… ") for line in captured.err.splitlines()), captured.err
    # text: tab-separated rows, each led by its kind; no header, no progress mixed in
    assert cli.main([*argv, "--output", "text", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    rows = [line.split("\t") for line in captured.out.splitlines()]
    assert rows and {row[0] for row in rows} <= KINDS[name], rows
    assert len({len(row) for row in rows if row[0] == rows[0][0]}) == 1
    # table: titled sections for people
    assert cli.main([*argv, "--output", "table"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].rstrip().endswith(tuple("0123456789")), out


def test_the_reconcile_table_says_why_nothing_was_done(consumer_env, capsys):
    """An accepted share whose resources RAM does not list yet: no action, and the table says so (the
    reason used to be in the JSON only, under "Actions: 0")."""
    assert cli.main([*_commands(consumer_env)["reconcile"], "--output", "table"]) == 0
    out = capsys.readouterr().out
    section = out.split("Not acted on: ", 1)[1]
    assert not section.startswith("0"), out
    lines = section.splitlines()
    assert lines[1].split() == ["STATE", "SUBJECT", "REASON"]
    assert lines[2].split()[0] == "waiting"
    assert "RAM does not list its resources yet" in " ".join(section.split())


@pytest.mark.parametrize("name", ["reconcile", "status", "stackset"])
def test_the_default_is_a_table_on_a_terminal_and_json_in_a_pipe(name, consumer_env, capsys, monkeypatch):
    argv = _commands(consumer_env)[name]
    assert cli.main(argv) == 0
    json.loads(capsys.readouterr().out)  # captured: not a terminal
    terminal = Tty()
    monkeypatch.setattr("sys.stdout", terminal)
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli.main(argv) == 0
    text = terminal.getvalue()
    assert not text.startswith("{") and ": " in text.splitlines()[0] and "\033[" not in text


def test_status_keeps_its_json_flag(consumer_env, capsys):
    assert cli.main(["status", "--json"]) == 0
    assert "pending_invitations" in json.loads(capsys.readouterr().out)


def test_status_text_rows_name_the_pending_invitation(consumer_env, capsys):
    assert cli.main(["status", "--output", "text", "--quiet"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [row[0] for row in rows] == ["invitation"]
    assert rows[0][4] == "unknown"  # no --policy: the policy's verdict is unknown
