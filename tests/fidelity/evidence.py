"""Loading the AWS evidence fixtures (``fixtures/*.json``) and walking them against the botocore model.

A fixture records ONE real AWS response (or error, or event) shape as public evidence shows it; see
``fixtures/README.md`` for the format. Nothing here is the local emulation's view of AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

FIXTURES = Path(__file__).parent / "fixtures"
# "linkpilot-acceptance": an answer recorded by `linkpilot acceptance --aws --record` on real accounts and
# promoted by hand (docs/aws-behaviour.md, "Promoting a recording"); a recording of the local AWS
# ("local-emulation") is never evidence and is refused here.
KINDS = {"aws-cli-example", "aws-docs", "terraform-acceptance", "botocore-model", "linkpilot-acceptance"}


@dataclass(frozen=True)
class Fixture:
    name: str
    data: dict[str, Any]

    @property
    def operation(self) -> str:
        return str(self.data["operation"])

    @property
    def service(self) -> str:
        return self.operation.split(":", 1)[0]

    @property
    def action(self) -> str:
        return self.operation.split(":", 1)[1]

    @property
    def is_api_call(self) -> bool:
        # an event payload (EventBridge delivers it) rather than an API call's response or error
        return "event" not in self.data

    @property
    def is_error(self) -> bool:
        return "error" in self.data


def fixtures() -> list[Fixture]:
    return [Fixture(p.stem, json.loads(p.read_text())) for p in sorted(FIXTURES.glob("*.json"))]


def fixture(name: str) -> Fixture:
    return Fixture(name, json.loads((FIXTURES / f"{name}.json").read_text()))


@cache
def service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def operation_model(fx: Fixture) -> OperationModel:
    return service_model(fx.service).operation_model(fx.action)


# --- walking a value against a shape -------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    path: str
    problem: str


def walk(value: Any, shape: Shape | None, path: str = "") -> Iterator[Finding]:
    """Every key/type/enum problem of ``value`` against ``shape``. Enum values that differ from the model
    only in letter case are reported as ``enum-case`` (AWS prints e.g. ``IPV4`` for the model's ``ipv4``)."""
    if shape is None:
        return
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            yield Finding(path, f"expected an object ({shape.name})")
            return
        for key, item in value.items():
            if key not in shape.members:
                yield Finding(f"{path}.{key}".lstrip("."), f"not a member of {shape.name}")
                continue
            yield from walk(item, shape.members[key], f"{path}.{key}".lstrip("."))
    elif isinstance(shape, ListShape):
        if not isinstance(value, list):
            yield Finding(path, f"expected a list ({shape.name})")
            return
        for item in value:
            yield from walk(item, shape.member, f"{path}[]")
    elif isinstance(shape, MapShape):
        if not isinstance(value, dict):
            yield Finding(path, f"expected a map ({shape.name})")
            return
        for key, item in value.items():
            yield from walk(key, shape.key, f"{path}{{key}}")
            yield from walk(item, shape.value, f"{path}{{{key}}}")
    else:
        yield from _scalar(value, shape, path)


_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "blob": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "double": (int, float),
    "float": (int, float),
    # ISO text (JSON protocols, CLI) or epoch seconds (CLI output of RAM, SSM)
    "timestamp": (str, int, float),
}


def _scalar(value: Any, shape: Shape, path: str) -> Iterator[Finding]:
    expected = _TYPES.get(shape.type_name)
    if expected is None:
        yield Finding(path, f"unhandled shape type {shape.type_name}")
        return
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        yield Finding(path, f"{value!r} is not a {shape.type_name} ({shape.name})")
        return
    enum = list(getattr(shape, "enum", []) or [])
    if enum and value not in enum:
        if str(value).lower() in {e.lower() for e in enum}:
            yield Finding(path, "enum-case")
        else:
            yield Finding(path, f"{value!r} not in enum {shape.name} {enum}")


def error_codes(op: OperationModel) -> set[str]:
    """The error codes the model lists for an operation (shape name, or its wire code where it differs)."""
    codes: set[str] = set()
    for shape in op.error_shapes:
        codes.add(shape.name)
        code = shape.metadata.get("error", {}).get("code")
        if code:
            codes.add(code)
    return codes
