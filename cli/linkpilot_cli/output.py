"""One output convention for every ``linkpilot`` command.

- Data goes to stdout; progress and diagnostics go to stderr, so ``linkpilot status --output json | jq``
  always reads clean JSON.
- ``--output``: ``table`` (aligned columns for people: UPPER-CASE headers, short ids, laid out by rich),
  ``json`` (the full record, full ARNs included: one pretty-printed document for every command) or ``text``
  (tab-separated rows, no header, for ``cut``/``awk``). Without it: ``table`` when stdout is a terminal,
  ``json`` otherwise.
- Colour only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org) or with ``--no-color``.
- Every diagnostic is one line that starts with ``linkpilot <command>:`` (the whole command: ``linkpilot
  provider status:``).
- Text from other accounts (share names, ARNs, reasons that quote them, AWS error messages) cannot drive the
  terminal or forge a row: every cell of ``table`` and ``text`` output, every summary line and every
  diagnostic goes through ``linkpilot.foreign.escape`` (control, format and separator characters as visible
  backslash escapes), here and nowhere else, so every command is covered. A ``table`` cell is also cut at
  ``TABLE_CELL_CHARS`` with the truncation marker (length and SHA-256 of the whole value). ``json`` output
  keeps every value exact (``json.dumps`` escapes control characters).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TextIO

from linkpilot.foreign import TABLE_CELL_CHARS, bound, escape

FORMATS: Final = ("table", "json", "text")

# Exit codes shared by every command.
EXIT_OK: Final = 0
EXIT_FAILED: Final = 1  # an action (or a probe, or a StackSet operation) failed; or an unexpected error
EXIT_INVALID: Final = 2  # invalid input: options, policy, template, region, profile; nothing changed
EXIT_READ_FAILED: Final = 3  # reading AWS failed; nothing changed
EXIT_BUSY: Final = 4  # another run held the account's lease for longer than this one waited
EXIT_INTERRUPTED: Final = 130  # Ctrl-C (128 + SIGINT, as shells report it)

_RESET = "\033[0m"
_STYLES: Final = {
    "bold": "\033[1m",
    "dim": "\033[2m",
    "red": "\033[31m",
    "green": "\033[32m",
    "yellow": "\033[33m",
}
# Cell values that carry a verdict, and the colour that says it at a glance.
VALUE_COLOURS: Final = {
    "ok": "green",
    "done": "green",
    "available": "green",
    "accept": "green",
    "SUCCEEDED": "green",
    "failing": "red",
    "failed": "red",
    "invalid": "red",
    "down": "red",
    "reject": "red",
    "FAILED": "red",
    "STOPPED": "red",
    "missing": "red",
    "refused": "red",
    "no data": "yellow",
    "waiting": "yellow",
    "awaiting-grace": "yellow",
    "planned": "yellow",
    "skipped": "yellow",
    "degraded": "yellow",
    "pending": "yellow",
    "pendingAcceptance": "yellow",
    "RUNNING": "yellow",
}


class CliError(Exception):
    """A failure the command explains in one line; ``exit_code`` says which kind."""

    exit_code: int = EXIT_FAILED


class InvalidInput(CliError):
    """Options, files or settings the command cannot use (exit 2); nothing was changed."""

    exit_code = EXIT_INVALID


class ReadFailed(CliError):
    """Reading AWS failed before anything was changed (exit 3)."""

    exit_code = EXIT_READ_FAILED


def colour_allowed(stream: TextIO, env: Mapping[str, str] | None = None, *, disabled: bool = False) -> bool:
    """Colour for ``stream``: only a terminal, and never when ``NO_COLOR`` is set to a non-empty value."""
    env = os.environ if env is None else env
    if disabled or env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, style: str | None, enabled: bool) -> str:
    if not enabled or style is None or style not in _STYLES:
        return text
    return f"{_STYLES[style]}{text}{_RESET}"


@dataclass(frozen=True)
class Table:
    """Rows for people (``table``) and for scripts (``text``: ``kind`` then the cells, tab-separated)."""

    kind: str  # the row prefix in text output, e.g. "endpoint"
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...] = field(default_factory=tuple)


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def shown(value: Any, *, limit: int | None = None) -> str:
    """A cell as a terminal may show it: escaped (``linkpilot.foreign.escape``), and for a table cut at
    ``limit`` characters with the truncation marker (the hash is of the whole value, as JSON gives it)."""
    text = _cell(value)
    return escape(bound(text, limit, size=len) if limit is not None else text)


def short_id(value: str) -> str:
    """What a table shows of an ARN: its last path segment (``rcfg-0123``); ``--output json`` has it all."""
    return value.rsplit("/", 1)[-1] if value.startswith("arn:") and "/" in value else value


def render_table(table: Table, *, colour: bool = False, width: int | None = None) -> list[str]:
    """The one table style: a title line with the row count, UPPER-CASE headers, a verdict's colour on a
    terminal. rich lays the columns out (imported here, so a command that prints no table never loads it);
    every cell is escaped and bounded first, and handed to rich as plain text (never as markup)."""
    lines = [paint(f"{escape(table.title)}: {len(table.rows)}", "bold", colour)]
    if not table.rows:
        return [*lines, "  (none)"]
    import io

    from rich.console import Console
    from rich.table import Table as RichTable
    from rich.text import Text

    grid = RichTable(box=None, padding=(0, 2, 0, 0), pad_edge=False, show_edge=False, header_style="bold")
    for column in table.columns:
        grid.add_column(Text(column.upper()), no_wrap=width is None, overflow="fold")
    for row in table.rows:
        cells = [shown(c, limit=TABLE_CELL_CHARS) for c in row]
        grid.add_row(*(Text(c, style=VALUE_COLOURS.get(c, "") if colour else "") for c in cells))
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width or 100_000,  # off a terminal no line is wrapped: a row stays one line for grep
        color_system="standard" if colour else None,
        force_terminal=colour,
        highlight=False,
        emoji=False,
        markup=False,
    )
    console.print(grid)
    return [*lines, *("  " + line.rstrip() for line in buffer.getvalue().splitlines())]


def render_text(table: Table) -> list[str]:
    """One line per row: a tab or newline in a cell is escaped, so it can add neither a column nor a row."""
    return ["\t".join([table.kind, *(shown(c) for c in row)]) for row in table.rows]


class Output:
    """Where and how a command writes: chosen once by ``linkpilot`` from the global options."""

    def __init__(
        self,
        command: str,
        output: str | None = None,
        *,
        quiet: bool = False,
        no_colour: bool = False,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.command = command
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        isatty = getattr(self.stdout, "isatty", None)
        on_terminal = bool(isatty and isatty())
        self.format = output or ("table" if on_terminal else "json")
        if self.format not in FORMATS:
            raise InvalidInput(f"--output must be one of {', '.join(FORMATS)}, got {self.format!r}")
        self.quiet = quiet
        # on a terminal rich fits a table to its width (a long cell wraps inside its column)
        self.width = _terminal_width() if on_terminal and self.stdout is sys.stdout else None
        self.colour = colour_allowed(self.stdout, env, disabled=no_colour)
        self.err_colour = colour_allowed(self.stderr, env, disabled=no_colour)

    # -------------------------------------------------------------------------------- data (stdout)
    def document(
        self, data: Mapping[str, Any], tables: Sequence[Table], *, summary: str | Sequence[str] = ""
    ) -> None:
        """One result: the whole ``data`` as JSON, or its ``tables`` for people and scripts; ``summary``
        (``table`` only) is one line or a sequence of lines, each escaped."""
        if self.format == "json":
            self._write(json.dumps(data, indent=2, default=str))
            return
        lines: list[str] = []
        for table in tables:
            if self.format == "text":
                lines.extend(render_text(table))
            else:
                if lines:
                    lines.append("")
                lines.extend(self.table_lines(table))
        if summary and self.format == "table":
            lines.extend(
                ["", *(escape(line) for line in ([summary] if isinstance(summary, str) else summary))]
            )
        if lines:
            self._write("\n".join(lines))

    def json(self, data: Any) -> None:
        """Data that has only a JSON form (a schema), whatever ``--output`` says."""
        self._write(json.dumps(data, indent=2, default=str))

    def records(
        self, kind: str, title: str, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]
    ) -> None:
        """Results judged one by one (``probe``): ``text`` writes a line as each arrives; ``json`` (one pretty
        document, ``{"results": [...]}``) and ``table`` write once all have arrived. ``columns`` are keys of
        each record."""
        collected: list[Mapping[str, Any]] = []
        for record in rows:
            if self.format == "text":
                self._write(render_text(Table(kind, title, tuple(columns), (_row(record, columns),)))[0])
            else:
                collected.append(record)
        if self.format == "json":
            self._write(json.dumps({"results": collected}, indent=2, default=str))
        elif self.format == "table":
            table = Table(kind, title, tuple(columns), tuple(_row(r, columns) for r in collected))
            self._write("\n".join(self.table_lines(table)))

    def table_lines(self, table: Table) -> list[str]:
        return render_table(table, colour=self.colour, width=self.width)

    def stderr_table(self, table: Table) -> list[str]:
        """A table for the person at the terminal, not data (what ``cleanup`` will delete, before it asks)."""
        return render_table(table, colour=self.err_colour)

    def _write(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    # ----------------------------------------------------------------------- diagnostics (stderr)
    def progress(self, message: str) -> None:
        """What a long step is doing; ``--quiet`` silences it."""
        if not self.quiet:
            self.stderr.write(paint(f"… {escape(message)}", "dim", self.err_colour) + "\n")
            self.stderr.flush()

    def error(self, message: str) -> None:
        """The one line that explains a failure."""
        prefix = paint(f"linkpilot {self.command}:", "red", self.err_colour)
        self.stderr.write(f"{prefix} {escape(message)}\n")
        self.stderr.flush()

    def warning(self, message: str) -> None:
        prefix = paint(f"linkpilot {self.command}:", "yellow", self.err_colour)
        self.stderr.write(f"{prefix} warning: {escape(message)}\n")
        self.stderr.flush()


def _terminal_width() -> int:
    import shutil

    return max(shutil.get_terminal_size().columns - 2, 40)


def _row(record: Mapping[str, Any], columns: Sequence[str]) -> tuple[str, ...]:
    return tuple(_cell(record.get(c)) for c in columns)
