"""What the RAM operations share: argument checks, client-token replay, pages, response views."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import AwsError, ram_error
from ..lattice import (
    RESOURCE_TYPE,
    SERVICE_NETWORK_TYPE,
    find_configuration_by_arn,
    find_service_network_by_arn,
    is_service_network_arn,
)
from ..util import arn_parts, fingerprint, paginate
from ..util import remember_token as remember
from ..util import token_replay as replay
from .store import (
    ACCOUNT_ID,
    SHARE_ARN,
    Association,
    Invitation,
    Share,
)

if TYPE_CHECKING:
    from ..context import EmulationContext
    from ..dispatch import Call


# ------------------------------------------------------------------------------------ validation


def check_share_arn(arn: str) -> None:
    if not SHARE_ARN.match(arn or ""):
        raise ram_error(
            "MalformedArnException", f"The specified ARN {arn} is not valid. Verify the ARN and try again."
        )


def owned_share(emu: EmulationContext, call: Call, arn: str) -> Share:
    check_share_arn(arn)
    share = emu.ram.shares.get(arn)
    if share is None or share.owner != call.account or share.region != call.region:
        raise ram_error("UnknownResourceException", f"ResourceShare {arn} could not be found.")
    return share


def validate_resources(emu: EmulationContext, call: Call, arns: list[str]) -> None:
    for arn in arns:
        parts = arn_parts(arn)
        if parts is None:
            raise ram_error(
                "MalformedArnException",
                f"The specified resource ARN {arn} is not valid. Verify the ARN and try again.",
            )
        if parts["service"] != "vpc-lattice" or not parts["resource"].startswith(
            ("resourceconfiguration/", "servicenetwork/")
        ):
            raise ram_error(
                "MalformedArnException",
                f"You cannot share the selected resource type ({arn}): the emulation shares "
                "vpc-lattice resource configurations and service networks only.",
            )
        found = shared_entity(emu, arn)
        if found is None or found.account != call.account or found.region != call.region:
            raise ram_error("UnknownResourceException", f"Resource {arn} could not be found.")
        if is_service_network_arn(arn) and not getattr(found, "sharing", True):
            # a service network created with sharingConfig.enabled false cannot be shared (UNVERIFIED code)
            raise ram_error(
                "OperationNotPermittedException", f"Service network {arn} was created with sharing disabled."
            )


def shared_entity(emu: EmulationContext, arn: str) -> Any:
    """The configuration or service network an ARN names (None when gone)."""
    if is_service_network_arn(arn):
        return find_service_network_by_arn(emu, arn)
    return find_configuration_by_arn(emu, arn)


def resource_type_of(arn: str) -> str:
    """RAM's resource type of a shareable ARN."""
    return SERVICE_NETWORK_TYPE if is_service_network_arn(arn) else RESOURCE_TYPE


def validate_principals(
    call: Call, principals: list[str], allow_external: bool, emu: EmulationContext
) -> None:
    for principal in principals:
        if not ACCOUNT_ID.match(principal):
            if principal.startswith("arn:aws:organizations::") or principal.startswith("arn:aws:iam::"):
                raise ram_error(
                    "OperationNotPermittedException",
                    f"Principal {principal}: the emulation shares with AWS account ids only.",
                )
            raise ram_error(
                "InvalidParameterException",
                f"Principal ID {principal} is malformed. Verify the ID and try again.",
            )
        if principal == call.account:
            raise ram_error(
                "InvalidParameterException", "The resource share owner can't be a principal of it."
            )
        if not allow_external and not emu.same_org(call.account, principal):
            raise ram_error(
                "OperationNotPermittedException",
                f"Principal {principal} is not in your AWS organization and this resource share "
                "does not allow external principals.",
            )


def check_token(token: str | None) -> None:
    if token is not None and (not token or len(token) > 64 or not token.isascii()):
        raise ram_error("InvalidClientTokenException", "The client token is not valid.")


def token_replay(emu: EmulationContext, call: Call, scope: str) -> Any:
    token = call.params.get("clientToken")
    check_token(token)
    if not token:
        return None

    def mismatch(_response: Any) -> AwsError:
        message = f"The client token {token} was already used with different parameters."
        return ram_error("IdempotentParameterMismatchException", message)

    return replay(emu.ram.share_tokens, (call.account, scope, token), call.params, mismatch)


def remember_token(emu: EmulationContext, call: Call, scope: str, response: Any) -> None:
    token = call.params.get("clientToken")
    if token:
        remember(emu.ram.share_tokens, (call.account, scope, token), call.params, response)


def page_of(call: Call, items: list[Any], scope: str, limit: int = 500) -> tuple[list[Any], str | None]:
    max_results = call.params.get("maxResults")
    if max_results is not None and not 1 <= max_results <= limit:
        raise ram_error("InvalidParameterException", f"maxResults must be between 1 and {limit}.")
    return paginate(
        items,
        max_results=max_results,
        next_token=call.params.get("nextToken"),
        scope=f"{call.account}/{scope}/{fingerprint(call.params, ignore=('nextToken', 'maxResults'))}",
        default_max=limit,
        bad_token=lambda: ram_error(
            "InvalidNextTokenException", "The specified value for NextToken is not valid."
        ),
    )


# ----------------------------------------------------------------------------------------- views


def share_view(share: Share) -> dict[str, Any]:
    return {
        "resourceShareArn": share.arn,
        "name": share.name,
        "owningAccountId": share.owner,
        "allowExternalPrincipals": share.allow_external,
        "status": share.status,
        "tags": share.tags,
        "creationTime": share.created,
        "lastUpdatedTime": share.updated,
        "featureSet": "STANDARD",
    }


def assoc_view(share: Share, assoc: Association, status: str | None = None) -> dict[str, Any]:
    return {
        "resourceShareArn": share.arn,
        "resourceShareName": share.name,
        "associatedEntity": assoc.entity,
        "associationType": assoc.kind,
        "status": status or assoc.status,
        "statusMessage": assoc.message,
        "creationTime": assoc.created,
        "lastUpdatedTime": assoc.updated,
        "external": assoc.external,
    }


def invitation_view(emu: EmulationContext, inv: Invitation) -> dict[str, Any]:
    share = emu.ram.shares.get(inv.share_arn)
    return {
        "resourceShareInvitationArn": inv.arn,
        "resourceShareName": share.name if share else None,
        "resourceShareArn": inv.share_arn,
        "senderAccountId": inv.sender,
        "receiverAccountId": inv.receiver,
        "invitationTimestamp": inv.created,
        "status": emu.ram.invitation_status(inv),
    }


def resource_view(share: Share, assoc: Association, emu: EmulationContext) -> dict[str, Any]:
    available = shared_entity(emu, assoc.entity) is not None
    return {
        "arn": assoc.entity,
        "type": resource_type_of(assoc.entity),
        "resourceShareArn": share.arn,
        "status": "AVAILABLE" if available else "UNAVAILABLE",
        "creationTime": assoc.created,
        "lastUpdatedTime": assoc.updated,
        "resourceRegionScope": "REGIONAL",
    }
