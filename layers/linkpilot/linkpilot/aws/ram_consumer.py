"""RAM, consumer side: invitations, the resources in them, resources shared with this account, accept/reject.

The only module that makes the consumer's RAM calls. Reads page with the largest page size RAM allows, so
a no-op reconcile costs one call per list for up to 500 items. Accept/reject pass the caller's
deterministic ``clientToken``; "already accepted" is success, expiry is its own outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError, PaginationError

from linkpilot.aws.errors import error_code, error_message, translates_errors
from linkpilot.consumer.models import Invitation, InvitationOutcome, ShareResource
from linkpilot.consumer.policy import RESOURCE_CONFIGURATION_TYPE
from linkpilot.errors import Refused

if TYPE_CHECKING:
    from mypy_boto3_ram import RAMClient
    from mypy_boto3_ram.type_defs import (
        ListPendingInvitationResourcesRequestTypeDef,
    )

PAGE_SIZE = 500  # RAM's maximum maxResults

# The invitation changed state between our read and our call: nothing to inspect any more.
GONE_CODES = frozenset(
    {
        "ResourceShareInvitationArnNotFoundException",
        "ResourceShareInvitationAlreadyAcceptedException",
        "ResourceShareInvitationAlreadyRejectedException",
        "ResourceShareInvitationExpiredException",
        "MalformedArnException",
    }
)
# Refusals of one inspection: this invitation's contents cannot be read (e.g. IAM's ram:ShareOwnerAccountId
# condition denies the sender). That invitation is left pending and reported; the run goes on.
INSPECTION_REFUSAL_CODES = frozenset(
    {"AccessDeniedException", "AccessDenied", "OperationNotPermittedException"}
)
# Refusals of one accept/reject that retrying will not change.
REFUSAL_CODES = frozenset(
    {
        "ResourceShareInvitationArnNotFoundException",
        "ResourceShareInvitationAlreadyRejectedException",
        "IdempotentParameterMismatchException",
        "InvalidClientTokenException",
        "MalformedArnException",
        "OperationNotPermittedException",
        "AccessDeniedException",
        "UnknownResourceException",
    }
)


@translates_errors
class RamConsumer:
    def __init__(self, client: RAMClient) -> None:
        self._ram = client

    def invitations(self) -> list[Invitation]:
        found: list[Invitation] = []
        # botocore's paginator follows nextToken (also past empty pages) and raises on a repeated token
        pages = self._ram.get_paginator("get_resource_share_invitations").paginate(
            PaginationConfig={"PageSize": PAGE_SIZE}
        )
        for page in pages:
            for item in page.get("resourceShareInvitations", []):
                found.append(
                    Invitation(
                        arn=item.get("resourceShareInvitationArn", ""),
                        share_arn=item.get("resourceShareArn", ""),
                        share_name=item.get("resourceShareName", ""),
                        sender_account_id=item.get("senderAccountId", ""),
                        status=str(item.get("status", "")).upper(),
                        invited_at=item.get("invitationTimestamp"),
                    )
                )
        return found

    def shared_resources(
        self, resource_types: Sequence[str] = (RESOURCE_CONFIGURATION_TYPE,)
    ) -> list[ShareResource]:
        """Resources of ``resource_types`` other accounts share with this one (accepted or organization
        shares): one listing per type (``resourceType`` takes one value)."""
        return [r for t in resource_types for r in self._shared_of_type(t)]

    def _shared_of_type(self, resource_type: str) -> list[ShareResource]:
        pages = self._ram.get_paginator("list_resources").paginate(
            resourceOwner="OTHER-ACCOUNTS",
            resourceType=resource_type,
            PaginationConfig={"PageSize": PAGE_SIZE},
        )
        return [
            ShareResource(
                arn=r.get("arn", ""),
                type=r.get("type", ""),
                share_arn=r.get("resourceShareArn", ""),
                status=str(r.get("status", "")),
            )
            for page in pages
            for r in page.get("resources", [])
        ]

    def pending_resources(self, invitation: Invitation) -> list[ShareResource] | None:
        """What a pending invitation's share contains; None if the invitation is no longer pending.

        botocore has no paginator for ListPendingInvitationResources, so this loop follows ``nextToken``
        itself and, like botocore's paginators, stops with ``PaginationError`` on a token seen before.
        Raises ``Refused`` when AWS refuses to show this one invitation's contents (AccessDenied).
        """
        found: list[ShareResource] = []
        seen: set[str] = set()
        request: ListPendingInvitationResourcesRequestTypeDef = {
            "resourceShareInvitationArn": invitation.arn,
            "maxResults": PAGE_SIZE,
        }
        while True:
            try:
                page = self._ram.list_pending_invitation_resources(**request)
            except ClientError as exc:
                if error_code(exc) in GONE_CODES:
                    return None
                if error_code(exc) in INSPECTION_REFUSAL_CODES:
                    raise Refused(error_code(exc), error_message(exc), "inspection refused") from exc
                raise
            found.extend(
                ShareResource(
                    arn=r.get("arn", ""),
                    type=r.get("type", ""),
                    share_arn=r.get("resourceShareArn", "") or invitation.share_arn,
                    status=str(r.get("status", "")),
                )
                for r in page.get("resources", [])
            )
            token = page.get("nextToken", "")
            if not token:  # pages can be empty while a token is set: follow the token
                return found
            if token in seen:
                raise PaginationError(message=f"The same next token was received twice: {token}")
            seen.add(token)
            request["nextToken"] = token

    def accept(self, invitation_arn: str, client_token: str) -> InvitationOutcome:
        try:
            self._ram.accept_resource_share_invitation(
                resourceShareInvitationArn=invitation_arn, clientToken=client_token
            )
        except ClientError as exc:
            code = error_code(exc)
            if code == "ResourceShareInvitationAlreadyAcceptedException":
                return InvitationOutcome.ALREADY
            if code == "ResourceShareInvitationExpiredException":
                return InvitationOutcome.EXPIRED
            if code in REFUSAL_CODES:
                raise Refused(code, error_message(exc)) from exc
            raise
        return InvitationOutcome.DONE

    def reject(self, invitation_arn: str, client_token: str) -> InvitationOutcome:
        try:
            self._ram.reject_resource_share_invitation(
                resourceShareInvitationArn=invitation_arn, clientToken=client_token
            )
        except ClientError as exc:
            code = error_code(exc)
            if code == "ResourceShareInvitationAlreadyRejectedException":
                return InvitationOutcome.ALREADY
            if code == "ResourceShareInvitationExpiredException":
                return InvitationOutcome.EXPIRED
            if code in REFUSAL_CODES or code == "ResourceShareInvitationAlreadyAcceptedException":
                raise Refused(code, error_message(exc)) from exc
            raise
        return InvitationOutcome.DONE
