"""The entry function of ``linkpilot acceptance``: typed options in, text out, an exit code back.

0: every step of the story held and no check was contradicted; 1: a step failed, a check was contradicted,
the run stopped on an error, or the confirmation was declined; 2: unusable options (one line, nothing
called); 130: interrupted (on AWS, after the teardown).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TextIO

from linkpilot_cli.acceptance.catalogue import verdicts
from linkpilot_cli.acceptance.checks import Target
from linkpilot_cli.acceptance.plan import (
    LOCAL_PLAN,
    AcceptanceOptions,
    OptionError,
    aws_plan,
    check_options,
    new_run_id,
    render_plan,
)
from linkpilot_cli.acceptance.report import Report, RunResult
from linkpilot_cli.adapters.recorder import Recorder
from linkpilot_cli.output import InvalidInput

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INTERRUPTED = 0, 1, 2, 130

LocalDriver = Callable[[TextIO, Recorder], RunResult]
AwsDriver = Callable[[AcceptanceOptions, Any, TextIO, Recorder], RunResult]


def load_local_driver() -> LocalDriver:
    """The local target's driver, from the linkpilot-local distribution (it needs moto)."""
    from linkpilot_demo.acceptance import run_local

    return run_local


def run_acceptance(
    options: AcceptanceOptions,
    out: TextIO,
    err: TextIO | None = None,
    *,
    confirm: Callable[[str], bool] | None = None,
    local_driver: LocalDriver | None = None,
    aws_driver: AwsDriver | None = None,
) -> int:
    err = err or sys.stderr
    try:
        check_options(options)
    except OptionError as exc:
        print(f"linkpilot acceptance: {exc}", file=err)
        return EXIT_INVALID
    run_id = options.run_id or new_run_id()
    target = Target.AWS if options.aws else Target.LOCAL
    recorder = Recorder(target, run_id)
    if target is Target.AWS:
        result = _on_aws(options, run_id, recorder, out, err, confirm=confirm, aws_driver=aws_driver)
    else:
        result = _on_local(options, recorder, out, err, local_driver)
    if isinstance(result, int):  # stopped before the run: --plan, a refusal, unusable options
        return result
    return _report(options, Report(target, run_id), result, recorder, out)


def _on_aws(
    options: AcceptanceOptions,
    run_id: str,
    recorder: Recorder,
    out: TextIO,
    err: TextIO,
    *,
    confirm: Callable[[str], bool] | None,
    aws_driver: AwsDriver | None,
) -> RunResult | int:
    plan = aws_plan(options, run_id)
    if not options.plan and aws_driver is None:  # the real run: profiles and Region usable, else exit 2
        try:
            check_sessions(options, plan.region)
        except InvalidInput as exc:
            print(f"linkpilot acceptance: {exc}", file=err)
            return EXIT_INVALID
    for line in render_plan(plan):
        print(line, file=out)
    if options.plan:
        return EXIT_OK
    if not options.yes and not (confirm or _ask)("Create these resources in the two accounts? [y/N] "):
        print("linkpilot acceptance: not confirmed; nothing was created", file=err)
        return EXIT_FAILED
    if aws_driver is None:
        from linkpilot_cli.acceptance.aws_target import run_aws

        aws_driver = run_aws
    return aws_driver(options, plan, out, recorder)


def _on_local(
    options: AcceptanceOptions,
    recorder: Recorder,
    out: TextIO,
    err: TextIO,
    local_driver: LocalDriver | None,
) -> RunResult | int:
    for line in LOCAL_PLAN:
        print(line, file=out)
    if options.plan:
        return EXIT_OK
    if local_driver is None:
        try:
            local_driver = load_local_driver()
        except ImportError:
            print(
                "linkpilot acceptance: the local target needs linkpilot-local (pip install -e devtools), "
                "or run on two accounts with --aws",
                file=err,
            )
            return EXIT_INVALID
    return local_driver(out, recorder)


def _report(
    options: AcceptanceOptions, report: Report, result: RunResult, recorder: Recorder, out: TextIO
) -> int:
    error = result.error or ("interrupted" if result.interrupted else "")
    if result.leftovers:
        error = (error + "; " if error else "") + f"left behind: {', '.join(result.leftovers)}"
    report.steps, report.error = result.steps, error
    report.checks = verdicts(report.target, result.observations)
    print("", file=out)
    for line in report.table():
        print(line, file=out)
    path = report.write(options.report_root)
    print(f"report: {path}", file=out)
    if options.record is not None:
        written = recorder.write(options.record)
        print(f"recorded {len(written)} sanitised fixture(s) in {options.record}", file=out)
    if error:
        print(f"stopped: {error}", file=out)
    failed = [s.title for s in result.steps if not s.ok]
    print(
        f"{len(result.steps)} steps, {len(failed)} failed; " + ("PASSED" if report.passed else "FAILED"),
        file=out,
    )
    if result.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if report.passed else EXIT_FAILED


def check_sessions(options: AcceptanceOptions, region: str) -> None:
    """Both profiles exist and the Region is one (``InvalidInput`` otherwise), before the plan is shown and
    anything is asked: no AWS call is made."""
    from types import SimpleNamespace

    from linkpilot_cli.aws import session_from

    for profile in (options.provider_profile, options.consumer_profile):
        session_from(SimpleNamespace(profile=profile, region=region))


def _ask(prompt: str) -> bool:
    try:
        return input(prompt).strip().lower() in {"y", "yes"}
    except EOFError:
        return False
