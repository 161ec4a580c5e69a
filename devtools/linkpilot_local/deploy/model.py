"""What the local deployer produces (a stack's physical ids, attributes, functions) and its error."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    inbox_queue_url: str | None = None
    schedules: list[str] = field(default_factory=list)
    # SQS queues Lambda's event source mappings read for the function (AWS::Lambda::EventSourceMapping)
    queue_sources: list[str] = field(default_factory=list)


@dataclass
class LocalStack:
    name: str
    account: str
    region: str
    physical: dict[str, Any] = field(default_factory=dict)
    attrs: dict[tuple[str, str], Any] = field(default_factory=dict)
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)  # every parameter's value, SSM types resolved


class DeployError(RuntimeError):
    pass


def physical_name(stack: LocalStack, logical: str, limit: int = 64) -> str:
    """The name CloudFormation generates for a resource without an explicit one:
    ``<stack>-<logical>-<suffix>``, the stack and logical parts shortened to fit ``limit``, the suffix
    keeping names unique when a long (StackSet-length) stack name would otherwise truncate two resources
    to the same name."""
    full = f"{stack.name}-{logical}"
    if len(full) <= limit:
        return full
    from ..util import short_hash

    suffix = short_hash(stack.name, logical, length=12).upper()
    budget = limit - len(suffix) - 2
    logical_part = logical[: max(budget // 2, budget - len(stack.name))]
    stack_part = stack.name[: budget - len(logical_part)]
    return f"{stack_part}-{logical_part}-{suffix}"
