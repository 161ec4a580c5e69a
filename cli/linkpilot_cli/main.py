"""``linkpilot``: parse the global options and the command name, then hand over to the command's module.

Command modules are imported only when chosen, so ``linkpilot probe`` never imports boto3 and
``linkpilot local serve`` (development tooling outside the Lambda layer) is loaded only on demand.
A module provides ``register(parser)`` and ``run(args) -> int``; ``args.out`` is the command's
``linkpilot_cli.output.Output``. Errors become one line on stderr and an exit code (see ``EXIT_CODES``).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, cast

from linkpilot_cli.output import (
    EXIT_BUSY,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_READ_FAILED,
    FORMATS,
    CliError,
    Output,
    colour_allowed,
    paint,
)

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


class _Command(Protocol):
    def register(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


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


def command_parser(name: str, command: _Command | None = None) -> argparse.ArgumentParser:
    """The parser of one command, with the global options (also on each sub-action, e.g. ``deploy``)."""
    spec = commands()[name]
    command = command or cast(_Command, importlib.import_module(spec.module))
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


def _parse(
    parser: argparse.ArgumentParser, argv: Sequence[str], namespace: argparse.Namespace
) -> argparse.Namespace:
    # Options may stand between positional arguments (`linkpilot probe URL --timeout 2 URL`), except for
    # commands with subcommands of their own, which argparse cannot parse intermixed.
    if _has_subcommands(parser):
        return parser.parse_args(argv, namespace=namespace)
    return parser.parse_intermixed_args(argv, namespace=namespace)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("linkpilot: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`linkpilot status | head`): stop quietly, as the Python docs advise
        # ("Note on SIGPIPE" in the signal module's documentation)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED


def _main(argv: list[str]) -> int:
    parsed = _parse_argv(argv)
    if isinstance(parsed, int):
        return parsed
    name, args = parsed
    debug = bool(getattr(args, "debug", False))
    try:
        args.out = Output(
            name,
            getattr(args, "output", None),
            quiet=bool(getattr(args, "quiet", False)),
            no_colour=bool(getattr(args, "no_color", False)),
        )
        return cast(_Command, importlib.import_module(commands()[name].module)).run(args)
    except CliError as exc:
        _error(name, str(exc), argv)
        return exc.exit_code
    except KeyboardInterrupt:
        _error(name, "interrupted", argv)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the CLI's last resort: one line, not a traceback
        if debug:
            traceback.print_exc()
        if _unparseable_answer(exc):  # a command's own AWS read, outside the adapters: not our bug
            from linkpilot.aws.errors import transient

            _error(name, f"reading AWS failed: {transient(exc).message}", argv)
            return EXIT_READ_FAILED
        hint = "" if debug else " (run with --debug for the traceback)"
        _error(name, f"unexpected error: {type(exc).__name__}: {exc}{hint}", argv)
        return EXIT_FAILED


def _unparseable_answer(exc: Exception) -> bool:
    """botocore could not parse an AWS answer (``linkpilot.aws.errors.unparseable_answer``); botocore is
    never imported for it when the command made no AWS call."""
    if "botocore" not in sys.modules:
        return False
    from linkpilot.aws.errors import unparseable_answer

    return unparseable_answer(exc)


def _parse_argv(argv: list[str]) -> tuple[str, argparse.Namespace] | int:
    """(command, its arguments), or the exit code when parsing ended it (help, version, a usage error)."""
    try:
        top = top_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error argparse has reported
        return _code(exc)
    name = top.command
    if name is None:
        top_parser().print_help()
        return EXIT_INVALID
    if name not in commands():
        _error("", f"unknown command {name!r} (`linkpilot --help` lists the commands)", argv)
        return EXIT_INVALID
    spec = commands()[name]
    given = {k: v for k, v in vars(top).items() if k not in {"command", "args"}}
    misplaced = [
        f"--{k}"
        for k in ("output", "region", "profile")
        if k in given and not (spec.output if k == "output" else spec.aws)
    ]
    if misplaced:
        _error(name, f"{', '.join(misplaced)} does not apply to this command", argv)
        return EXIT_INVALID
    try:
        return name, _parse(command_parser(name), top.args, argparse.Namespace(**given))
    except SystemExit as exc:
        return _code(exc)


def _error(name: str, message: str, argv: Sequence[str]) -> None:
    """One line on stderr; its prefix in red on a terminal (never with NO_COLOR or --no-color)."""
    colour = colour_allowed(sys.stderr, disabled="--no-color" in argv)
    prefix = f"linkpilot {name}:" if name else "linkpilot:"
    print(f"{paint(prefix, 'red', colour)} {message}", file=sys.stderr)


def _code(exc: SystemExit) -> int:
    return exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None else EXIT_FAILED)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
