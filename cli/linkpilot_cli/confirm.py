"""Confirmation before deletion, as ``sam delete`` and ``terraform apply`` ask first: the one implementation
every command that deletes uses (``cleanup``, ``reconcile``).

A command that deletes takes ``--yes``/``-y`` (:func:`yes_option`); without it (and without ``--dry-run``) it
must ask, and asking needs a terminal (:func:`can_ask`): without one the command stops with exit 2 before any
write. To ask, it lists what it will delete on stderr (the one table style) and asks, default no
(:func:`confirmed`); declining changes nothing (the command then exits 1).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from linkpilot_cli.output import Output, Table


def yes_option(help: str) -> Callable[[Any], Any]:
    """``--yes``/``-y``: the question skipped (what scripts and CI pass)."""
    return click.option("--yes", "-y", is_flag=True, help=help)


def must_ask(*, dry_run: bool, yes: bool) -> bool:
    """Whether a deletion needs a person's yes: neither ``--dry-run`` (nothing is deleted) nor ``--yes``."""
    return not dry_run and not yes


def can_ask() -> bool:
    """Whether there is a terminal to ask on (stdin)."""
    return sys.stdin.isatty()


def confirmed(out: Output, listing: Table, question: str, *, declined: str) -> bool:
    """List what will be deleted (``listing``) on stderr, then ask ``question`` (default: no). Declined: the
    ``declined`` warning (what was left unchanged) is written and False returned."""
    out.stderr.write("\n".join(out.stderr_table(listing)) + "\n")
    if click.confirm(question, default=False, err=True):
        return True
    out.warning(f"declined: {declined}")
    return False
