"""``linkpilot cleanup [--dry-run]``: list, then delete, the resource endpoints Linkpilot manages (uninstall).

Only endpoints carrying the ``linkpilot:managed`` tag are listed or deleted. With ``LINKPILOT_STATE_TABLE``
set, it holds the stack's lease meanwhile (no reconcile acts at the same time). A controller still deployed
creates the endpoints again on its next run while the policy allows them: delete the stack first (or deploy
it with ``DeleteEndpointsOnStackDelete=true`` and delete it, which does this for you). Prints a JSON summary.
Exit status: 0 done (or listed, with --dry-run); 1 EC2 refused to delete some; 2 bad settings; 3 AWS failed;
4 another run held the lease.
"""

from __future__ import annotations

import argparse
import json
import sys

EXIT_OK, EXIT_REFUSED, EXIT_INVALID, EXIT_AWS, EXIT_BUSY = 0, 1, 2, 3, 4


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="list the managed endpoints; delete nothing")
    parser.add_argument(
        "--region", help="AWS region (default: the standard AWS configuration, e.g. AWS_REGION)"
    )


def run(args: argparse.Namespace) -> int:
    import time

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from linkpilot.consumer.uninstall import cleanup_under_lease
    from linkpilot.consumer.wiring import ControllerSettings, SettingsError, build_controller
    from linkpilot.errors import AwsError
    from linkpilot.lease import LeaseBusy

    try:
        settings = ControllerSettings.from_env()
    except SettingsError as exc:
        print(json.dumps({"ok": False, "error": "settings", "problems": [str(exc)]}))
        return EXIT_INVALID
    session = boto3.Session(region_name=args.region) if args.region else boto3.Session()
    controller = build_controller(settings, session)
    try:
        report = cleanup_under_lease(
            controller.ec2,
            controller.lease,
            dry_run=args.dry_run,
            hold=False,
            clock=controller.clock,
            sleep=time.sleep,
        )
    except LeaseBusy as exc:
        print(json.dumps({"ok": False, "error": "busy", "detail": str(exc)}))
        return EXIT_BUSY
    except (AwsError, ClientError, BotoCoreError) as exc:
        print(json.dumps({"ok": False, "error": "aws", "detail": str(exc)}))
        print(f"linkpilot cleanup: {exc}", file=sys.stderr)
        return EXIT_AWS
    print(json.dumps(report.to_json(), indent=2))
    return EXIT_OK if report.ok else EXIT_REFUSED
