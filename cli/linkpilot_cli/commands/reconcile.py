"""``linkpilot reconcile --policy FILE [--dry-run]``: one reconcile from an operator's shell.

Same reconcile as the Lambda function, with standard AWS credentials and environment (``AWS_PROFILE``,
``AWS_REGION``, ``AWS_ENDPOINT_URL`` for the local AWS). Prints a JSON summary of decisions and actions on
stdout. Exit status: 0 all done; 1 an action failed; 2 the policy or settings are invalid (nothing
changed); 3 reading AWS failed (nothing changed); 4 another run held the account's lease (with
``LINKPILOT_STATE_TABLE`` set) for longer than this one waited (nothing read or changed).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

EXIT_OK, EXIT_ACTION_FAILED, EXIT_INVALID, EXIT_READ_FAILED, EXIT_BUSY = 0, 1, 2, 3, 4


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", metavar="FILE", help="trust policy JSON file (see --print-schema)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    parser.add_argument("--print-schema", action="store_true", help="print the policy's JSON schema and exit")
    parser.add_argument(
        "--region", help="AWS region (default: the standard AWS configuration, e.g. AWS_REGION)"
    )


def _emit(document: dict[str, Any]) -> None:
    print(json.dumps(document, indent=2, default=str))


def run(args: argparse.Namespace) -> int:
    from linkpilot.consumer.policy import PolicyError, load_policy_file, policy_json_schema

    if args.print_schema:
        _emit(policy_json_schema())
        return EXIT_OK
    if not args.policy:
        print("linkpilot reconcile: --policy FILE is required", file=sys.stderr)
        return EXIT_INVALID
    try:
        policy = load_policy_file(args.policy)
    except PolicyError as exc:
        _emit({"ok": False, "error": "policy", "problems": list(exc.problems)})
        print(f"linkpilot reconcile: {exc}", file=sys.stderr)
        return EXIT_INVALID

    import boto3

    from linkpilot.consumer.wiring import ControllerSettings, SettingsError, build_controller

    try:
        settings = ControllerSettings.from_env()
    except SettingsError as exc:
        _emit({"ok": False, "error": "settings", "problems": [str(exc)]})
        return EXIT_INVALID
    session = boto3.Session(region_name=args.region) if args.region else boto3.Session()
    return _reconcile(policy, build_controller(settings, session), args.dry_run)


def _reconcile(policy: Any, controller: Any, dry_run: bool) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from linkpilot.consumer.reconcile import reconcile
    from linkpilot.errors import AwsError
    from linkpilot.lease import LeaseBusy

    try:
        report = reconcile(policy, controller, dry_run=dry_run, trigger="cli")
    except LeaseBusy as exc:
        _emit({"ok": False, "error": "busy", "detail": str(exc)})
        print(f"linkpilot reconcile: another run holds the lease, nothing changed: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except (AwsError, ClientError, BotoCoreError) as exc:
        _emit({"ok": False, "error": "aws", "detail": str(exc)})
        print(f"linkpilot reconcile: reading AWS failed, nothing changed: {exc}", file=sys.stderr)
        return EXIT_READ_FAILED
    _emit(report.to_json())
    return EXIT_ACTION_FAILED if report.failed else EXIT_OK
