"""One output convention for every ``linkpilot`` command.

- Data goes to stdout; progress and diagnostics go to stderr, so ``linkpilot status --output json | jq``
  always reads clean JSON.
- ``--output``: ``table`` (aligned columns for people), ``json`` (the full record: one document, or one
  JSON object per line for commands that report item by item, such as ``probe``) or ``text`` (tab-separated
  rows, no header, for ``cut``/``awk``). Without it: ``table`` when stdout is a terminal, ``json`` otherwise.
- Colour only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org) or with ``--no-color``.
- Every diagnostic is one line that starts with ``linkpilot <command>:``.
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
    "no data": "yellow",
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


def render_table(table: Table, *, colour: bool = False) -> list[str]:
    lines = [paint(f"{escape(table.title)}: {len(table.rows)}", "bold", colour)]
    if not table.rows:
        return [*lines, "  (none)"]
    cells = [[shown(c, limit=TABLE_CELL_CHARS) for c in row] for row in table.rows]
    widths = [max(len(r[i]) for r in [list(table.columns), *cells]) for i in range(len(table.columns))]

    def line(row: Sequence[str], *, header: bool = False) -> str:
        parts = []
        for value, width in zip(row, widths, strict=True):
            padded = value.ljust(width)
            style = "dim" if header else VALUE_COLOURS.get(value)
            parts.append(paint(padded, style, colour))
        return ("  " + "  ".join(parts)).rstrip()

    return [*lines, line(table.columns, header=True), *(line(r) for r in cells)]


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
                lines.extend(render_table(table, colour=self.colour))
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
        """Results that arrive one by one (``probe``): ``json`` is one JSON object per line, written as each
        record arrives; ``text`` one tab-separated line each; ``table`` aligns them once all have arrived.
        ``columns`` are keys of each record."""
        collected: list[tuple[str, ...]] = []
        for record in rows:
            if self.format == "json":
                self._write(json.dumps(record, separators=(",", ":"), default=str))
            elif self.format == "text":
                self._write(render_text(Table(kind, title, tuple(columns), (_row(record, columns),)))[0])
            else:
                collected.append(_row(record, columns))
        if self.format == "table":
            self._write(
                "\n".join(
                    render_table(Table(kind, title, tuple(columns), tuple(collected)), colour=self.colour)
                )
            )

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


def _row(record: Mapping[str, Any], columns: Sequence[str]) -> tuple[str, ...]:
    return tuple(_cell(record.get(c)) for c in columns)
