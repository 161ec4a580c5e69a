"""Every value a command sends to AWS, checked here first: a bad one is one line and exit 2, before any call,
so nothing is created. The click callbacks (``ou_ids``, ``stack_set_name``, ``regions``, ``arn_of``,
``optional_vpc_id``, ...) turn a problem into click's usage error, which ``linkpilot_cli.main`` prints as one
line naming the whole command.

The patterns are AWS's own (the API reference of each parameter; docs/cli.md#validation-before-any-call
lists them). A Region must be one botocore knows (``linkpilot_cli.adapters.regions``), so a typo gets a
did-you-mean instead of an endpoint that does not resolve.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import click

from linkpilot_cli.suggest import suggestion

# CloudFormation DeploymentTargets.OrganizationalUnitIds: an OU id, or the organization's root id
OU_ID = re.compile(r"^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$")
# CreateStackSet StackSetName: letters, digits and hyphens, starting with a letter, at most 128 characters
STACK_SET_NAME = re.compile(r"^[a-zA-Z][-a-zA-Z0-9]{0,127}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
# EC2 resource ids (the policy's own patterns: linkpilot.consumer.policy)
EC2_ID = {"vpc": re.compile(r"^vpc-[0-9a-f]{8,17}$"), "subnet": re.compile(r"^subnet-[0-9a-f]{8,17}$")}
# arn:partition:service:region:account-id:resource (the IAM User Guide's "ARN format")
ARN = re.compile(
    r"^arn:aws[a-z-]*:(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):(?P<account>\d{12})?:(?P<resource>.+)$"
)


class Invalid(ValueError):
    """A value AWS would refuse; the message says which and why."""


def csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def check_ou_id(value: str) -> str:
    if not OU_ID.match(value):
        raise Invalid(f"{value!r} is not an OU id (ou-xxxx-xxxxxxxx) or a root id (r-xxxx)")
    return value


def check_stack_set_name(value: str) -> str:
    if not STACK_SET_NAME.match(value):
        raise Invalid(
            f"{value!r} is not a StackSet name (letters, digits and hyphens, starting with a letter, "
            "at most 128 characters)"
        )
    return value


def check_stack_name(value: str) -> str:
    if not STACK_SET_NAME.match(value):  # CreateStack StackName: the same rule
        raise Invalid(
            f"{value!r} is not a stack name (letters, digits and hyphens, starting with a letter, "
            "at most 128 characters)"
        )
    return value


def check_region(value: str) -> str:
    if not REGION.match(value):
        raise Invalid(f"{value!r} is not a Region name (like us-east-1)")
    from linkpilot_cli.adapters.regions import known_regions

    known = known_regions()
    if known and value not in known:
        raise Invalid(f"{value!r} is not a Region AWS has{suggestion(value, sorted(known))}")
    return value


def check_ec2_id(value: str, kind: str) -> str:
    if not EC2_ID[kind].match(value):
        raise Invalid(f"{value!r} is not a {kind} id ({kind}-0123456789abcdef0)")
    return value


def check_arn(value: str, service: str, resource: str) -> str:
    """``value`` is an ARN of ``service``'s ``resource`` type (``resource-share/...``)."""
    found = ARN.match(value)
    if not found or found["service"] != service or not found["resource"].startswith(f"{resource}/"):
        raise Invalid(
            f"{value!r} is not an ARN of a {service} {resource} "
            f"(arn:aws:{service}:REGION:ACCOUNT:{resource}/ID)"
        )
    return value


def check_endpoint_url(name: str, value: str) -> str:
    """An endpoint URL (``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>``): http(s)://HOST[:PORT][/PATH]."""
    try:
        parts = urlsplit(value)
        port = parts.port  # raises for a port that is not a number in range
    except ValueError as exc:
        raise Invalid(f"{name}: {value!r} is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(f"{name}: {value!r} is not an endpoint URL (http://HOST[:PORT] or https://HOST[:PORT])")
    del port
    return value


def _click(check: Any) -> Any:
    def callback(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        if value is None:
            return value
        try:
            if isinstance(value, (tuple, list)):
                return tuple(check(v) for v in value)
            return check(value)
        except Invalid as exc:
            raise click.BadParameter(str(exc)) from None

    return callback


def _each(check: Any) -> Any:
    def all_of(text: str | Sequence[str]) -> tuple[str, ...]:
        values = csv(text) if isinstance(text, str) else tuple(text)
        if not values:
            raise Invalid("needs at least one value")
        return tuple(check(v) for v in values)

    return all_of


ou_ids = _click(_each(check_ou_id))
regions = _click(_each(check_region))
stack_set_name = _click(check_stack_set_name)
stack_name = _click(check_stack_name)
optional_region = _click(lambda value: check_region(value) if value else value)  # "": the command's default
optional_vpc_id = _click(lambda value: check_ec2_id(value, "vpc") if value else value)
optional_subnet_ids = _click(lambda text: _each(lambda v: check_ec2_id(v, "subnet"))(text) if text else ())


def arn_of(service: str, resource: str) -> Any:
    return _click(lambda value: check_arn(value, service, resource))
