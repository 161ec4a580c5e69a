"""``linkpilot local serve [--port N]``: run the local AWS as a server until interrupted.

This module is the ``local`` entry point of the ``linkpilot.commands`` group (devtools/pyproject.toml); its
``COMMAND`` is declared with the operator CLI's framework (``linkpilot_cli.framework``).
"""

from __future__ import annotations

import contextlib
import io
import signal
import threading
import time
from datetime import timedelta

import click

from linkpilot_cli.framework import Invocation, command, group
from linkpilot_cli.output import CliError
from linkpilot_cli.registry import exit_codes

DEFAULT_PORT = 4566
MAX_PORT = 65535

CODES = exit_codes(
    "stopped cleanly", "invalid option", failed="the server could not start (the port is in use, say)"
)
DESCRIPTION = (
    "Run moto plus the Linkpilot emulation of what moto lacks (RAM invitations, VPC Lattice, resource "
    "endpoints) as an HTTP server on loopback, for AWS_ENDPOINT_URL. Development and tests only."
)
COMMAND = group(
    "local",
    summary="the local AWS emulation (development and tests)",
    description=DESCRIPTION,
    examples=("linkpilot local serve", "linkpilot local serve --port 0 --log-requests"),
    exit_codes=CODES,
)


@command(
    "serve",
    summary="serve moto plus the Linkpilot emulation over HTTP",
    description=DESCRIPTION,
    examples=(
        "linkpilot local serve                 # then: export AWS_ENDPOINT_URL=http://127.0.0.1:4566",
        "linkpilot local serve --port 0        # any free port (printed)",
    ),
    exit_codes=CODES,
)
@click.option(
    "--port",
    type=click.IntRange(0, MAX_PORT),
    default=DEFAULT_PORT,
    help=f"TCP port, 0 to {MAX_PORT} (default {DEFAULT_PORT}; 0: any free port)",
)
@click.option("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
@click.option("--region", default="us-east-1", help="default region (default us-east-1)")
@click.option("--log-requests", is_flag=True, help="log every HTTP request to stderr")
@click.option(
    "--settle-seconds",
    type=click.FloatRange(0),
    default=0.2,
    help="seconds new gateways/configurations/endpoints stay in progress (default 0.2)",
)
def serve(
    call: Invocation, *, port: int, host: str, region: str, log_requests: bool, settle_seconds: float
) -> int:
    started = time.monotonic()
    import logging

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.INFO if log_requests else logging.WARNING)
    from .server import LocalAwsServer

    server = LocalAwsServer(host=host, port=port, region=region, settle=timedelta(seconds=settle_seconds))
    said = io.StringIO()
    try:
        # werkzeug prints a failed bind on stderr itself (two lines), then exits: one line here instead
        with contextlib.redirect_stderr(said):
            server.start()
    except (OSError, SystemExit) as err:
        reason = said.getvalue().strip().splitlines()[0] if said.getvalue().strip() else str(err)
        raise CliError(f"cannot listen on {host}:{port}: {reason}") from None
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(
        f"linkpilot local AWS listening on {server.url} (ready in {time.monotonic() - started:.2f}s); "
        f"AWS_ENDPOINT_URL={server.url}; DNS map: {server.url}/_linkpilot/dns"
    )
    try:
        stop.wait()
    finally:
        server.stop()
    return 0


COMMAND.add_command(serve)
