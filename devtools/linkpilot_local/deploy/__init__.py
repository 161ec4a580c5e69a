"""A small local CloudFormation for our own two templates (see :mod:`.stack`): ``deploy_stack`` creates a
stack's resources in the local AWS; one creator per resource type (:mod:`.resources`)."""

from .model import DeployError, FunctionSpec, LocalStack
from .resources import CREATORS
from .stack import (
    deploy_stack,
    drain_inbox,
    resolve_ssm_parameters,
    stackset_instance_stack_name,
    write_baseline,
)

__all__ = [
    "CREATORS",
    "DeployError",
    "FunctionSpec",
    "LocalStack",
    "deploy_stack",
    "drain_inbox",
    "resolve_ssm_parameters",
    "stackset_instance_stack_name",
    "write_baseline",
]
