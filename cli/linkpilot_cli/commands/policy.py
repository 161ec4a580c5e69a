"""``linkpilot policy validate FILE`` / ``policy json FILE`` / ``policy schema``: the trust policy as a file.

A policy is YAML or JSON, told apart by content, with or without a UTF-8 byte-order mark, and may name its
schema (``$schema``: docs/policy.schema.json, which ``policy schema`` prints) so that editors complete and
validate it. ``validate`` checks it the way the controller does (one validator,
``linkpilot.consumer.policy``), with a did-you-mean for an unknown key; ``json`` prints the compact JSON the
controller reads from its SSM parameter (the Lambda function parses JSON only).
"""

from __future__ import annotations

import click

from linkpilot_cli.framework import Invocation, command, group
from linkpilot_cli.output import EXIT_OK, InvalidInput, Table
from linkpilot_cli.registry import exit_codes

DESCRIPTION = """\
The trust policy as a file: YAML or JSON (by content; a UTF-8 byte-order mark is fine), checked the way
the controller checks it. Add "$schema" (the schema `linkpilot policy schema` prints, published as
docs/policy.schema.json) and editors complete and validate it as you type."""

CODES = exit_codes("the policy is valid (and was printed)", "the policy is invalid: every problem is named")
COMMAND = group(
    "policy",
    summary="validate a trust policy (YAML or JSON), print it as JSON, print its schema",
    description=DESCRIPTION,
    examples=(
        "linkpilot policy validate policy.yaml",
        "linkpilot policy json policy.yaml > policy.json",
        "linkpilot policy schema > policy.schema.json",
    ),
    exit_codes=CODES,
)


@command(
    "validate",
    summary="check a policy file the way the controller does",
    description="Check FILE (YAML or JSON) the way the controller checks its policy; name every problem.",
    examples=("linkpilot policy validate policy.yaml", "linkpilot policy validate policy.json --output json"),
    exit_codes=CODES,
    output=True,
)
@click.argument("file", type=click.Path(dir_okay=False))
def validate(call: Invocation, file: str) -> int:
    from linkpilot.consumer.policy import PolicyError
    from linkpilot_cli.policy_files import load_policy

    out = call.out
    try:
        policy = load_policy(file)
    except PolicyError as exc:
        if out.format == "json":
            out.document({"file": file, "valid": False, "problems": list(exc.problems)}, [])
        raise InvalidInput(str(exc)) from None
    document = policy.to_json()
    rows = (
        ("trusted accounts", ", ".join(document["trusted_accounts"]) or "none (trusts nobody)"),
        ("untrusted invitations", document["untrusted_invitations"]),
        ("endpoint VPC", document["endpoint"]["vpc_id"]),
        ("service networks", "taken" if document["service_networks"] else "refused"),
    )
    out.document(
        {"file": file, "valid": True, "policy": document},
        [Table("policy", f"{file} is valid; settings", ("SETTING", "VALUE"), rows)],
    )
    return EXIT_OK


@command(
    "json",
    summary="print a policy file as the compact JSON the controller reads",
    description=(
        "Validate FILE, then print it as compact JSON (no $schema): the value of the controller's policy "
        "SSM parameter, or a JSON copy of a YAML policy."
    ),
    examples=("linkpilot policy json policy.yaml",),
    exit_codes=CODES,
)
@click.argument("file", type=click.Path(dir_okay=False))
def as_json(call: Invocation, file: str) -> int:
    from linkpilot.consumer.policy import PolicyError
    from linkpilot_cli.policy_files import policy_parameter

    try:
        click.echo(policy_parameter(file))
    except PolicyError as exc:
        raise InvalidInput(str(exc)) from None
    return EXIT_OK


@command(
    "schema",
    summary="print the policy's JSON schema",
    description="Print the policy's JSON schema (draft 2020-12), as published in docs/policy.schema.json.",
    examples=("linkpilot policy schema > policy.schema.json",),
    exit_codes=exit_codes("the schema was printed", "an option is invalid"),
)
def schema(call: Invocation) -> int:
    from linkpilot.consumer.policy import policy_json_schema

    call.out.json(policy_json_schema())
    return EXIT_OK


for _command in (validate, as_json, schema):
    COMMAND.add_command(_command)
