"""What the VPC Lattice operations share: resolving identifiers, name/tag checks, client tokens, pages."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .. import moto_compat
from ..errors import AwsError, lattice_conflict, lattice_not_found, lattice_validation
from ..util import hex_id, paginate, remember_token, token_replay
from .store import (
    CONFIG_ID,
    GATEWAY_ID,
    ResourceConfiguration,
    ResourceGateway,
)

if TYPE_CHECKING:
    from ..context import EmulationContext
    from ..dispatch import Call


# ---------------------------------------------------------------------------------------- helpers


def ec2_backend(emu: EmulationContext, account: str, region: str) -> Any:
    return moto_compat.ec2_backend(account, region)


def resolve_gateway(emu: EmulationContext, call: Call, identifier: str) -> ResourceGateway:
    match = GATEWAY_ID.match(identifier or "")
    if not match:
        raise lattice_validation(f"Invalid resource gateway identifier {identifier}", "fieldValidationFailed")
    gw_id = match.group(1) or match.group(4)
    if match.group(3) and (match.group(3) != call.account or match.group(2) != call.region):
        raise lattice_not_found(identifier, "RESOURCE_GATEWAY")
    gw = emu.lattice.gateways.get(gw_id)
    if gw is None or gw.account != call.account or gw.region != call.region or gw.deleted_at is not None:
        raise lattice_not_found(identifier, "RESOURCE_GATEWAY")
    return gw


def resolve_configuration(
    emu: EmulationContext, call: Call, identifier: str, *, allow_shared: bool = False
) -> ResourceConfiguration:
    match = CONFIG_ID.match(identifier or "")
    if not match:
        raise lattice_validation(
            f"Invalid resource configuration identifier {identifier}", "fieldValidationFailed"
        )
    cfg_id = match.group(1) or match.group(4)
    cfg = emu.lattice.configurations.get(cfg_id)
    if cfg is None or cfg.deleted_at is not None or cfg.region != call.region:
        raise lattice_not_found(identifier, "RESOURCE_CONFIGURATION")
    if match.group(3) and match.group(3) != cfg.account:
        raise lattice_not_found(identifier, "RESOURCE_CONFIGURATION")
    if cfg.account != call.account and not (allow_shared and emu.ram.has_access(call.account, cfg.arn)):
        raise lattice_not_found(identifier, "RESOURCE_CONFIGURATION")
    return cfg


def check_name(pattern: re.Pattern[str], name: str, what: str) -> None:
    if not pattern.match(name or ""):
        raise lattice_validation(
            f"Invalid {what} name {name!r}: 3-40 characters, lowercase letters, digits and single hyphens, "
            "not starting or ending with a hyphen",
            "fieldValidationFailed",
        )


def check_tags(tags: dict[str, str] | None) -> dict[str, str]:
    tags = dict(tags or {})
    if len(tags) > 50:
        raise lattice_validation("A resource can have at most 50 tags", "fieldValidationFailed")
    for key in tags:
        if key.lower().startswith("aws:"):
            raise lattice_validation(f"Tag keys can not start with 'aws:': {key}", "fieldValidationFailed")
    return tags


def new_resource(emu: EmulationContext, call: Call, prefix: str, kind: str) -> dict[str, Any]:
    """The fields every new Lattice resource starts with: its id (``prefix``), ARN (``kind``), the caller's
    account and Region, creation and update times, and the request's tags (checked)."""
    tags = check_tags(call.params.get("tags"))
    now = emu.clock.now()
    resource_id = hex_id(prefix)
    return {
        "id": resource_id,
        "arn": f"arn:aws:vpc-lattice:{call.region}:{call.account}:{kind}/{resource_id}",
        "account": call.account,
        "region": call.region,
        "created_at": now,
        "updated_at": now,
        "tags": tags,
    }


def idempotent(emu: EmulationContext, call: Call, kind: str, find: Any) -> Any:
    token = call.params.get("clientToken")
    if not token:
        return None

    def mismatch(resource_id: str) -> AwsError:
        message = "The client token was already used with different parameters"
        return lattice_conflict(message, resource_id, kind.upper())

    resource_id = token_replay(emu.lattice.tokens, (call.account, kind, token), call.params, mismatch)
    return None if resource_id is None else find(resource_id)


def remember(emu: EmulationContext, call: Call, kind: str, resource_id: str) -> None:
    token = call.params.get("clientToken")
    if token:
        remember_token(emu.lattice.tokens, (call.account, kind, token), call.params, resource_id)


def page_of(call: Call, items: list[Any], scope: str) -> tuple[list[Any], str | None]:
    max_results = call.params.get("maxResults")
    if max_results is not None and not 1 <= max_results <= 100:
        raise lattice_validation("maxResults must be between 1 and 100", "fieldValidationFailed")
    return paginate(
        items,
        max_results=max_results,
        next_token=call.params.get("nextToken"),
        scope=f"{call.account}/{scope}",
        default_max=100,
        bad_token=lambda: lattice_validation("Invalid pagination token", "fieldValidationFailed"),
    )
