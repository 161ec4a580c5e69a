"""``linkpilot init``: a consumer account's starting files, from a few questions (or their flags).

Writes, in ``--directory``: ``policy.yaml`` (a commented example trust policy that validates as written,
naming its schema for editors), ``policy.schema.json`` (the schema, so editors validate offline), and
``samconfig.toml`` with the consumer stack's deploy parameters (``sam deploy --config-env NAME``). A file
that exists is never overwritten without ``--force``; an existing ``samconfig.toml`` is left alone and the
lines to add are printed instead. On a terminal each value not given as a flag is asked for; without one
(or with ``--no-input``) the flags and the defaults are used. Every value is checked before anything is
written (exit 2: nothing written). No AWS call.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click

from linkpilot_cli import validate
from linkpilot_cli.framework import Invocation, command
from linkpilot_cli.output import EXIT_OK, CliError, InvalidInput
from linkpilot_cli.registry import exit_codes

ACCOUNT = re.compile(r"^\d{12}$")
EMAIL = re.compile(r"^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$")  # the consumer template's AlertEmail pattern
EXAMPLE_VPC = "vpc-0123456789abcdef0"
EXAMPLE_ARN = '"arn:aws:vpc-lattice:us-east-1:111111111111:resourceconfiguration/rcfg-*"'
EXAMPLE_SUBNETS = ("subnet-0123456789abcdef0", "subnet-0fedcba9876543210")

DESCRIPTION = """\
Write a consumer account's starting files: policy.yaml (a commented example trust policy, with its schema
for editors) and the samconfig.toml lines that deploy the consumer stack with the same choices. Asks for
what no flag gave, on a terminal; --no-input uses the flags and the defaults. Nothing is overwritten
without --force; no AWS call."""

POLICY = """\
# yaml-language-server: $schema=policy.schema.json
# Linkpilot trust policy, written by `linkpilot init`. Check it with: linkpilot policy validate {name}
# Every key: docs/configuration.md#trust-policy-reference. Default deny: nothing untrusted is accepted.
$schema: policy.schema.json

# Provider accounts whose shares may be accepted (quote them: YAML would read 12 digits as a number).
trusted_accounts:{accounts}

# Resource configurations acceptable from those accounts (ARN globs); leave it out to accept any of theirs.
{allowed}

# An invitation the policy refuses: leave it to expire (ignore) or reject it (reject).
untrusted_invitations: {untrusted}

# Where the resource endpoints go. The deployed stack reads these from the account baseline's SSM
# parameters (docs/deploy.md#account-baseline-the-per-account-values); here they serve
# `linkpilot reconcile --policy {name}` from a shell.
endpoint:
  vpc_id: "{vpc}"{vpc_note}
  subnet_ids:{subnets}
  security_group_ids: []      # empty: the stack's own group (admits the probe); add yours for clients
  private_dns: false

# A configuration missing from the shares for this long loses its endpoint (one missed read is not gone).
delete_endpoints_on_unshare: true
unshare_grace_minutes: 15

# How each endpoint is probed (docs/configuration.md#probe-kinds-overrides-addresses-certificates).
probe:
  defaults:
    kind: tcp
    port: 443
"""


def _list(values: tuple[str, ...], indent: str = "  ") -> str:
    return "".join(f'\n{indent}- "{v}"' for v in values) if values else " []"


def _accounts(text: str) -> tuple[str, ...]:
    values = validate.csv(text)
    bad = [v for v in values if not ACCOUNT.match(v)]
    if bad:
        raise InvalidInput(f"--trusted-accounts: {bad[0]!r} is not an account id (12 digits)")
    return values


def policy_text(
    *,
    name: str,
    accounts: tuple[str, ...],
    allowed: tuple[str, ...],
    untrusted: str,
    vpc: str,
    subnets: tuple[str, ...],
) -> str:
    example = vpc == EXAMPLE_VPC
    return POLICY.format(
        name=name,
        accounts=_list(accounts),
        allowed="allowed_resource_configuration_arns:" + _list(allowed)
        if allowed
        else "# allowed_resource_configuration_arns:\n#   - " + EXAMPLE_ARN,
        untrusted=untrusted,
        vpc=vpc,
        vpc_note="         # an example: put your VPC's id here" if example else "",
        subnets=_list(subnets, "    "),
    )


def samconfig_text(
    *,
    env: str,
    stack: str,
    region: str,
    accounts: tuple[str, ...],
    allowed: tuple[str, ...],
    untrusted: str,
    email: str,
) -> str:
    overrides = [
        f"TrustedAccounts={','.join(accounts)}" if accounts else "",
        f"UntrustedInvitations={untrusted}",
    ]
    if allowed:
        overrides.append(f"AllowedResourceConfigurationArns={','.join(allowed)}")
    if email:
        overrides.append(f"AlertEmail={email}")
    joined = " ".join(o for o in overrides if o)
    return f"""\
# The consumer stack for this account, written by `linkpilot init` (same choices as policy.yaml).
# Deploy: sam build && sam deploy --config-env {env}
# Parameters: docs/configuration.md#consumer-stack-parameters
[{env}.deploy.parameters]
stack_name = "{stack}"
region = "{region}"
template_file = ".aws-sam/build/template.yaml"
capabilities = "CAPABILITY_IAM"
confirm_changeset = true
resolve_s3 = true
parameter_overrides = {json.dumps(joined)}
"""


@command(
    "init",
    summary="write a commented example policy and the samconfig.toml lines for a consumer account",
    description=DESCRIPTION,
    examples=(
        "linkpilot init",
        "linkpilot init --no-input --trusted-accounts 111111111111 --alert-email ops@example.com",
        "linkpilot init --directory infra/linkpilot --region eu-west-1 --untrusted-invitations reject",
    ),
    exit_codes=exit_codes(
        "the files were written",
        "a value is invalid, a file exists (--force), or the directory cannot be made; nothing written",
        failed="a file could not be written (the error names it and those written before it)",
    ),
)
@click.option(
    "--directory", type=click.Path(file_okay=False, path_type=Path), default=Path(), help="where to write (.)"
)
@click.option(
    "--trusted-accounts", metavar="IDS", help="provider account ids, comma separated (none: trust nobody yet)"
)
@click.option(
    "--allowed-arns",
    metavar="GLOBS",
    default="",
    help="acceptable resource configuration ARN globs, comma separated",
)
@click.option(
    "--untrusted-invitations", type=click.Choice(["ignore", "reject"]), help="ignore (default) or reject"
)
@click.option("--alert-email", metavar="ADDRESS", help="e-mail subscribed to the stack's alarms (optional)")
@click.option(
    "--vpc-id", metavar="ID", help="the VPC for `reconcile --policy` from a shell (default: an example id)"
)
@click.option("--subnet-ids", metavar="IDS", help="its subnets, comma separated (default: example ids)")
@click.option("--region", help="the stack's Region (default: AWS_REGION, else us-east-1)")
@click.option(
    "--stack-name",
    default="linkpilot-consumer",
    callback=validate.stack_name,
    help="the stack's name (linkpilot-consumer)",
)
@click.option("--config-env", default="default", help="the samconfig.toml environment (default)")
@click.option("--no-input", is_flag=True, help="ask nothing: flags and defaults only")
@click.option("--force", is_flag=True, help="overwrite files that exist")
def COMMAND(
    call: Invocation,
    *,
    directory: Path,
    trusted_accounts: str | None,
    allowed_arns: str,
    untrusted_invitations: str | None,
    alert_email: str | None,
    vpc_id: str | None,
    subnet_ids: str | None,
    region: str | None,
    stack_name: str,
    config_env: str,
    no_input: bool,
    force: bool,
) -> int:
    import os

    ask = not no_input and sys.stdin.isatty()

    def value(given: str | None, question: str, default: str) -> str:
        if given is not None or not ask:
            return default if given is None else given
        return str(click.prompt(question, default=default, show_default=bool(default), err=True))

    accounts = _accounts(value(trusted_accounts, "Provider account ids to trust (comma separated)", ""))
    untrusted = value(untrusted_invitations, "Untrusted invitations: ignore or reject", "ignore")
    if untrusted not in ("ignore", "reject"):
        raise InvalidInput(f"untrusted invitations: {untrusted!r} is neither ignore nor reject")
    email = value(alert_email, "E-mail for the alarms (empty: none)", "")
    if email and not EMAIL.match(email):
        raise InvalidInput(f"--alert-email: {email!r} is not an e-mail address")
    chosen_region = value(region, "Region", os.environ.get("AWS_REGION") or "us-east-1")
    try:
        validate.check_region(chosen_region)
    except validate.Invalid as exc:
        raise InvalidInput(f"--region: {exc}") from None
    vpc = vpc_id or EXAMPLE_VPC
    subnets = validate.csv(subnet_ids) if subnet_ids else EXAMPLE_SUBNETS
    allowed = validate.csv(allowed_arns)

    policy_path, schema_path, samconfig_path = (
        directory / "policy.yaml",
        directory / "policy.schema.json",
        directory / "samconfig.toml",
    )
    existing = [p for p in (policy_path, schema_path) if p.exists()]
    if existing and not force:
        raise InvalidInput(f"{existing[0]} exists: pass --force to overwrite it; nothing written")
    text = policy_text(
        name=policy_path.name,
        accounts=accounts,
        allowed=allowed,
        untrusted=untrusted,
        vpc=vpc,
        subnets=subnets,
    )
    _check(text)
    from linkpilot.consumer.policy import policy_json_schema

    samconfig = samconfig_text(
        env=config_env,
        stack=stack_name,
        region=chosen_region,
        accounts=accounts,
        allowed=allowed,
        untrusted=untrusted,
        email=email,
    )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(
            f"--directory {directory}: cannot create it ({exc.strerror}); nothing written"
        ) from None
    written: list[Path] = []
    _write(policy_path, text, written)
    _write(schema_path, json.dumps(policy_json_schema(), indent=2) + "\n", written)
    if samconfig_path.exists() and not force:
        call.out.warning(f"{samconfig_path} exists and is left alone: add these lines to it")
        click.echo(samconfig)
    else:
        _write(samconfig_path, samconfig, written)
    call.out.progress("wrote " + ", ".join(str(p) for p in written))
    return EXIT_OK


def _write(path: Path, text: str, written: list[Path]) -> None:
    """One file written, or one line saying which could not be and what was written before it."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        before = f"; already written: {', '.join(map(str, written))}" if written else "; nothing written"
        raise CliError(f"cannot write {path}: {exc.strerror}{before}") from None
    written.append(path)


def _check(text: str) -> None:
    """The policy about to be written validates: a bad --vpc-id or --subnet-ids stops here."""
    import yaml

    from linkpilot.consumer.policy import TrustPolicy
    from linkpilot.spec import SpecError

    try:
        TrustPolicy.load(yaml.safe_load(text), "policy.yaml")
    except SpecError as exc:
        raise InvalidInput(str(exc)) from None
