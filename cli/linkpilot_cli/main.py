"""``linkpilot``: the top-level command (the global options, ``--version``) and the one place a run's errors
become one line on stderr and an exit status (``linkpilot_cli.registry.EXIT_CODES``).

The commands are listed in ``linkpilot_cli.registry`` and declared with ``linkpilot_cli.framework`` (whose
docstring says how to add one); a command's module is imported only when it is chosen, so ``linkpilot
--version`` imports no command, no AWS SDK and no rich.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import click

from linkpilot_cli.framework import (
    CONTEXT,
    GLOBAL_OPTIONS,
    Group,
    RunState,
    epilog,
    global_options,
    state,
)
from linkpilot_cli.output import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_READ_FAILED,
    CliError,
    colour_allowed,
    paint,
)
from linkpilot_cli.registry import (
    BUILTIN_COMMANDS,
    EXIT_CODES,
    PLUGIN_GROUP,
    READ_FAILED,
    commands,
    exit_codes,
    load,
    version,
)

__all__ = [  # what other distributions (linkpilot-local's commands) and the tests use from here
    "BUILTIN_COMMANDS",
    "DESCRIPTION",
    "EXIT_CODES",
    "PLUGIN_GROUP",
    "READ_FAILED",
    "ROOT",
    "commands",
    "exit_codes",
    "main",
    "version",
]

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

EXAMPLES = (
    "linkpilot init",
    "linkpilot policy validate policy.yaml",
    "linkpilot reconcile --policy policy.yaml --dry-run",
    "linkpilot status --output json | jq .summary",
    "linkpilot COMMAND --help",
)


class Root(Group):
    """The top level: the registry's commands, each loaded when chosen."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(commands())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load(cmd_name) if cmd_name in commands() else None


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"linkpilot {version()}")
        ctx.exit(EXIT_OK)


@click.group(
    "linkpilot",
    cls=Root,
    help=DESCRIPTION,
    epilog=epilog(EXAMPLES, EXIT_CODES),
    context_settings=CONTEXT,
    no_args_is_help=True,
)
@click.option(
    "--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
    help="print the version",
)  # fmt: skip
@global_options()
def ROOT(**given: Any) -> None:
    state(click.get_current_context()).given = {k: v for k, v in given.items() if k in GLOBAL_OPTIONS}


def main(argv: Sequence[str] | None = None) -> int:  # noqa: PLR0911 - one return per way a run ends
    argv = list(sys.argv[1:] if argv is None else argv)
    run = RunState(no_color="--no-color" in argv, debug="--debug" in argv)
    try:
        result = ROOT.main(args=argv, prog_name="linkpilot", standalone_mode=False, obj=run)
    except click.exceptions.NoArgsIsHelpError as exc:  # `linkpilot`, `linkpilot provider`: the help, exit 2
        click.echo(exc.ctx.get_help() if exc.ctx else "")
        return EXIT_INVALID
    except click.UsageError as exc:
        message = " ".join(exc.format_message().split())  # one line, whatever click wrapped
        hint = f" (`{exc.ctx.command_path} --help` for usage)" if exc.ctx and "--help`" not in message else ""
        _error(run, _path(exc.ctx), message + hint)
        return EXIT_INVALID
    except click.Abort:  # Ctrl-C (click turns KeyboardInterrupt into Abort), or end of input at a prompt
        _error(run, run.path, "interrupted")
        return EXIT_INTERRUPTED
    except click.ClickException as exc:
        _error(run, run.path, exc.format_message())
        return exc.exit_code
    except CliError as exc:
        _error(run, run.path, str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _error(run, run.path, "interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`linkpilot status | head`): stop quietly, as the Python docs advise
        # ("Note on SIGPIPE" in the signal module's documentation)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
    except SystemExit as exc:  # click after a broken pipe, or a command that exits on its own
        return exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None else EXIT_FAILED)
    except Exception as exc:  # noqa: BLE001 - the CLI's last resort: one line, not a traceback
        return _unexpected(run, exc)
    return result if isinstance(result, int) else EXIT_OK


def _path(ctx: click.Context | None) -> str:
    if ctx is None:
        return ""
    return ctx.command_path.removeprefix(ctx.find_root().info_name or "").strip()


def _unexpected(run: RunState, exc: Exception) -> int:
    if run.debug:
        traceback.print_exc()
    if _unparseable_answer(exc):  # a command's own AWS read, outside the adapters: not our bug
        from linkpilot.aws.errors import transient

        _error(run, run.path, f"reading AWS failed: {transient(exc).message}")
        return EXIT_READ_FAILED
    hint = "" if run.debug else " (run with --debug for the traceback)"
    _error(run, run.path, f"unexpected error: {type(exc).__name__}: {exc}{hint}")
    return EXIT_FAILED


def _unparseable_answer(exc: Exception) -> bool:
    """botocore could not parse an AWS answer (``linkpilot.aws.errors.unparseable_answer``); botocore is
    never imported for it when the command made no AWS call."""
    if "botocore" not in sys.modules:
        return False
    from linkpilot.aws.errors import unparseable_answer

    return unparseable_answer(exc)


def _error(run: RunState, path: str, message: str) -> None:
    """One line on stderr that names the whole command; its prefix red on a terminal (never with NO_COLOR
    or --no-color)."""
    from linkpilot.foreign import escape

    colour = colour_allowed(sys.stderr, disabled=run.no_color)
    prefix = f"linkpilot {path}:" if path else "linkpilot:"
    print(f"{paint(prefix, 'red', colour)} {escape(message)}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
