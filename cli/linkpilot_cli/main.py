"""The ``linkpilot`` operator CLI: a thin dispatcher over one module per subcommand.

Subcommand modules are imported only when chosen, so ``linkpilot probe`` never imports boto3 and
``linkpilot local serve`` (development tooling outside the Lambda layer) is loaded only on demand.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol, cast

# name -> (module, one-line help). The module provides register(parser) and run(args) -> int.
COMMANDS: dict[str, tuple[str, str]] = {
    "reconcile": (
        "linkpilot_cli.commands.reconcile",
        "reconcile shares, invitations and endpoints with the policy",
    ),
    "probe": ("linkpilot_cli.commands.probe", "probe HTTP targets the way the probe function does"),
    "status": ("linkpilot_cli.commands.status", "managed endpoints, their state and last probe verdict"),
    "cleanup": ("linkpilot_cli.commands.cleanup", "list and delete the managed endpoints (uninstall)"),
    "local": ("linkpilot_local.cli", "the local AWS emulation (development and tests)"),
    "demo": ("linkpilot_demo.cli", "offline end-to-end demo against the local AWS"),
    "stackset": (
        "linkpilot_cli.commands.stackset",
        "roll the consumer stack out to OUs with a service-managed StackSet",
    ),
}


class _Command(Protocol):
    def register(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _load(name: str) -> _Command:
    return cast(_Command, importlib.import_module(COMMANDS[name][0]))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="linkpilot", description=__doc__.splitlines()[0] if __doc__ else None
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    # Parse only the command name first, then let the chosen module build its own parser.
    if not argv or argv[0] in {"-h", "--help"}:
        parser.print_help()
        return 0 if argv else 2
    if argv[0] not in COMMANDS:
        parser.print_help(sys.stderr)
        print(f"linkpilot: unknown command {argv[0]!r}", file=sys.stderr)
        return 2
    name = argv[0]
    command = _load(name)
    cmd_parser = argparse.ArgumentParser(prog=f"linkpilot {name}", description=COMMANDS[name][1])
    command.register(cmd_parser)
    # Options may stand between positional arguments (`linkpilot probe URL --timeout 2 URL`), except for
    # commands with subcommands of their own, which argparse cannot parse intermixed.
    has_subcommands = any(isinstance(a, argparse._SubParsersAction) for a in cmd_parser._actions)
    parse = cmd_parser.parse_args if has_subcommands else cmd_parser.parse_intermixed_args
    args = parse(argv[1:])
    return command.run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
