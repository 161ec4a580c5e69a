"""The did-you-mean of every message that names something unknown: a command, a Region, a variable."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def suggestion(name: str, choices: Iterable[str]) -> str:
    """ " (did you mean 'x'?)" for the closest of ``choices``, or ""."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
