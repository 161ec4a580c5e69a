"""``linkpilot cleanup`` asks before deleting: without a terminal and without ``--yes`` it stops before any
AWS call (the session is never made); ``--dry-run`` and ``--yes`` need no terminal. The list-ask-delete round
against the local AWS: tests/integration/controller/test_uninstall_local_aws.py."""

from __future__ import annotations

import pytest

from linkpilot_cli import aws
from linkpilot_cli import main as cli


@pytest.fixture
def no_aws(monkeypatch):
    calls: list[str] = []

    def refuse(*_args, **_kwargs):
        calls.append("session")
        raise AssertionError("an AWS session was made")

    monkeypatch.setattr(aws, "session_from", refuse)
    return calls


def test_without_a_terminal_and_without_yes_it_stops_before_any_aws_call(no_aws, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli.main(["cleanup"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == (
        "linkpilot cleanup: deleting asks for confirmation and there is no terminal to ask on: pass --yes to "
        "delete without asking (--dry-run lists what would be deleted); nothing was read or deleted"
    )
    assert no_aws == []


@pytest.mark.parametrize("flag", ["--yes", "-y", "--dry-run"])
def test_yes_and_dry_run_need_no_terminal(flag, no_aws, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli.main(["cleanup", flag]) == 1  # it went on to make the session (refused here)
    assert no_aws == ["session"]
    assert "unexpected error: AssertionError: an AWS session was made" in capsys.readouterr().err


def test_the_help_says_it_asks(capsys):
    assert cli.main(["cleanup", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "asks first; --yes skips the question" in text and "--dry-run only lists" in text
