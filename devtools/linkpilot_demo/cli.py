"""``linkpilot demo``: the offline end-to-end demo against the local AWS. Exit 0 only if every step held.

This module is the ``demo`` entry point of the ``linkpilot.commands`` group (devtools/pyproject.toml); its
``COMMAND`` is declared with the operator CLI's framework (``linkpilot_cli.framework``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from linkpilot_cli.framework import Invocation, command
from linkpilot_cli.registry import exit_codes


@command(
    "demo",
    summary="offline end-to-end demo against the local AWS",
    description=(
        "The end-to-end story against the local AWS: a provider shares, the consumer onboards, the probe "
        "runs, an alarm fires and recovers, an untrusted share is left alone, the share is revoked. Every "
        "step is checked; offline, loopback only."
    ),
    examples=("linkpilot demo", "linkpilot demo --untrusted reject --log /tmp/demo.log"),
    exit_codes=exit_codes("every step held", "invalid option", failed="a step failed"),
)
@click.option(
    "--untrusted",
    type=click.Choice(["ignore", "reject"]),
    default="ignore",
    help="the consumer policy's untrusted_invitations setting (default: ignore)",
)
@click.option(
    "--log",
    type=click.Path(dir_okay=False, path_type=Path),
    help="where the functions' logs go (.demo/demo.log)",
)
def COMMAND(call: Invocation, *, untrusted: str, log: Path | None) -> int:
    import os

    from linkpilot_demo.scenario import DemoOptions, loopback_only, run_demo

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    loopback_only()
    options = DemoOptions(untrusted_invitations=untrusted, color=sys.stdout.isatty())
    if log:
        options.log_path = log
    return 0 if run_demo(sys.stdout, options) else 1
