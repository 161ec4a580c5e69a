"""Declarative validation of JSON documents into frozen dataclasses, standard library only.

A document class is a frozen, keyword-only dataclass that subclasses :class:`Document` and declares each
field with :func:`spec`. The annotation gives the type: ``str``, ``int``, ``float``, ``bool``, a
``Literal`` of strings, ``X | None``, ``tuple[X, ...]``, or another document class. The spec gives the
constraints: pattern, lengths, bounds, uniqueness, an extra check. It also carries what the JSON schema
says about the field: description, examples, deprecated. One declaration serves three things:

- :meth:`Document.from_json` / :meth:`Document.load` read a document strictly. Unknown keys, wrong types
  and values out of range are refused, with no coercion: ``"8080"`` is not ``8080`` and ``1`` is not
  ``true``. Every wrong field is reported by its dotted path in one :class:`SpecError`.
- Constructing a document class directly (``ProbeSettings(port=443)``) runs the same checks.
- :func:`linkpilot.spec_schema.json_schema` writes the JSON schema from the same declarations.

Two class hooks cover rules that involve more than one field: ``normalise(data)`` may rewrite the raw
mapping before the fields are read (an older spelling, say), and ``cross_check(values)`` returns the
problems found across the fields once each field is valid.

This module is on the controller's cold-start path, where importing pydantic and building the policy's
models cost about half of ``import boto3``: standard library only, and type hints are resolved on first use.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, Self

DOCUMENT = "(document)"  # the path of a problem with the document as a whole


class SpecError(ValueError):
    """A document did not validate. ``problems`` lists every wrong field as ``"dotted.path: message"``."""

    def __init__(self, problems: Iterable[str], source: str = "document") -> None:
        self.problems = tuple(problems)
        self.source = source
        super().__init__(f"{source} is invalid: " + "; ".join(self.problems))


class Spec:
    """The constraints on one value. For a tuple field, the lengths bound the number of items,
    ``items`` constrains each item, and ``unique`` holds the message given when items repeat."""

    __slots__ = (
        "check",
        "deprecated",
        "description",
        "examples",
        "ge",
        "gt",
        "items",
        "le",
        "max_length",
        "min_length",
        "pattern",
        "unique",
    )

    def __init__(
        self,
        *,
        pattern: str | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        ge: float | None = None,
        gt: float | None = None,
        le: float | None = None,
        unique: str | None = None,
        check: Callable[[Any], str | None] | None = None,
        items: Spec | None = None,
        description: str | None = None,
        examples: tuple[Any, ...] = (),
        deprecated: bool = False,
    ) -> None:
        self.pattern, self.min_length, self.max_length = pattern, min_length, max_length
        self.ge, self.gt, self.le = ge, gt, le
        self.unique, self.check, self.items = unique, check, items
        self.description, self.examples, self.deprecated = description, examples, deprecated

    def but(self, **changes: Any) -> Spec:
        """This spec with some attributes replaced (a shared item spec, described for one field)."""
        kwargs = {name: getattr(self, name) for name in self.__slots__}
        return Spec(**{**kwargs, **changes})


_NONE = Spec()


def spec(
    base: Spec | None = None,
    *,
    default: Any = dataclasses.MISSING,
    default_factory: Any = dataclasses.MISSING,
    **constraints: Any,
) -> Any:
    """A document field: ``base`` (a shared spec) with ``constraints`` replaced, and a default. A field
    without a default is required."""
    rule = (base or _NONE).but(**constraints) if constraints else (base or _NONE)
    return dataclasses.field(default=default, default_factory=default_factory, metadata={"spec": rule})


class Document:
    """Base of the document classes, which are ``@dataclass(frozen=True, kw_only=True)`` subclasses."""

    def __post_init__(self) -> None:
        # Direct construction is checked like a document. The fields left at their default are left out,
        # so that ``normalise`` sees what the caller actually gave.
        given = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if not _is_default(f, getattr(self, f.name))
        }
        problems: list[str] = []
        values = _read(type(self), given, "", problems)
        if values is None:
            raise SpecError(problems, type(self).__name__)
        for name, value in values.items():
            if getattr(self, name) is not value:
                object.__setattr__(self, name, value)  # normalised, or a list given for a tuple

    @classmethod
    def normalise(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Rewrite the raw mapping before its fields are read (an older spelling, say)."""
        return data

    @classmethod
    def cross_check(cls, values: Mapping[str, Any]) -> list[str]:
        """Problems across fields, once every field is valid (reported at the object's path)."""
        return []

    @classmethod
    def load(cls, data: object, source: str = "document") -> Self:
        """Validate a parsed JSON value. Raises ``SpecError`` naming every problem."""
        problems: list[str] = []
        if not isinstance(data, dict):
            raise SpecError([f"{DOCUMENT}: Input should be an object"], source)
        values = _read(cls, data, "", problems)
        if values is None:
            raise SpecError(problems, source)
        return cls(**values)

    @classmethod
    def from_json(cls, document: str | bytes, source: str = "document") -> Self:
        """Parse and validate a JSON text."""
        try:
            data = json.loads(document)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise SpecError([f"{DOCUMENT}: Invalid JSON: {exc}"], source) from None
        return cls.load(data, source)

    def to_json(self) -> dict[str, Any]:
        """The document as JSON values (tuples as lists), every field included."""
        return {f.name: json_value(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


# --- reading ------------------------------------------------------------------------------------------------
_HINTS: dict[type, dict[str, Any]] = {}


def field_types(cls: type) -> dict[str, Any]:
    """The resolved annotations of a document class. They are resolved on first use and then cached."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _is_default(f: dataclasses.Field[Any], value: Any) -> bool:
    """``value`` is the field's default, of the same type (``1`` is not the default ``True``)."""
    if f.default is not dataclasses.MISSING:
        default = f.default
    elif f.default_factory is not dataclasses.MISSING:
        default = f.default_factory()
    else:
        return False
    return type(value) is type(default) and bool(value == default)


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _read(
    cls: type[Document], data: Mapping[str, Any], path: str, problems: list[str]
) -> dict[str, Any] | None:
    """The values of ``cls``'s fields read from ``data``, or None with ``problems`` extended."""
    start = len(problems)
    data = cls.normalise(dict(data))
    hints = field_types(cls)
    values: dict[str, Any] = {}
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    for f in fields:
        if f.name in data:
            values[f.name] = _value(
                hints[f.name], f.metadata["spec"], data[f.name], _join(path, f.name), problems
            )
        elif f.default is not dataclasses.MISSING:
            values[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            values[f.name] = f.default_factory()
        else:
            problems.append(f"{_join(path, f.name)}: Field required")
    names = {f.name for f in fields}
    problems.extend(
        f"{_join(path, key)}: Extra inputs are not permitted{_did_you_mean(key, names)}"
        for key in data
        if key not in names
    )
    if len(problems) == start:
        problems.extend(f"{path or DOCUMENT}: {problem}" for problem in cls.cross_check(values))
    return values if len(problems) == start else None


def _value(hint: Any, rule: Spec, raw: Any, path: str, problems: list[str]) -> Any:
    """One value read strictly against its type and spec (None, with a problem, when it does not fit)."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return None if raw is None else _value(_optional(hint), rule, raw, path, problems)
    if origin is tuple:
        return _tuple(typing.get_args(hint)[0], rule, raw, path, problems)
    if isinstance(hint, type) and issubclass(hint, Document):
        return _document(hint, raw, path, problems)
    if origin is Literal:
        choices = typing.get_args(hint)
        problem = (
            None if isinstance(raw, str) and raw in choices else f"Input should be {_alternatives(choices)}"
        )
    else:
        problem = _type_problem(hint, raw) or _constraint(rule, raw)
    if problem:
        return _wrong(problems, path, problem)
    return float(raw) if hint is float else raw


def _document(cls: type[Document], raw: Any, path: str, problems: list[str]) -> Any:
    if isinstance(raw, cls):
        return raw  # already checked when it was built
    if not isinstance(raw, dict):
        return _wrong(problems, path, "Input should be an object")
    values = _read(cls, raw, path, problems)
    return None if values is None else cls(**values)


def _optional(hint: Any) -> Any:
    (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]  # X | None only
    return inner


def _tuple(item: Any, rule: Spec, raw: Any, path: str, problems: list[str]) -> Any:
    if not isinstance(raw, (list, tuple)):
        return _wrong(problems, path, "Input should be an array")
    start = len(problems)
    value = tuple(_value(item, rule.items or _NONE, x, _join(path, i), problems) for i, x in enumerate(raw))
    if rule.min_length is not None and len(value) < rule.min_length:
        return _wrong(
            problems, path, f"Tuple should have at least {_count(rule.min_length, 'item')}, not {len(value)}"
        )
    if rule.max_length is not None and len(value) > rule.max_length:
        return _wrong(
            problems, path, f"Tuple should have at most {_count(rule.max_length, 'item')}, not {len(value)}"
        )
    if len(problems) > start:
        return None
    if rule.unique and len(set(value)) != len(value):
        return _wrong(problems, path, rule.unique)
    return value


# JSON scalars by annotation: the Python types that stand for them (strict: bool is no integer or number)
_SCALARS: dict[Any, tuple[tuple[type, ...], str]] = {
    str: ((str,), "a valid string"),
    bool: ((bool,), "a valid boolean"),
    int: ((int,), "a valid integer"),
    float: ((int, float), "a valid number"),
}


def _type_problem(hint: Any, raw: Any) -> str | None:
    kinds, name = _SCALARS[hint]  # KeyError: a type document classes do not support
    if not isinstance(raw, kinds) or (isinstance(raw, bool) and hint is not bool):
        return f"Input should be {name}"
    if hint is float and not math.isfinite(typing.cast(float, raw)):
        return "Input should be a finite number"
    return None


def _constraint(rule: Spec, value: Any) -> str | None:
    """The first constraint of ``rule`` that ``value`` (of the right type) breaks, as a message."""
    problem = _string_problem(rule, value) if isinstance(value, str) else _number_problem(rule, value)
    if problem is None and rule.check is not None:
        return rule.check(value)
    return problem


def _string_problem(rule: Spec, value: str) -> str | None:
    if rule.min_length is not None and len(value) < rule.min_length:
        return f"String should have at least {_count(rule.min_length, 'character')}"
    if rule.max_length is not None and len(value) > rule.max_length:
        return f"String should have at most {_count(rule.max_length, 'character')}"
    # fullmatch: an anchored pattern's "$" must not accept a trailing newline, as JSON Schema's does not
    if rule.pattern is not None and not re.fullmatch(rule.pattern, value):
        return f"String should match pattern '{rule.pattern}'"
    return None


def _number_problem(rule: Spec, value: float) -> str | None:
    if isinstance(value, bool):
        return None
    if rule.ge is not None and value < rule.ge:
        return f"Input should be greater than or equal to {_number(rule.ge)}"
    if rule.gt is not None and value <= rule.gt:
        return f"Input should be greater than {_number(rule.gt)}"
    if rule.le is not None and value > rule.le:
        return f"Input should be less than or equal to {_number(rule.le)}"
    return None


def _wrong(problems: list[str], path: str, message: str) -> None:
    problems.append(f"{path or DOCUMENT}: {message}")


def _did_you_mean(key: object, names: Iterable[str]) -> str:
    """ " (did you mean 'x'?)" for the closest field name; difflib is imported only for an unknown key."""
    import difflib

    close = difflib.get_close_matches(str(key), sorted(names), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _alternatives(choices: tuple[Any, ...]) -> str:
    quoted = [repr(c) for c in choices]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def json_value(value: Any) -> Any:
    if isinstance(value, Document):
        return value.to_json()
    if isinstance(value, tuple):
        return [json_value(v) for v in value]
    return value
