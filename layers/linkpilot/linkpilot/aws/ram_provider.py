"""RAM, provider side: read and change the principals of the provider's own resource share.

The only module that makes the provider's RAM calls (the consumer side has its own adapter). Expected
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
