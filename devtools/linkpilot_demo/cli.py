"""``linkpilot demo``: the offline end-to-end demo against the local AWS. Exit 0 only if every step held."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


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
