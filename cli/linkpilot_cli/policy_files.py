"""A policy file as people write it: YAML or JSON, told apart by content (a document that starts with ``{``
is JSON; anything else is YAML), UTF-8 with or without a byte-order mark, an optional ``$schema`` key.

The Lambda function reads JSON only (the ``PolicyParameter`` of the consumer stack, or its SSM parameter):
the layer has no YAML parser and gets none. The CLI reads YAML and hands the layer's validator the parsed
document (``linkpilot.consumer.policy``: one validator, with a did-you-mean for an unknown key), and
``linkpilot policy json`` writes the compact JSON the stack parameter takes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkpilot.consumer.policy import TrustPolicy

DOCUMENT = "(document)"


def read_document(path: str | Path) -> tuple[Any, str]:
    """(the parsed document, "yaml" or "json"); ``PolicyError`` naming the file when it cannot be read."""
    from linkpilot.consumer.policy import PolicyError

    source = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise PolicyError([f"{DOCUMENT}: cannot read {path}: {exc.strerror or exc}"], source) from None
    except UnicodeDecodeError as exc:
        raise PolicyError([f"{DOCUMENT}: not UTF-8 text (byte {exc.start})"], source) from None
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text), "json"
        except (ValueError, RecursionError) as exc:
            raise PolicyError([f"{DOCUMENT}: Invalid JSON: {exc}"], source) from None
    import yaml

    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" (line {where.line + 1}, column {where.column + 1})" if where is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PolicyError([f"{DOCUMENT}: Invalid YAML{at}: {problem}"], source) from None
    if isinstance(document, dict):
        return document, "yaml"
    # not a mapping: judged as the controller judges it, as JSON (`null`, `[]` parse; `a = b` does not)
    try:
        return json.loads(text), "json"
    except (ValueError, RecursionError) as exc:
        raise PolicyError(
            [f"{DOCUMENT}: Invalid JSON ({exc}), and not a YAML mapping of keys either"], source
        ) from None


def load_policy(path: str | Path) -> TrustPolicy:
    """The validated policy in ``path`` (YAML or JSON); ``PolicyError`` naming every problem."""
    document, kind = read_document(path)
    return _validated(document, kind, str(path))


def policy_parameter(path: str | Path) -> str:
    """The policy as the compact JSON the controller reads (validated first; no ``$schema``)."""
    document, kind = read_document(path)
    _validated(document, kind, str(path))
    if isinstance(document, dict):
        document = {k: v for k, v in document.items() if k != "$schema"}
    return json.dumps(document, separators=(",", ":"))


def _validated(document: Any, kind: str, source: str) -> TrustPolicy:
    from linkpilot.consumer.policy import PolicyError, TrustPolicy
    from linkpilot.spec import SpecError

    try:
        return TrustPolicy.load(document, source)
    except SpecError as exc:
        problems = list(exc.problems)
        if kind == "yaml" and any("Input should be a valid string" in p for p in problems):
            problems.append(
                f"{DOCUMENT}: in YAML, quote account ids and other numbers meant as text ('111111111111')"
            )
        raise PolicyError(problems, source) from None
