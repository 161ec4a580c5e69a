"""``linkpilot completion bash`` works in a real bash as docs/cli.md says to use it (``source`` or ``eval``
it): ``complete -p linkpilot`` names its function, and Tab completes commands, subcommands and choices."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BASH = shutil.which("bash")


@pytest.mark.skipif(BASH is None, reason="no bash on this machine")
def test_the_bash_script_registers_and_completes(tmp_path: Path) -> None:
    shim = tmp_path / "linkpilot"  # `linkpilot` on PATH, as the installed entry point is
    shim.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" -c "from linkpilot_cli.main import main; main()" "$@"\n'
    )
    shim.chmod(0o755)
    script = r"""
source <(linkpilot completion bash)
complete -p linkpilot
tab() {
    COMPREPLY=(); COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    _linkpilot_completion linkpilot; echo "${COMPREPLY[*]}"
}
tab linkpilot prov
tab linkpilot provider ""
tab linkpilot status --output ""
tab linkpilot completion ""
"""
    done = subprocess.run(
        [BASH, "--norc", "--noprofile", "-c", script],
        env={"PATH": f"{tmp_path}:/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "complete -o nosort -F _linkpilot_completion linkpilot",
        "provider",
        "status",
        "table json text",
        "bash zsh fish",
    ]
