"""``linkpilot acceptance``: the whole story end to end, against the local AWS (default) or two real
accounts (``--aws``), with a verdict per behaviour the docs leave unverified (``linkpilot_cli.acceptance``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from linkpilot_cli import validate
from linkpilot_cli.framework import Invocation, command
from linkpilot_cli.output import InvalidInput
from linkpilot_cli.registry import exit_codes

DESCRIPTION = """\
Runs the story end to end, checking each step: the provider stack, then the consumer stack; share,
auto-accept, endpoint, probe ok; target down (ALARM) and back (OK); a second configuration (TCP); a service
network in endpoint mode, then association mode; unshare, the grace, the delete; uninstall leaving nothing.
Then one row per behaviour the docs mark unverified: verified, contradicted or not reached, with what was
observed; the report goes to .acceptance/<run id>/report.json. Against the local AWS (the default, offline)
every check is 'not reached': the emulation is no evidence of AWS. With --aws it deploys into two real
accounts with sam deploy, after printing what it creates and what it costs and asking (--yes skips the
question, --plan only prints); everything is tagged linkpilot:acceptance=<run id> and always deleted."""


@command(
    "acceptance",
    summary="the whole story end to end, on the local AWS or two real accounts, with verdicts",
    description=DESCRIPTION,
    examples=(
        "linkpilot acceptance",
        "linkpilot acceptance --aws --provider-profile prov --consumer-profile cons --plan",
        "linkpilot acceptance --aws --provider-profile prov --consumer-profile cons --region eu-west-1 "
        "--record rec/",
    ),
    exit_codes=exit_codes(
        "every step held and no check was contradicted",
        "an option is invalid (--aws needs both profiles); nothing was called",
        failed="a step failed, a check was contradicted, something was left behind, or the run was declined",
    ),
)
@click.option("--aws", "on_aws", is_flag=True, help="run on two real accounts instead of the local AWS")
@click.option(
    "--provider-profile", default="", metavar="NAME", help="with --aws: the provider account's profile"
)
@click.option(
    "--consumer-profile", default="", metavar="NAME", help="with --aws: the consumer account's profile"
)
@click.option(
    "--region",
    default="",
    metavar="REGION",
    callback=validate.optional_region,
    help="with --aws: the Region (default: us-east-1)",
)
@click.option("--plan", is_flag=True, help="print what the run creates and costs; call nothing")
@click.option("--yes", "-y", is_flag=True, help="with --aws: do not ask before creating resources")
@click.option(
    "--record",
    type=click.Path(file_okay=False, path_type=Path),
    help="write every AWS answer received as sanitised fixtures in DIR",
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".acceptance"),
    show_default=True,
    help="where <run id>/report.json goes",
)
def COMMAND(
    call: Invocation,
    *,
    on_aws: bool,
    provider_profile: str,
    consumer_profile: str,
    region: str,
    plan: bool,
    yes: bool,
    record: Path | None,
    report_dir: Path,
) -> int:
    from linkpilot_cli.acceptance.plan import AcceptanceOptions, OptionError, check_options
    from linkpilot_cli.acceptance.runner import run_acceptance

    options = AcceptanceOptions(
        aws=on_aws,
        provider_profile=provider_profile,
        consumer_profile=consumer_profile,
        region=region,
        yes=yes,
        plan=plan,
        record=record,
        report_root=report_dir,
    )
    try:
        check_options(options)
    except OptionError as exc:
        raise InvalidInput(str(exc)) from None
    if not plan:  # the run writes there at its end: a folder it cannot make stops it before it starts
        for flag, folder in (("--record", record), ("--report-dir", report_dir)):
            try:
                if folder is not None:
                    folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InvalidInput(
                    f"{flag} {folder}: cannot create it ({exc.strerror}); nothing run"
                ) from None
    return run_acceptance(options, sys.stdout, sys.stderr)
