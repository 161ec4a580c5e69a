"""The argument parsers of ``linkpilot``: the top level (global options and the command name) and each
command's own (its module's ``register`` plus the global options it takes), with the help texts people read.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from typing import Protocol, cast

from linkpilot_cli.output import EXIT_FAILED, EXIT_INTERRUPTED, FORMATS
from linkpilot_cli.registry import EXIT_CODES, CommandSpec, commands

DESCRIPTION = """\
Linkpilot's operator CLI. Linkpilot onboards AWS PrivateLink resource endpoints hands-free: a provider
shares a VPC Lattice resource configuration through AWS RAM, the consumer's controller accepts the share
when its trust policy allows and creates the resource endpoint, and a probe checks each endpoint. This
command runs the same reconcile and probe from a shell, reports status, and rolls the consumer stack out
to organizational units with a StackSet.

AWS credentials and Region come from the standard AWS configuration (AWS_PROFILE or --profile,
AWS_REGION or --region; AWS_ENDPOINT_URL points at the local AWS emulation).

Output: data on stdout, progress and diagnostics on stderr. --output table|json|text; the default is a
table on a terminal and JSON otherwise. Colour only on a terminal and never when NO_COLOR is set."""


class Command(Protocol):
    def register(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def load(name: str) -> Command:
    """The module of command ``name`` (imported only when that command is chosen)."""
    return cast(Command, importlib.import_module(commands()[name].module))


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("linkpilot")
    except PackageNotFoundError:  # pragma: no cover - running from a tree that was never installed
        return "unknown"


def _exit_codes_text(codes: dict[int, str]) -> str:
    shown = {**codes, EXIT_INTERRUPTED: EXIT_CODES[EXIT_INTERRUPTED]}
    if EXIT_FAILED not in codes:
        shown[EXIT_FAILED] = "an unexpected error (--debug shows the traceback)"
    return "exit status:\n" + "\n".join(f"  {code:<4} {meaning}" for code, meaning in sorted(shown.items()))


def add_global_options(
    parser: argparse.ArgumentParser, spec: CommandSpec | None, *, default: object = None
) -> None:
    """The options every command takes (``spec`` None: all of them, at the top level)."""
    if spec is None or spec.output:
        parser.add_argument(
            "--output",
            choices=FORMATS,
            default=default,
            help="table, json or text (default: table on a terminal, json otherwise)",
        )
    if spec is None or spec.aws:
        from linkpilot_cli.aws import add_aws_options

        add_aws_options(parser, default=default)
    parser.add_argument(
        "--no-color",
        action="store_true",
        default=default if default is not None else False,
        help="no colour even on a terminal (NO_COLOR=1 does the same)",
    )
    parser.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        default=default if default is not None else False,
        help="no progress messages on stderr",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default if default is not None else False,
        help="show the traceback of an unexpected error",
    )


def top_parser() -> argparse.ArgumentParser:
    known = commands()
    width = max(len(name) for name in known)
    listing = "\n".join(f"  {name:<{width}}  {spec.summary}" for name, spec in known.items())
    parser = argparse.ArgumentParser(
        prog="linkpilot",
        usage="linkpilot [OPTIONS] COMMAND [ARGS...]",
        description=DESCRIPTION,
        epilog=f"commands:\n{listing}\n\n{_exit_codes_text(EXIT_CODES)}\n\n"
        "`linkpilot COMMAND --help` describes each command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"linkpilot {version()}", help="print the version"
    )
    add_global_options(parser, None, default=argparse.SUPPRESS)
    parser.add_argument("command", nargs="?", metavar="COMMAND", help="one of the commands below")
    parser.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def command_parser(name: str, command: Command | None = None) -> argparse.ArgumentParser:
    """The parser of one command, with the global options (also on each sub-action, e.g. ``deploy``)."""
    spec = commands()[name]
    command = command or load(name)
    parser = argparse.ArgumentParser(
        prog=f"linkpilot {name}",
        description=_description(command, spec),
        epilog=_exit_codes_text(spec.exit_codes),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.register(parser)
    add_global_options(parser, spec)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            summaries = {a.dest: a.help for a in action._choices_actions}
            for sub_name, sub in action.choices.items():
                sub.description = sub.description or summaries.get(sub_name)
                sub.formatter_class = argparse.RawDescriptionHelpFormatter
                if not sub.epilog:
                    sub.epilog = _exit_codes_text(spec.exit_codes)
                add_global_options(sub, spec, default=argparse.SUPPRESS)
    return parser


def _description(command: object, spec: CommandSpec) -> str:
    return str(getattr(command, "DESCRIPTION", "") or spec.description or spec.summary)


def _has_subcommands(parser: argparse.ArgumentParser) -> bool:
    return any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)


def parse(
    parser: argparse.ArgumentParser, argv: Sequence[str], namespace: argparse.Namespace
) -> argparse.Namespace:
    """A command's arguments. Options may stand between positional arguments (`linkpilot probe URL
    --timeout 2 URL`), except for commands with subcommands of their own, which argparse cannot parse
    intermixed."""
    if _has_subcommands(parser):
        return parser.parse_args(argv, namespace=namespace)
    return parser.parse_intermixed_args(argv, namespace=namespace)
