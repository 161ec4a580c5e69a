"""VPC Lattice, consumer side: the service-network VPC associations Linkpilot manages (a shared service
network in the trust policy's ``association`` mode): read, create, delete.

The only module that makes the consumer's VPC Lattice calls. ``ListServiceNetworkVpcAssociations`` must be
filtered by a service network or a VPC (its documentation); the controller lists by VPC, for every VPC of
the account (the EC2 adapter names them), because an association outlives the network's share and one of
ours left in a VPC the policy no longer names must still be seen. The list's summaries carry no tags: each
association's tags are read with ``ListTagsForResource``; only the ones carrying the managed tag are ours,
and untagged ones in the policy's VPC are only reported.

An association is read into the controller's ``Endpoint`` shape (``kind="association"``, ``endpoint_id``
its ``snva-`` id), with its status in the endpoint vocabulary the planner speaks (``STATES``).
Refusals (conflict, quota, permission, invalid request) come back as ``Refused``; throttling and
unexpected errors propagate (``translates_errors`` makes them ``Transient``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from linkpilot.aws.errors import error_code, error_message, is_transient, translates_errors
from linkpilot.consumer.models import (
    ASSOCIATION,
    MANAGED_TAG,
    SERVICE_NETWORK_TAG,
    SHARE_TAG,
    Endpoint,
)
from linkpilot.consumer.policy import EndpointPlacement
from linkpilot.errors import Refused

if TYPE_CHECKING:
    from mypy_boto3_vpc_lattice import VPCLatticeClient
    from mypy_boto3_vpc_lattice.type_defs import ServiceNetworkVpcAssociationSummaryTypeDef

PAGE_SIZE = 100  # ListServiceNetworkVpcAssociations' maxResults is 1-100 (botocore model)
NOT_FOUND = "ResourceNotFoundException"
# ServiceNetworkVpcAssociationStatus (botocore model) -> the endpoint states the planner reads. An update
# (security groups) leaves the association in place, so it counts as available; a failed delete leaves it
# too and is retried like a failed endpoint.
STATES = {
    "ACTIVE": "available",
    "CREATE_IN_PROGRESS": "pending",
    "UPDATE_IN_PROGRESS": "available",
    "UPDATE_FAILED": "available",
    "DELETE_IN_PROGRESS": "deleting",
    "CREATE_FAILED": "failed",
    "DELETE_FAILED": "failed",
}
_CATEGORIES = {
    "ConflictException": "conflict",
    "ServiceQuotaExceededException": "quota",
    "AccessDeniedException": "permission",
    "ValidationException": "invalid request",
    NOT_FOUND: "not found",
}


def _refused(exc: ClientError) -> Refused | None:
    """The refusal for an expected error (by name); None for throttling and anything unexpected."""
    code = error_code(exc)
    category = None if is_transient(exc) else _CATEGORIES.get(code)
    return Refused(code, error_message(exc), category) if category else None


def _association(item: ServiceNetworkVpcAssociationSummaryTypeDef, tags: Mapping[str, str]) -> Endpoint:
    status = str(item.get("status", "")).upper()
    return Endpoint(
        endpoint_id=item.get("id", ""),
        vpc_id=item.get("vpcId", ""),
        state=STATES.get(status, status.lower()),
        resource_configuration_arn="",
        service_network_arn=item.get("serviceNetworkArn", ""),
        tags=dict(tags),
        created_at=item.get("createdAt"),
        last_error=f"status {status}" if status in {"CREATE_FAILED", "DELETE_FAILED"} else "",
        kind=ASSOCIATION,
    )


@translates_errors
class LatticeAssociations:
    def __init__(self, client: VPCLatticeClient) -> None:
        self._lattice = client

    def observed_associations(
        self, vpc_ids: Sequence[str], policy_vpc_id: str
    ) -> tuple[list[Endpoint], list[Endpoint]]:
        """(the managed associations of ``vpc_ids``; the ones WITHOUT the managed tag in ``policy_vpc_id``,
        read only to be reported). An association gone between the list and its tag read is skipped."""
        managed: list[Endpoint] = []
        unmanaged: list[Endpoint] = []
        # only VPCs EC2 lists: a policy naming a VPC that does not exist gets no association read (nor made)
        for vpc_id in sorted(set(vpc_ids)):
            for item in self._listed(vpc_id):
                try:
                    tags = self._tags(item.get("arn", ""))
                except ClientError as exc:
                    if error_code(exc) == NOT_FOUND:
                        continue
                    raise
                found = _association(item, tags)
                if found.managed:
                    managed.append(found)
                elif found.vpc_id == policy_vpc_id:
                    unmanaged.append(found)
        return managed, unmanaged

    def _tags(self, arn: str) -> Mapping[str, str]:
        """An association's tags. Refused (e.g. another account's association in a VPC shared with this
        one): no tags, so it is never taken for ours; nothing is deleted on a tag we could not read."""
        try:
            return self._lattice.list_tags_for_resource(resourceArn=arn).get("tags", {})
        except ClientError as exc:
            if error_code(exc) == "AccessDeniedException":
                return {}
            raise

    def managed_associations(self, vpc_ids: Sequence[str]) -> list[Endpoint]:
        """The associations carrying the managed tag in ``vpc_ids`` (uninstall, ``status``)."""
        return self.observed_associations(vpc_ids, "")[0]

    def _listed(self, vpc_id: str) -> list[ServiceNetworkVpcAssociationSummaryTypeDef]:
        if not vpc_id:
            return []
        pages = self._lattice.get_paginator("list_service_network_vpc_associations").paginate(
            vpcIdentifier=vpc_id, PaginationConfig={"PageSize": PAGE_SIZE}
        )
        return [item for page in pages for item in page.get("items", []) if item.get("vpcId") == vpc_id]

    def create(
        self, placement: EndpointPlacement, network_arn: str, share_arn: str, client_token: str
    ) -> str:
        """Associate the policy's VPC with the network (or, with the same token, find the association
        again), with the policy's security groups and private DNS settings, tagged as ours; returns its id."""
        # the endpoint's private DNS settings (dnsOptions only with private DNS on: botocore model)
        dns: dict[str, object] = {"privateDnsEnabled": placement.private_dns}
        if (preference := placement.dns_preference()) is not None:
            options: dict[str, object] = {"privateDnsPreference": preference[0]}
            if preference[1]:
                options["privateDnsSpecifiedDomains"] = list(preference[1])
            dns["dnsOptions"] = options
        try:
            response = self._lattice.create_service_network_vpc_association(
                **dns,  # type: ignore[arg-type]
                # an ARN: "You must use an ARN if the resources are in different accounts" (botocore model)
                serviceNetworkIdentifier=network_arn,
                vpcIdentifier=placement.vpc_id,
                # empty: VPC Lattice adds none ("security groups aren't added by default")
                securityGroupIds=list(placement.security_group_ids),
                clientToken=client_token,
                tags={MANAGED_TAG: "true", SERVICE_NETWORK_TAG: network_arn, SHARE_TAG: share_arn},
            )
        except ClientError as exc:
            refused = _refused(exc)
            if refused is None:
                raise
            raise refused from exc
        return response.get("id", "")

    def delete(self, association_ids: Sequence[str]) -> Mapping[str, Refused | None]:
        """Delete associations one by one; per id, None when gone or going, else why VPC Lattice refused."""
        results: dict[str, Refused | None] = {}
        for association_id in association_ids:
            try:
                self._lattice.delete_service_network_vpc_association(
                    serviceNetworkVpcAssociationIdentifier=association_id
                )
            except ClientError as exc:
                if error_code(exc) == NOT_FOUND:
                    results[association_id] = None
                    continue
                refused = _refused(exc)
                if refused is None:
                    raise
                results[association_id] = refused
                continue
            results[association_id] = None
        return results
