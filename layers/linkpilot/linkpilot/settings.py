"""One settings shape for every function: a frozen pydantic model read once, at cold start, from
``LINKPILOT_*`` environment variables. A bad value fails the cold start loudly, naming the variable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Self

from pydantic import BaseModel, ConfigDict, ValidationError

PREFIX = "LINKPILOT_"


class SettingsError(ValueError):
    """An environment variable is missing or has a bad value (the message names it)."""


class EnvSettings(BaseModel):
    """Field ``x`` (or its alias) is read from ``LINKPILOT_X``; unset or empty variables keep the default."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @classmethod
    def env_name(cls, field: str) -> str:
        info = cls.model_fields[field]
        return PREFIX + (info.alias or field).upper()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        env = os.environ if environ is None else environ
        values = {name: env[cls.env_name(name)] for name in cls.model_fields if env.get(cls.env_name(name))}
        try:
            return cls.model_validate(values, by_name=True)
        except ValidationError as exc:
            problems = []
            for error in exc.errors(include_url=False):
                field = str(error["loc"][0]) if error["loc"] else ""
                where = cls.env_name(field) if field in cls.model_fields else field
                problems.append(f"{where}: {error['msg']}")
            raise SettingsError("; ".join(problems)) from None
