"""RAM, provider side: read and change the principals of the provider's own resource share.

The only module that makes the provider's RAM calls (the consumer side has its own adapter), the operator's
``linkpilot provider status`` reads included (the share found by its tag, the configurations on it). Expected
per-principal refusals come back as ``PrincipalChangeRefused`` so one bad principal never blocks the
others; throttling and service errors propagate, so the platform retries the invocation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from linkpilot.aws.errors import error_code, error_message, translates_errors
from linkpilot.provider.plan import PrincipalAssociation
from linkpilot.provider.ports import PrincipalChangeRefused, ShareNotFound

if TYPE_CHECKING:
    from mypy_boto3_ram import RAMClient

# Errors that concern one principal (or the share's settings) rather than the service's health.
REFUSAL_CODES = frozenset(
    {
        "InvalidParameterException",
        "OperationNotPermittedException",
        "UnknownResourceException",
        "MalformedArnException",
        "ResourceShareLimitExceededException",
        "InvalidStateTransitionException",
        "IdempotentParameterMismatchException",
        "InvalidClientTokenException",
    }
)


@translates_errors
class RamShareAdmin:
    """Principal associations of one provider-owned resource share."""

    def __init__(self, client: RAMClient) -> None:
        self._ram = client

    def principal_associations(self, share_arn: str) -> list[PrincipalAssociation]:
        found: list[PrincipalAssociation] = []
        pages = self._ram.get_paginator("get_resource_share_associations").paginate(
            associationType="PRINCIPAL", resourceShareArns=[share_arn]
        )
        try:
            # botocore's paginator follows nextToken (also past empty pages) and raises on a repeated token
            for page in pages:
                for item in page.get("resourceShareAssociations", []):
                    updated = item.get("lastUpdatedTime")
                    found.append(
                        PrincipalAssociation(
                            principal=item.get("associatedEntity", ""),
                            # the model's enum is upper case; read any case as it (states are compared
                            # case-insensitively wherever AWS prints them)
                            status=str(item.get("status", "")).upper(),
                            updated=updated.isoformat() if updated else "",
                            external=item.get("external"),
                        )
                    )
        except ClientError as exc:
            if error_code(exc) in {"UnknownResourceException", "MalformedArnException"}:
                message = f"resource share {share_arn} not found: {error_message(exc)}"
                raise ShareNotFound(error_code(exc), message) from exc
            raise
        return found

    def tagged_shares(self, key: str, value: str) -> list[str]:
        """The ARNs of the caller's active shares that carry the tag ``key=value`` (all pages)."""
        found: list[str] = []
        for page in self._ram.get_paginator("get_resource_shares").paginate(
            resourceOwner="SELF",
            resourceShareStatus="ACTIVE",
            tagFilters=[{"tagKey": key, "tagValues": [value]}],
        ):
            found.extend(s["resourceShareArn"] for s in page.get("resourceShares", []))
        return found

    def shared_resources(self, share_arn: str, resource_type: str) -> list[str]:
        """The ARNs of the caller's resources of ``resource_type`` on the share, sorted (all pages)."""
        arns: list[str] = []
        for page in self._ram.get_paginator("list_resources").paginate(
            resourceOwner="SELF", resourceShareArns=[share_arn], resourceType=resource_type
        ):
            arns.extend(r["arn"] for r in page.get("resources", []))
        return sorted(set(arns))

    def associate(self, share_arn: str, principal: str, client_token: str) -> None:
        try:
            self._ram.associate_resource_share(
                resourceShareArn=share_arn, principals=[principal], clientToken=client_token
            )
        except ClientError as exc:
            self._refuse_or_raise(exc)

    def disassociate(self, share_arn: str, principal: str, client_token: str) -> None:
        try:
            self._ram.disassociate_resource_share(
                resourceShareArn=share_arn, principals=[principal], clientToken=client_token
            )
        except ClientError as exc:
            self._refuse_or_raise(exc)

    @staticmethod
    def _refuse_or_raise(exc: ClientError) -> None:
        code = error_code(exc)
        if code in REFUSAL_CODES:
            raise PrincipalChangeRefused(code, error_message(exc)) from exc
        raise exc
