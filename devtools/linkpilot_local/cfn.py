"""Reading our CloudFormation/SAM templates offline: cfn-lint's template decoder reads them (short-form
intrinsic tags in their long form), and a small resolver for the intrinsics our templates use (Ref, Sub,
GetAtt, Join, If, Select, Split, Equals, Not, And, Or, FindInMap-free), so tests and the demo can use the
templates' own definitions (alarms, IAM policies, parameters) instead of copies of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any


def load_template(path: str | Path) -> dict[str, Any]:
    """A template as plain data, decoded by cfn-lint's template decoder (YAML or JSON): short-form tags
    become their long form (``!Ref x`` -> ``{"Ref": "x"}``, ``!GetAtt a.b`` -> ``{"Fn::GetAtt": [a, b]}``).
    A template cfn-lint cannot decode (bad YAML, duplicate keys, not a mapping) raises ``ValueError``."""
    from cfnlint.decode import decode_str  # imported when used: cfn-lint takes a second or two to import

    decoded, problems = decode_str(Path(path).read_text(encoding="utf-8"))
    if problems or not isinstance(decoded, dict):
        reasons = "; ".join(str(problem) for problem in problems) or "not a template"
        raise ValueError(f"{path}: {reasons}")
    template: dict[str, Any] = _plain(decoded)
    return template


def _plain(node: Any) -> Any:
    """cfn-lint's nodes (dict, list and str subclasses carrying source marks) as plain Python values."""
    if isinstance(node, dict):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    if isinstance(node, str):
        return str(node)
    return node


def parameter_defaults(template: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter values as CloudFormation would take them with no overrides (lists split)."""
    values: dict[str, Any] = {}
    for name, spec in template.get("Parameters", {}).items():
        if "Default" not in spec:
            continue
        default = spec["Default"]
        if str(spec.get("Type", "")).startswith(("CommaDelimitedList", "List<")):
            default = [s.strip() for s in str(default).split(",")] if str(default) else []
        values[name] = default
    return values


NO_VALUE = object()  # what ``!Ref AWS::NoValue`` resolves to: the property is dropped


class Resolver:
    """Resolves intrinsics against parameter values and physical ids the caller provides.

    ``refs`` maps logical ids (and pseudo parameters such as ``AWS::Region``) to values; ``attrs`` maps
    ``(logical id, attribute)`` to values. An unresolvable reference raises ``KeyError`` naming it.
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        refs: Mapping[str, Any] | None = None,
        attrs: dict[tuple[str, str], Any] | None = None,
        parameters: Mapping[str, Any] | None = None,
    ) -> None:
        self.template = template
        self.refs = {
            **parameter_defaults(template),
            **(parameters or {}),
            **(refs or {}),
            "AWS::NoValue": NO_VALUE,
        }
        self.attrs = attrs if attrs is not None else {}  # shared: the caller adds attributes as it creates
        self._handlers: dict[str, Callable[[Any], Any]] = {
            "Ref": self._ref,
            "Fn::Sub": self._sub,
            "Fn::GetAtt": self._getatt,
            "Fn::Join": lambda v: str(self(v[0])).join(str(self(x)) for x in self(v[1])),
            "Fn::If": lambda v: self(v[1]) if self.condition(v[0]) else self(v[2]),
            "Fn::Select": lambda v: self(v[1])[int(self(v[0]))],
            "Fn::Split": lambda v: str(self(v[1])).split(self(v[0])),
            "Fn::Equals": lambda v: self(v[0]) == self(v[1]),
            "Fn::Not": lambda v: not self(v[0]),
            "Fn::And": lambda v: all(self(x) for x in v),
            "Fn::Or": lambda v: any(self(x) for x in v),
            "Condition": self.condition,
        }

    def condition(self, name: str) -> bool:
        return bool(self(self.template.get("Conditions", {})[name]))

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(v) for v in value if v != {"Ref": "AWS::NoValue"}]
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, arg),) = value.items()
                if key in self._handlers:
                    return self._handlers[key](arg)
            return {k: self(v) for k, v in value.items() if v != {"Ref": "AWS::NoValue"}}
        return value

    def _ref(self, name: str) -> Any:
        if name not in self.refs:
            raise KeyError(f"no value for Ref {name}")
        return self.refs[name]

    def _getatt(self, arg: list[str] | str) -> Any:
        logical, attr = arg if isinstance(arg, list) else arg.split(".", 1)
        if (logical, attr) not in self.attrs:
            raise KeyError(f"no value for GetAtt {logical}.{attr}")
        return self.attrs[(logical, attr)]

    def _sub(self, arg: str | list[Any]) -> str:
        text, local = (arg, {}) if isinstance(arg, str) else (arg[0], {k: self(v) for k, v in arg[1].items()})

        def replace(m: re.Match[str]) -> str:
            name = m.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in local:
                return str(local[name])
            if "." in name and name.split(".", 1)[0] not in self.refs:
                return str(self._getatt(name))
            return str(self._ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)


def resources_of_type(template: Mapping[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template.get("Resources", {}).items() if v.get("Type") == resource_type}
