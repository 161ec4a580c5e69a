"""``linkpilot``: parse the global options and the command name, then hand over to the command's module.

Command modules are imported only when chosen, so ``linkpilot probe`` never imports boto3 and
``linkpilot local serve`` (development tooling outside the Lambda layer) is loaded only on demand.
A module provides ``register(parser)`` and ``run(args) -> int``; ``args.out`` is the command's
``linkpilot_cli.output.Output``. Errors become one line on stderr and an exit code (see ``EXIT_CODES``).
The commands are listed in ``linkpilot_cli.registry``; their parsers are built in ``linkpilot_cli.parser``.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from linkpilot_cli.output import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_READ_FAILED,
    CliError,
    Output,
    colour_allowed,
    paint,
)
from linkpilot_cli.parser import (
    DESCRIPTION,
    add_global_options,
    command_parser,
    load,
    parse,
    top_parser,
    version,
)
from linkpilot_cli.registry import (
    BUILTIN_COMMANDS,
    EXIT_CODES,
    PLUGIN_GROUP,
    READ_FAILED,
    CommandSpec,
    commands,
    exit_codes,
)

__all__ = [  # what other distributions (linkpilot-local's commands) and the tests use from here
    "BUILTIN_COMMANDS",
    "DESCRIPTION",
    "EXIT_CODES",
    "PLUGIN_GROUP",
    "READ_FAILED",
    "CommandSpec",
    "add_global_options",
    "command_parser",
    "commands",
    "exit_codes",
    "main",
    "top_parser",
    "version",
]


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
        return load(name).run(args)
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
        return name, parse(command_parser(name), top.args, argparse.Namespace(**given))
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
