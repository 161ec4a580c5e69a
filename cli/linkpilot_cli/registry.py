"""The commands ``linkpilot`` knows: what each one is called and which module builds it, and what the exit
codes mean. Built-in commands are listed here; other installed distributions add theirs through the
``linkpilot.commands`` entry-point group. A command's module is imported only by :func:`load`, when the
command is chosen (``linkpilot_cli.framework`` says how a module declares its command).
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import click

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


# Each built-in command and the module whose ``COMMAND`` it is; the order is the order of `linkpilot --help`.
BUILTIN_COMMANDS: dict[str, str] = {
    "reconcile": "linkpilot_cli.commands.reconcile",
    "probe": "linkpilot_cli.commands.probe",
    "status": "linkpilot_cli.commands.status",
    "cleanup": "linkpilot_cli.commands.cleanup",
    "provider": "linkpilot_cli.commands.provider",
    "stackset": "linkpilot_cli.commands.stackset",
    "policy": "linkpilot_cli.commands.policy",
    "init": "linkpilot_cli.commands.init",
    "completion": "linkpilot_cli.commands.completion",
    "doctor": "linkpilot_cli.commands.doctor",
    "acceptance": "linkpilot_cli.commands.acceptance",
}

# Other distributions add commands through this entry-point group: the development tooling (linkpilot-local,
# devtools/pyproject.toml) adds `local` and `demo`. An entry point names a module that has a ``COMMAND``
# (``linkpilot_cli.framework.command`` or ``group``), or the command itself (``module:ATTRIBUTE``). So the
# operator CLI installed alone lists only the commands it can run.
PLUGIN_GROUP = "linkpilot.commands"


@functools.cache
def commands() -> dict[str, str]:
    """Every command and where it is (``module`` or ``module:attribute``): the built-in ones, then those
    installed distributions add (a built-in name wins). Nothing is imported."""
    from importlib.metadata import entry_points

    found = dict(BUILTIN_COMMANDS)
    for entry in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        found.setdefault(entry.name, entry.value)
    return found


def load(name: str) -> click.Command:
    """The click command ``name`` (its module imported now)."""
    module, _, attribute = commands()[name].partition(":")
    command: click.Command = getattr(importlib.import_module(module), attribute or "COMMAND")
    return command


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("linkpilot")
    except PackageNotFoundError:  # pragma: no cover - running from a tree that was never installed
        return "unknown"
