"""``linkpilot demo``: the offline end-to-end demo against the local AWS. Exit 0 only if every step held."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from linkpilot_cli.main import exit_codes

# What `linkpilot --help` lists (this module is the `demo` entry point of the linkpilot.commands group).
SUMMARY = "offline end-to-end demo against the local AWS"
EXIT_CODES = exit_codes("every step held", "invalid option", failed="a step failed")
DESCRIPTION = (
    "The end-to-end story against the local AWS: a provider shares, the consumer onboards, the probe runs, "
    "an alarm fires and recovers, an untrusted share is left alone, the share is revoked. Every step is "
    "checked; offline, loopback only."
)


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--untrusted",
        choices=["ignore", "reject"],
        default="ignore",
        help="the consumer policy's untrusted_invitations setting (default: ignore)",
    )
    parser.add_argument("--log", type=Path, help="where the functions' logs go (default: .demo/demo.log)")


def run(args: argparse.Namespace) -> int:
    import os

    from linkpilot_demo.scenario import DemoOptions, loopback_only, run_demo

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    loopback_only()
    options = DemoOptions(untrusted_invitations=args.untrusted, color=sys.stdout.isatty())
    if args.log:
        options.log_path = args.log
    return 0 if run_demo(sys.stdout, options) else 1
