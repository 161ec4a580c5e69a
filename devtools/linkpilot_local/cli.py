"""``linkpilot local serve [--port N]``: run the local AWS as a server until interrupted."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from datetime import timedelta

from linkpilot_cli.main import exit_codes

DEFAULT_PORT = 4566

# What `linkpilot --help` lists (this module is the `local` entry point of the linkpilot.commands group).
SUMMARY = "the local AWS emulation (development and tests)"
EXIT_CODES = exit_codes("stopped cleanly", "invalid option", failed="the server could not start")
DESCRIPTION = (
    "Run moto plus the Linkpilot emulation of what moto lacks (RAM invitations, VPC Lattice, resource "
    "endpoints) as an HTTP server on loopback, for AWS_ENDPOINT_URL. Development and tests only."
)


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="local_command", metavar="SUBCOMMAND", required=True)
    serve = sub.add_parser("serve", help="serve moto plus the Linkpilot emulation over HTTP")
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT}; 0: any)"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--region", default="us-east-1", help="default region (default us-east-1)")
    serve.add_argument("--log-requests", action="store_true", help="log every HTTP request to stderr")
    serve.add_argument(
        "--settle-seconds",
        type=float,
        default=0.2,
        help="seconds new gateways/configurations/endpoints stay in progress (default 0.2)",
    )


def run(args: argparse.Namespace) -> int:
    if args.local_command != "serve":  # pragma: no cover - argparse enforces the choice
        return 2
    started = time.monotonic()
    import logging

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.INFO if args.log_requests else logging.WARNING)
    from .server import LocalAwsServer

    server = LocalAwsServer(
        host=args.host, port=args.port, region=args.region, settle=timedelta(seconds=args.settle_seconds)
    )
    try:
        server.start()
    except OSError as err:
        print(f"linkpilot local serve: cannot listen on {args.host}:{args.port}: {err}", file=sys.stderr)  # noqa: T201
        return 1
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(  # noqa: T201
        f"linkpilot local AWS listening on {server.url} (ready in {time.monotonic() - started:.2f}s); "
        f"AWS_ENDPOINT_URL={server.url}; DNS map: {server.url}/_linkpilot/dns",
        flush=True,
    )
    try:
        stop.wait()
    finally:
        server.stop()
    return 0
