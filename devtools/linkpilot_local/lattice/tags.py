"""Tag/Untag/ListTagsForResource for resource gateway, configuration and service-network VPC association ARNs
(others go to moto)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .common import (
    check_tags,
    resolve_configuration,
    resolve_gateway,
)
from .store import (
    ResourceConfiguration,
    ResourceGateway,
    VpcAssociation,
)
from .vpc_associations import find_vpc_association_by_arn

if TYPE_CHECKING:
    from ..context import EmulationContext
    from ..dispatch import Call


# ------------------------------------------------------------------------------------------- tags


def _tagged(
    emu: EmulationContext, call: Call, arn: str
) -> ResourceGateway | ResourceConfiguration | VpcAssociation | None:
    """The gateway/configuration/VPC association an ARN names, or None if the ARN is not one of ours (moto's
    then)."""
    if ":resourcegateway/" in arn:
        return resolve_gateway(emu, call, arn)
    if ":resourceconfiguration/" in arn:
        return resolve_configuration(emu, call, arn)
    return find_vpc_association_by_arn(emu, call, arn)


def tag_resource(emu: EmulationContext, call: Call) -> dict[str, Any] | None:
    target = _tagged(emu, call, call.params["resourceArn"])
    if target is None:
        return None
    merged = {**target.tags, **call.params.get("tags", {})}
    target.tags = check_tags(merged)
    return {}


def untag_resource(emu: EmulationContext, call: Call) -> dict[str, Any] | None:
    target = _tagged(emu, call, call.params["resourceArn"])
    if target is None:
        return None
    for key in call.params.get("tagKeys", []):
        target.tags.pop(key, None)
    return {}


def list_tags_for_resource(emu: EmulationContext, call: Call) -> dict[str, Any] | None:
    target = _tagged(emu, call, call.params["resourceArn"])
    if target is None:
        return None
    return {"tags": dict(target.tags)}
