"""The one way a ``linkpilot`` command is declared: click, with the project's conventions built in.

How to add a command
--------------------
Write a module that builds a click command (or group) with :func:`command` (or :func:`group`) and names it
``COMMAND``::

    import click
    from linkpilot_cli.framework import Invocation, command
    from linkpilot_cli.registry import exit_codes

    @command(
        "doctor",
        summary="check this account's set-up",
        description="What it reads and what it says.",
        examples=["linkpilot doctor", "linkpilot doctor --output json"],
        exit_codes=exit_codes("every check passed", "an option is invalid", failed="a check failed"),
        aws=True,      # takes --region and --profile; call.session() is the AWS session
        output=True,   # takes --output table|json|text; call.out renders
    )
    @click.option("--strict", is_flag=True, help="fail on warnings too")
    def COMMAND(call: Invocation, strict: bool) -> int:
        ...
        return 0

Then register it: a module of this package gets one line in ``linkpilot_cli.registry.BUILTIN_COMMANDS``
(``"doctor": "linkpilot_cli.commands.doctor"``); another distribution declares an entry point in the
``linkpilot.commands`` group (``doctor = "its_package.cli"``, or ``"its_package.cli:COMMAND"``), as
linkpilot-local does for ``local`` and ``demo`` (devtools/pyproject.toml). Modules are imported only when
their command is chosen (or help lists them), so ``linkpilot --version`` imports none.

What every command gets from here: one-line usage errors (exit 2) naming the whole command, with a
did-you-mean; ``--help`` with its examples and its exit codes; the global options (``--output``,
``--region``/``--profile``, ``--quiet``, ``--no-color``, ``--debug``), given before or after the command's
name; errors as one line on stderr (``linkpilot_cli.main``). A callback returns its exit status and raises
``linkpilot_cli.output.CliError`` (``InvalidInput``: exit 2, ``ReadFailed``: exit 3) to stop with one line.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import click

from linkpilot_cli.output import EXIT_FAILED, EXIT_INTERRUPTED, FORMATS, Output
from linkpilot_cli.registry import EXIT_CODES
from linkpilot_cli.suggest import suggestion

GLOBAL_OPTIONS = ("output", "region", "profile", "no_color", "quiet", "debug")
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


@dataclass
class RunState:
    """One ``linkpilot`` run: the global options given before the command, and the command chosen."""

    given: dict[str, Any] = field(default_factory=dict)
    path: str = ""  # "provider status": what every diagnostic names
    debug: bool = False
    no_color: bool = False


@dataclass(frozen=True)
class Invocation:
    """What a command's callback receives first: its output, and the AWS options when it takes them."""

    out: Output
    region: str | None = None
    profile: str | None = None

    def session(self) -> Any:
        """The boto3 session (``linkpilot_cli.aws.session_from``): a bad Region or profile is exit 2."""
        from linkpilot_cli.aws import session_from

        return session_from(self)


def state(ctx: click.Context) -> RunState:
    """The run's state (``main`` makes it; a command invoked on its own, by a test runner, gets one)."""
    return ctx.ensure_object(RunState)


def epilog(examples: Sequence[str], codes: Mapping[int, str]) -> str:
    """The end of a ``--help``: examples, then exit codes (after ``\\b`` click keeps the lines as written)."""
    shown = {**codes, EXIT_INTERRUPTED: EXIT_CODES[EXIT_INTERRUPTED]}
    shown.setdefault(EXIT_FAILED, "an unexpected error (--debug shows the traceback)")
    lines = "\n".join(f"  {code:<4} {meaning}" for code, meaning in sorted(shown.items()))
    sample = "\n".join(f"  {example}" for example in examples)
    return f"\b\nExamples:\n{sample}\n\n\b\nExit status:\n{lines}"


class Group(click.Group):
    """A group whose unknown subcommand is a one-line usage error with a did-you-mean."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0]
        found = self.get_command(ctx, name)
        if found is None and not name.startswith("-"):
            listing = "linkpilot --help" if ctx.parent is None else f"{ctx.command_path} --help"
            raise click.UsageError(
                f"unknown command {name!r}{suggestion(name, self.list_commands(ctx))} "
                f"(`{listing}` lists the commands)",
                ctx,
            )
        return super().resolve_command(ctx, args)


def _global_options(aws: bool, output: bool) -> list[Callable[[Any], Any]]:
    options: list[Callable[[Any], Any]] = []
    if output:
        options.append(
            click.option(
                "--output",
                type=click.Choice(FORMATS),
                help="table, json or text (default: table on a terminal, json otherwise)",
            )
        )
    if aws:
        options += [
            click.option(
                "--region",
                metavar="REGION",
                help="AWS Region (default: AWS_REGION, then AWS_DEFAULT_REGION, then the profile's region)",
            ),
            click.option(
                "--profile",
                metavar="NAME",
                help="named profile from the AWS config and credentials files (default: AWS_PROFILE)",
            ),
        ]
    options += [
        click.option(
            "--no-color", is_flag=True, help="no colour even on a terminal (NO_COLOR=1 does the same)"
        ),
        click.option("--quiet", "-q", is_flag=True, help="no progress messages on stderr"),
        click.option("--debug", is_flag=True, help="show the traceback of an unexpected error"),
    ]
    return options


def global_options(aws: bool = True, output: bool = True) -> Callable[[Any], Any]:
    """Decorate a callback with the global options (the top level takes them all)."""

    def decorate(f: Any) -> Any:
        for option in reversed(_global_options(aws, output)):
            f = option(f)
        return f

    return decorate


def _invocation(ctx: click.Context, given: dict[str, Any], *, aws: bool, output: bool) -> Invocation:
    run = state(ctx)
    top = run.given
    for name in ("output", "region", "profile"):
        if top.get(name) and not (output if name == "output" else aws):
            raise click.UsageError(f"--{name} does not apply to this command", ctx)
    merged = {k: given.get(k) or top.get(k) for k in GLOBAL_OPTIONS}
    run.path = ctx.command_path.removeprefix(ctx.find_root().info_name or "").strip()
    run.debug = bool(merged["debug"])
    run.no_color = bool(merged["no_color"])
    from linkpilot_cli.environment import warn_unknown_variables

    out = Output(run.path, merged["output"], quiet=bool(merged["quiet"]), no_colour=run.no_color)
    warn_unknown_variables(out.warning)
    return Invocation(out, merged["region"], merged["profile"])


def command(
    name: str,
    *,
    summary: str,
    description: str,
    examples: Sequence[str],
    exit_codes: Mapping[int, str],
    aws: bool = False,
    output: bool = False,
) -> Callable[[Callable[..., int]], click.Command]:
    """A command: ``f(call: Invocation, **its options) -> exit status``, with the global options added."""

    def decorate(f: Callable[..., int]) -> click.Command:
        @functools.wraps(f)
        def callback(**given: Any) -> int:
            ctx = click.get_current_context()
            added = {"no_color", "quiet", "debug"} | ({"output"} if output else set())
            added |= {"region", "profile"} if aws else set()  # else a --region is the command's own
            globals_given = {k: given.pop(k) for k in added if k in given}
            return f(_invocation(ctx, globals_given, aws=aws, output=output), **given)

        made = click.command(
            name,
            help=description,
            short_help=summary,
            epilog=epilog(examples, exit_codes),
            context_settings=CONTEXT,
        )(global_options(aws, output)(callback))
        return made

    return decorate


def parse(made: click.Command, argv: Sequence[str]) -> SimpleNamespace:
    """A command's options as its callback would get them, checked (the validation callbacks ran) and without
    running it: for a caller that brings its own session or output (tests, a script)."""
    with made.make_context(made.name, list(argv)) as ctx:
        return SimpleNamespace(**{k: v for k, v in ctx.params.items() if k not in GLOBAL_OPTIONS})


def group(
    name: str, *, summary: str, description: str, examples: Sequence[str], exit_codes: Mapping[int, str]
) -> Group:
    """A command with subcommands (``provider status``, ``stackset deploy``): add them with
    ``made.add_command(command(...)(f))``."""
    return Group(
        name,
        help=description,
        short_help=summary,
        epilog=epilog(examples, exit_codes),
        context_settings=CONTEXT,
        no_args_is_help=True,
    )
