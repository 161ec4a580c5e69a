"""The AWS session of a command, chosen the way the AWS CLI (v2) chooses it.

Region: ``--region``, else ``AWS_REGION``, else ``AWS_DEFAULT_REGION``, else the profile's ``region``.
boto3 itself reads only ``AWS_DEFAULT_REGION`` and the profile (botocore's ``configprovider`` maps the
``region`` setting to ``AWS_DEFAULT_REGION``), so ``AWS_REGION`` is applied here. Profile: ``--profile``,
else ``AWS_PROFILE``, else the default credential chain. Every problem is ``InvalidInput`` (exit 2) with one
line that names the value.

This is the one module of the CLI that makes boto3 sessions and clients (``session_from``, ``client``,
``Clients``); the commands hand the clients to adapters (``linkpilot.aws``, ``linkpilot_cli.adapters``), which
make the calls (tests/contract/test_cli_layout.py checks it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from linkpilot_cli.output import InvalidInput


def endpoint_urls(env: Mapping[str, str]) -> None:
    """``AWS_ENDPOINT_URL`` and every ``AWS_ENDPOINT_URL_<SERVICE>`` are URLs, or ``InvalidInput``."""
    from linkpilot_cli.validate import Invalid, check_endpoint_url

    for name, value in sorted(env.items()):
        if name == "AWS_ENDPOINT_URL" or name.startswith("AWS_ENDPOINT_URL_"):
            try:
                check_endpoint_url(name, value)
            except Invalid as exc:
                raise InvalidInput(str(exc)) from None


def session_from(args: Any, env: Mapping[str, str] | None = None) -> Any:
    """A ``boto3.Session`` for ``args.region``/``args.profile``; ``InvalidInput`` when either, or an endpoint
    URL (``AWS_ENDPOINT_URL``...), is unusable. No call is made."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    env = os.environ if env is None else env
    endpoint_urls(env)
    profile = getattr(args, "profile", None) or None
    region = getattr(args, "region", None) or env.get("AWS_REGION") or None
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound:
        name = profile or env.get("AWS_PROFILE", "")
        source = "--profile" if profile else "AWS_PROFILE"
        raise InvalidInput(
            f"{source}: profile {name!r} is not in the AWS config or credentials files"
        ) from None
    chosen = session.region_name
    if not chosen:
        raise InvalidInput("no AWS Region: pass --region, set AWS_REGION, or set a region in the profile")
    from linkpilot_cli.validate import Invalid, check_region

    try:
        check_region(chosen)
    except Invalid as exc:
        source = "--region" if getattr(args, "region", None) else "the configured region"
        raise InvalidInput(f"{source}: {exc}") from None
    return session


def client(session: Any, service: str) -> Any:
    """The boto3 client of ``service`` for a session from ``session_from`` (or a test's stand-in)."""
    return session.client(service)


class Clients:
    """One boto3 client per service for a session, made the first time it is asked for: what an adapter
    that calls several services holds (``clients("sts")``)."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._made: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self._made:
            self._made[service] = client(self.session, service)
        return self._made[service]
