"""One outcome per run: what each run's report says, what a function's runtime does with it (return, or raise
so the platform retries) and what the CLI exits with."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from linkpilot.consumer.models import Action, ActionKind, ActionResult, Outcome, Plan
from linkpilot.consumer.report import ProbeRefresh, ReconcileReport
from linkpilot.consumer.uninstall import CleanupReport
from linkpilot.errors import Refused, Transient
from linkpilot.lease import LeaseBusy
from linkpilot.outcome import Done, Retry, RetryLater, RetryWhy, Terminal, conclude, retry_for
from linkpilot.provider.plan import PrincipalChange
from linkpilot.provider.service import ChangeOutcome, SyncReport
from linkpilot_cli.outcome import attempt, exit_code, stopped
from linkpilot_cli.output import (
    EXIT_BUSY,
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_READ_FAILED,
    Output,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
ACTION = Action(ActionKind.ACCEPT_INVITATION, reason="trusted", invitation_arn="arn:aws:ram:inv/1")


def report(*results: ActionResult, side_errors: tuple[str, ...] = ()) -> ReconcileReport:
    return ReconcileReport(
        run_id="run-1",
        trigger="schedule",
        dry_run=False,
        started_at=NOW,
        plan=Plan(actions=tuple(r.action for r in results)),
        results=results,
        probe=ProbeRefresh("unchanged"),
        side_errors=side_errors,
    )


# --- what each run's report says -----------------------------------------------------------------------
def test_a_reconcile_that_did_everything_is_done():
    assert report(ActionResult(ACTION, Outcome.DONE)).outcome == Done()


def test_a_refusal_is_done_and_failed_never_retried():
    refused = ActionResult(ACTION, Outcome.FAILED, detail="refused: quota", error_code="Quota")
    assert report(refused).outcome == Done(failed=True)


def test_a_transient_failure_or_a_side_error_is_a_retry_naming_the_errors():
    failed = ActionResult(ACTION, Outcome.FAILED, detail="ThrottlingException", retryable=True)
    outcome = report(failed).outcome
    assert outcome == Retry(
        "accept-invitation arn:aws:ram:inv/1: ThrottlingException", why=RetryWhy.INCOMPLETE
    )
    side = report(side_errors=("audit: down",)).outcome
    assert isinstance(side, Retry) and side.reason == "audit: down"


def test_a_retry_reason_is_bounded_as_the_errors_in_the_log_line():
    outcome = report(side_errors=("x" * 100_000,)).outcome
    assert isinstance(outcome, Retry) and len(outcome.reason) < 10_000


def test_a_cleanup_is_done_and_failed_when_a_delete_was_refused():
    assert CleanupReport((), dry_run=False).outcome == Done()
    assert CleanupReport((), dry_run=False, refused={"vpce-1": "no"}).outcome == Done(failed=True)


def test_an_unusable_consumer_list_is_terminal_a_refused_principal_done_and_failed():
    share = "arn:aws:ram:us-east-1:111111111111:resource-share/s"
    assert SyncReport(share, error="bad list", problems=("entry 1",)).outcome == Terminal(
        "bad list", ("entry 1",)
    )
    change = PrincipalChange("associate", "222222222222", "declared", "")
    assert SyncReport(share, outcomes=(ChangeOutcome(change, ok=True),)).outcome == Done()
    assert SyncReport(share, outcomes=(ChangeOutcome(change, ok=False),)).outcome == Done(failed=True)


def test_an_aws_failure_that_stopped_a_run_is_a_retry_carrying_it():
    busy = LeaseBusy("LeaseBusy", "held")
    assert retry_for(busy) == Retry("LeaseBusy: held", why=RetryWhy.BUSY)
    assert retry_for(busy).cause is busy
    throttled = Transient("ThrottlingException", "slow down")
    assert retry_for(throttled) == Retry("ThrottlingException: slow down", why=RetryWhy.AWS)


# --- what a function's runtime does with it ------------------------------------------------------------
def test_the_runtime_returns_for_done_and_terminal():
    assert conclude(Done(), {"status": "ok"}) == {"status": "ok"}
    assert conclude(Done(failed=True), {"status": "failed"}) == {"status": "failed"}
    assert conclude(Terminal("policy invalid"), {"status": "policy-error"}) == {"status": "policy-error"}


def test_the_runtime_raises_for_a_retry_the_error_that_stopped_the_run():
    throttled = Transient("ThrottlingException", "slow down")
    with pytest.raises(Transient) as raised:
        conclude(retry_for(throttled), {})
    assert raised.value is throttled
    with pytest.raises(RetryLater, match="audit: down"):
        conclude(Retry("audit: down"), {})


# --- what the CLI exits with ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("outcome", "code"),
    [
        (Done(), EXIT_OK),
        (Done(failed=True), EXIT_FAILED),
        (Retry("x", why=RetryWhy.INCOMPLETE), EXIT_FAILED),
        (Retry("x", why=RetryWhy.AWS), EXIT_READ_FAILED),
        (Retry("x", why=RetryWhy.BUSY), EXIT_BUSY),
        (Terminal("x"), EXIT_INVALID),
    ],
)
def test_each_outcome_has_one_exit_code(outcome, code):
    assert exit_code(outcome) == code


@pytest.mark.parametrize(
    ("error", "why"),
    [
        (LeaseBusy("LeaseBusy", "held"), RetryWhy.BUSY),
        (Transient("InternalError", "5xx"), RetryWhy.AWS),
        (Refused("AccessDenied", "no"), RetryWhy.AWS),
        (ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "Op"), RetryWhy.AWS),
        (EndpointConnectionError(endpoint_url="https://ec2"), RetryWhy.AWS),
    ],
)
def test_a_commands_aws_failure_becomes_its_retry(error, why):
    def work() -> None:
        raise error

    outcome = attempt(work)
    assert isinstance(outcome, Retry) and outcome.why is why and outcome.reason == str(error)


def test_a_command_s_result_or_its_own_bug_passes_through():
    assert attempt(lambda: 42) == 42
    with pytest.raises(KeyError):
        attempt(lambda: {}["missing"])


def out(fmt: str) -> Output:
    return Output("reconcile", fmt, quiet=True, no_colour=True)


def test_stopped_says_why_in_one_line_and_with_document_in_json(capsys):
    code = stopped(
        out("json"), Retry("Throttling: slow", why=RetryWhy.AWS), failure="reading AWS failed", document=True
    )
    captured = capsys.readouterr()
    assert code == EXIT_READ_FAILED
    assert captured.err.strip().endswith("reading AWS failed: Throttling: slow")
    assert '"error": "aws"' in captured.out and '"detail": "Throttling: slow"' in captured.out
    assert stopped(out("table"), Retry("held", why=RetryWhy.BUSY), failure="AWS failed") == EXIT_BUSY
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "another run holds the account's lease, nothing changed: held" in captured.err


def test_stopped_prints_no_document_unless_asked(capsys):
    stopped(out("json"), Retry("x", why=RetryWhy.AWS), failure="AWS failed")
    assert capsys.readouterr().out == ""


def test_every_command_that_calls_aws_maps_its_failures_through_the_one_function():
    """No command keeps its own except-ladder for AWS failures or a busy lease."""
    commands = Path(__file__).resolve().parents[2] / "cli" / "linkpilot_cli" / "commands"
    for name in ("reconcile", "cleanup", "status", "provider"):
        source = (commands / f"{name}.py").read_text()
        assert "attempt(" in source and "stopped(" in source, name
        assert "except ANY_AWS_FAILURE" not in source and "except LeaseBusy" not in source, name
