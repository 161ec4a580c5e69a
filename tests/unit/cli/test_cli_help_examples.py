"""Every example in a ``--help`` is a command line ``linkpilot`` accepts as written (issue 26: examples in
every ``--help``): its command exists and its options parse and pass their checks
(``linkpilot_cli.validate``), so a renamed option or a placeholder a check refuses fails here, not in a
reader's shell. Nothing is run."""

from __future__ import annotations

import re
import shlex

import click
import pytest

from linkpilot_cli import main as cli
from linkpilot_cli.registry import load


def _commands() -> list[click.Command]:
    found: list[click.Command] = [cli.ROOT]
    todo = [load(name) for name in cli.commands()]
    while todo:
        command = todo.pop()
        found.append(command)
        if isinstance(command, click.Group):
            todo.extend(command.commands.values())
    return found


def _examples() -> list[str]:
    """Each example once, a line ending in a backslash joined to the next, without what the shell adds
    around it (a pipe, a redirection, a comment, a variable assignment or ``eval "$(`` before it)."""
    lines: list[str] = []
    for command in _commands():
        epilog = (command.epilog or "").replace("\b", "")
        if "Examples:" not in epilog:
            continue
        block = epilog.split("Examples:", 1)[1].split("Exit status:", 1)[0]
        for line in block.replace("\\\n", " ").splitlines():
            text = line.split(" #", 1)[0].split(" | ", 1)[0].split(" > ", 1)[0].split(')"', 1)[0]
            start = re.search(r"(^|[\s(])linkpilot(\s|$)", text)
            if start and "COMMAND" not in text:
                lines.append(text[start.end(1) :].strip())
    return sorted(set(lines))


def _parse(example: str) -> None:
    argv = shlex.split(example)[1:]
    command: click.Command = cli.ROOT
    path = ["linkpilot"]
    while isinstance(command, click.Group) and argv and not argv[0].startswith("-"):
        name = argv.pop(0)
        found = command.get_command(click.Context(command), name)
        assert found is not None, f"{example}: no command {name!r}"
        command, path = found, [*path, name]
    with command.make_context(" ".join(path), argv):  # parses, runs the checks; runs nothing
        pass


def test_there_are_examples_to_check():
    assert len(_examples()) >= 30


@pytest.mark.parametrize("example", _examples())
def test_every_help_example_parses_as_written(example):
    try:
        _parse(example)
    except click.UsageError as exc:
        pytest.fail(f"{example}: {exc.format_message()}")
