"""The commands ``linkpilot`` knows: what each one is called, which module runs it, what its exit codes
mean and which global options it takes. Built-in commands are listed here; other installed distributions
add theirs through the ``linkpilot.commands`` entry-point group. Nothing here imports a command's module.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from linkpilot_cli.output import (
    EXIT_BUSY,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_READ_FAILED,
)

# What each exit code means, for every command (a command's help lists the ones it uses).
EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_FAILED: "an action failed (or an unexpected error: --debug shows the traceback)",
    EXIT_INVALID: "invalid input (options, policy, template, region, profile); nothing changed",
    EXIT_READ_FAILED: "reading AWS failed; nothing changed",
    EXIT_BUSY: "another run held the account's lease (LINKPILOT_STATE_TABLE set); nothing read or changed",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}


def exit_codes(
    ok: str, invalid: str, *, failed: str = "", read: str = "", busy: bool = False
) -> dict[int, str]:
    """One command's exit codes, in its own words for what 0 and 2 mean there, and 1 (``failed``) and 3
    (``read``) when it uses them; ``busy``: it may wait for the account's lease (4, the common words)."""
    codes = {EXIT_OK: ok, EXIT_INVALID: invalid}
    if failed:
        codes[EXIT_FAILED] = failed
    if read:
        codes[EXIT_READ_FAILED] = read
    if busy:
        codes[EXIT_BUSY] = EXIT_CODES[EXIT_BUSY]
    return codes


READ_FAILED = EXIT_CODES[EXIT_READ_FAILED]


@dataclass(frozen=True)
class CommandSpec:
    module: str
    summary: str
    exit_codes: dict[int, str]
    aws: bool = False  # takes --region and --profile
    output: bool = False  # takes --output
    description: str = ""  # for modules without a DESCRIPTION of their own


BUILTIN_COMMANDS: dict[str, CommandSpec] = {
    "reconcile": CommandSpec(
        "linkpilot_cli.commands.reconcile",
        "reconcile shares, invitations and endpoints with the policy",
        exit_codes(
            "every action done (or, with --dry-run, planned)",
            "the policy, the settings or an option is invalid; nothing changed",
            failed="an action failed (the report names it)",
            read=READ_FAILED,
            busy=True,
        ),
        aws=True,
        output=True,
    ),
    "probe": CommandSpec(
        "linkpilot_cli.commands.probe",
        "probe tcp/tls/http/https targets the way the probe function does",
        exit_codes(
            "every target is ok",
            "a URL or an option is invalid; nothing was probed",
            failed="a target is not ok (degraded, down, certificate expiring, invalid)",
        ),
        output=True,
        description="""\
Probe each URL with the probe function's own code: http:// and https:// (a GET judged on status and body),
tcp://HOST:PORT (connect), tls://HOST:PORT (handshake, certificate verified for the name). Every address the
name resolves to is probed (--resolve HOST:IP routes a name, as with curl). One JSON line per target on
stdout (--output json).""",
    ),
    "status": CommandSpec(
        "linkpilot_cli.commands.status",
        "managed endpoints, their state and last probe verdict",
        exit_codes(
            "the status was read (whatever it says)", "the policy or an option is invalid", read=READ_FAILED
        ),
        aws=True,
        output=True,
    ),
    "cleanup": CommandSpec(
        "linkpilot_cli.commands.cleanup",
        "list and delete the managed endpoints (uninstall)",
        exit_codes(
            "every managed endpoint deleted (or, with --dry-run, listed)",
            "the settings or an option is invalid; nothing changed",
            failed="EC2 refused to delete some (the report names them)",
            read="AWS failed; nothing changed",
            busy=True,
        ),
        aws=True,
        output=True,
    ),
    "provider": CommandSpec(
        "linkpilot_cli.commands.provider",
        "the provider's view: consumer endpoints on its shared configurations",
        exit_codes(
            "the view was read (whatever it says)",
            "an option is invalid, or no single share was found (name one with --share-arn)",
            read=READ_FAILED,
        ),
        aws=True,
        output=True,
    ),
    "stackset": CommandSpec(
        "linkpilot_cli.commands.stackset",
        "roll the consumer stack out to OUs with a service-managed StackSet",
        exit_codes(
            "every StackSet operation succeeded (or, with --dry-run, the plan was read)",
            "the template, the parameters or an option is invalid; nothing changed",
            failed="a StackSet operation failed or timed out, or a change was refused",
            read="reading the StackSet failed; nothing changed",
        ),
        aws=True,
        output=True,
    ),
}


# Other distributions add commands through this entry-point group: the development tooling (linkpilot-local,
# devtools/pyproject.toml) adds `local` and `demo`. An entry point names a module that provides ``SUMMARY``,
# ``EXIT_CODES`` (as ``exit_codes`` builds them), optionally ``DESCRIPTION``, and ``register``/``run``.
# So the operator CLI installed alone lists only the commands it can run.
PLUGIN_GROUP = "linkpilot.commands"


@functools.cache
def commands() -> dict[str, CommandSpec]:
    """Every command: the built-in ones, then those installed distributions add (a built-in name wins)."""
    from importlib.metadata import entry_points

    found = dict(BUILTIN_COMMANDS)
    for entry in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        if entry.name in found:
            continue
        module = entry.load()
        found[entry.name] = CommandSpec(
            entry.value,
            str(module.SUMMARY),
            dict(module.EXIT_CODES),
            description=str(getattr(module, "DESCRIPTION", "")),
        )
    return found
