"""The JSON schema of a document class of :mod:`linkpilot.spec`, written from the same field declarations
that the validation reads (``linkpilot reconcile --print-schema``, the configuration reference's test).

Not on any function's cold-start path: only the CLI and the tests ask for a schema.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from typing import Any, Literal

from linkpilot.spec import Document, Spec, field_types, json_value

_NONE = Spec()


def json_schema(cls: type[Document], **top: Any) -> dict[str, Any]:
    """The JSON schema (draft 2020-12) of ``cls``: nested document classes under ``$defs``, optional
    fields as ``anyOf`` with null, constraints as the keywords that say the same. ``top`` adds keywords
    at the top (``title``, ``$id``)."""
    defs: dict[str, Any] = {}
    schema = {**_object_schema(cls, defs), **top}
    if defs:
        schema["$defs"] = dict(sorted(defs.items()))
    return schema


def _object_schema(cls: type[Document], defs: dict[str, Any]) -> dict[str, Any]:
    hints = field_types(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        rule: Spec = f.metadata["spec"]
        prop = _annotated(_type_schema(hints[f.name], rule, defs), rule)
        if f.default is not dataclasses.MISSING:
            prop["default"] = json_value(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            prop["default"] = json_value(f.default_factory())
        else:
            required.append(f.name)
        properties[f.name] = prop
    schema: dict[str, Any] = {"title": cls.__name__, "type": "object"}
    if cls.__doc__:
        schema["description"] = inspect.cleandoc(cls.__doc__)
    schema["properties"] = properties
    if required:
        schema["required"] = required
    schema["additionalProperties"] = False
    return schema


def _annotated(schema: dict[str, Any], rule: Spec) -> dict[str, Any]:
    """``schema`` with what ``rule`` says for people: description, examples, deprecated."""
    notes = (
        ("description", rule.description),
        ("examples", list(rule.examples)),
        ("deprecated", rule.deprecated),
    )
    return {**schema, **{key: value for key, value in notes if value}}


def _type_schema(hint: Any, rule: Spec, defs: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return {"anyOf": [_type_schema(inner, rule, defs), {"type": "null"}]}
    if origin is Literal:
        return {"type": "string", "enum": list(typing.get_args(hint))}
    if origin is tuple:
        schema: dict[str, Any] = {
            "type": "array",
            "items": _annotated(
                _type_schema(typing.get_args(hint)[0], rule.items or _NONE, defs), rule.items or _NONE
            ),
        }
        for key, value in (("minItems", rule.min_length), ("maxItems", rule.max_length)):
            if value is not None:
                schema[key] = value
        if rule.unique:
            schema["uniqueItems"] = True
        return schema
    if isinstance(hint, type) and issubclass(hint, Document):
        defs[hint.__name__] = _object_schema(hint, defs)
        return {"$ref": f"#/$defs/{hint.__name__}"}
    kind = {str: "string", int: "integer", float: "number", bool: "boolean"}[hint]
    schema = {"type": kind}
    keywords = (
        ("pattern", rule.pattern),
        ("minLength", rule.min_length),
        ("maxLength", rule.max_length),
        ("minimum", rule.ge),
        ("exclusiveMinimum", rule.gt),
        ("maximum", rule.le),
    )
    schema.update((key, value) for key, value in keywords if value is not None)
    return schema
