"""One settings shape for every function: a frozen dataclass read once, at cold start, from ``LINKPILOT_*``
environment variables. A missing or bad value fails the cold start loudly, naming the variable.

Standard library on purpose: importing pydantic costs about a third of ``import boto3`` at every cold start,
which a handful of names, ARNs and bounded integers do not need. (The trust policy, a document a person
writes, gets field-by-field errors and a JSON schema from :mod:`linkpilot.spec`, standard library too.)
"""

from __future__ import annotations

import dataclasses
import os
import re
import typing
from collections.abc import Mapping
from enum import Enum
from typing import Any, Self

PREFIX = "LINKPILOT_"


class SettingsError(ValueError):
    """An environment variable is missing or has a bad value (the message names it)."""


def setting(
    default: Any = dataclasses.MISSING,
    *,
    env: str | None = None,
    ge: int | None = None,
    le: int | None = None,
    pattern: str | None = None,
) -> Any:
    """A settings field: read from ``LINKPILOT_<env or field name>``, checked against the bounds given."""
    meta = {"env": env, "ge": ge, "le": le, "pattern": pattern}
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass(frozen=True)
class EnvSettings:
    """Base of the functions' settings; subclasses are frozen dataclasses of ``setting()`` fields of type
    ``str``, ``str | None``, ``int`` or a ``str`` ``Enum``. Unset or empty variables keep the default."""

    @classmethod
    def env_name(cls, name: str) -> str:
        meta = {f.name: f.metadata for f in dataclasses.fields(cls)}[name]
        return PREFIX + (meta.get("env") or name).upper()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        env = os.environ if environ is None else environ
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        problems: list[str] = []
        for f in dataclasses.fields(cls):
            var = cls.env_name(f.name)
            raw = env.get(var, "")
            if raw == "":
                if f.default is dataclasses.MISSING:
                    problems.append(f"{var}: required")
                continue
            try:
                values[f.name] = _convert(hints[f.name], raw)
            except ValueError as exc:
                problems.append(f"{var}: {exc}")
                continue
            problem = _check(f.metadata, values[f.name])
            if problem:
                problems.append(f"{var}: {problem}")
        if problems:
            raise SettingsError("; ".join(problems))
        return cls(**values)

    def __post_init__(self) -> None:
        problems = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            problem = _check(f.metadata, value)
            if problem:
                problems.append(f"{type(self).env_name(f.name)}: {problem}")
        if problems:
            raise SettingsError("; ".join(problems))


def _convert(hint: Any, raw: str) -> Any:
    kinds = [k for k in typing.get_args(hint) if k is not type(None)] or [hint]
    kind = kinds[0]
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"not an integer: {raw!r}") from None
    if isinstance(kind, type) and issubclass(kind, Enum):
        try:
            return kind(raw)
        except ValueError:
            raise ValueError(f"must be one of {[m.value for m in kind]}, got {raw!r}") from None
    return raw


def _check(meta: Mapping[str, Any], value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        if meta.get("ge") is not None and value < meta["ge"]:
            return f"must be at least {meta['ge']}, got {value}"
        if meta.get("le") is not None and value > meta["le"]:
            return f"must be at most {meta['le']}, got {value}"
    if isinstance(value, str) and meta.get("pattern") and not re.fullmatch(meta["pattern"], value):
        return f"must match {meta['pattern']}, got {value!r}"
    return None
