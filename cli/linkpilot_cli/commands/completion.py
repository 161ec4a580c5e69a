"""``linkpilot completion bash|zsh|fish``: the shell's completion script for ``linkpilot`` (click's own)."""

from __future__ import annotations

import click

from linkpilot_cli.framework import Invocation, command
from linkpilot_cli.registry import exit_codes

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_LINKPILOT_COMPLETE"  # click's variable for `linkpilot` (the shell sets it when completing)

DESCRIPTION = """\
Print the completion script for SHELL: commands, subcommands, options and their choices complete on Tab.
Load it once in the shell's start-up file (see the examples)."""


@command(
    "completion",
    summary="shell completion for bash, zsh or fish",
    description=DESCRIPTION,
    examples=(
        'eval "$(linkpilot completion bash)"          # in ~/.bashrc',
        'eval "$(linkpilot completion zsh)"           # in ~/.zshrc',
        "linkpilot completion fish > ~/.config/fish/completions/linkpilot.fish",
    ),
    exit_codes=exit_codes("the script was printed", "SHELL is not bash, zsh or fish"),
)
@click.argument("shell", type=click.Choice(SHELLS))
def COMMAND(call: Invocation, shell: str) -> int:
    from click.shell_completion import get_completion_class

    from linkpilot_cli.main import ROOT

    completion = get_completion_class(shell)
    assert completion is not None  # click ships all three
    click.echo(completion(ROOT, {}, "linkpilot", COMPLETE_VAR).source())
    return 0
