"""EC2, consumer side: the Resource and ServiceNetwork endpoints Linkpilot manages: read, create, delete.

The only module that makes the consumer's EC2 calls. A reconcile reads the account's Resource and
ServiceNetwork endpoints once (``observed_endpoints``: one ``DescribeVpcEndpoints`` filtered by
``vpc-endpoint-type``, up to 1,000 per page) and splits them: the ones carrying the managed tag are
Linkpilot's (in any VPC), the untagged ones in the policy's VPC are only reported, never changed. Uninstall
and ``status`` read the tagged ones only (``managed_endpoints``). A Resource endpoint's DNS names are not in
``DescribeVpcEndpoints`` (AWS returns no ``DnsEntries`` for this type): they are read with
``DescribeVpcEndpointAssociations`` for the live managed endpoints, one row per associated resource (per
child of a GROUP configuration). A ServiceNetwork endpoint (one per shared service network) is read and
written the same way: its rows are the configurations associated with the network.
Per-endpoint refusals (availability-zone mismatch, quota, permission, bad ids) come back as
``Refused`` with a plain category; throttling and unexpected errors propagate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError, PaginationError

from linkpilot.aws.errors import error_code, error_message, is_transient, translates_errors
from linkpilot.consumer.models import (
    CONFIGURATION_TAG,
    MANAGED_TAG,
    SERVICE_NETWORK_TAG,
    SHARE_TAG,
    Endpoint,
    EndpointAssociation,
    is_service_network_arn,
)
from linkpilot.consumer.policy import EndpointPlacement
from linkpilot.errors import Refused

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import (
        DescribeVpcEndpointAssociationsRequestTypeDef,
        FilterTypeDef,
        VpcEndpointAssociationTypeDef,
        VpcEndpointTypeDef,
    )

PAGE_SIZE = 1000  # DescribeVpcEndpoints' maximum MaxResults
ASSOCIATIONS_PAGE_SIZE = 100  # DescribeVpcEndpointAssociations' MaxResults is 1-100 (botocore model)
# Endpoint ids per DescribeVpcEndpointAssociations call. The model documents no maximum for VpcEndpointIds
# (UNVERIFIED); a modest batch keeps each request small whatever EC2's unpublished limit is.
ASSOCIATIONS_BATCH = 50
DELETE_BATCH = 25
NOT_FOUND_CODES = frozenset({"InvalidVpcEndpoint.NotFound", "InvalidVpcEndpointId.NotFound"})
# The endpoint types the controller makes (VpcEndpointType, lower-cased: AWS prints "Resource")
MANAGED_TYPES = frozenset({"resource", "servicenetwork"})


def _category(code: str, message: str) -> str | None:
    """A plain name for a per-endpoint refusal; None when the error is not one we expect."""
    text = message.lower()
    if "availability zone" in text or "availabilityzone" in text or "availability-zone" in text:
        return "availability-zone mismatch"
    if "LimitExceeded" in code or "quota" in text:
        return "quota"
    if code in {"UnauthorizedOperation", "AccessDenied", "AccessDeniedException", "OperationNotPermitted"}:
        return "permission"
    if code.startswith("Invalid") or code in {"MissingParameter", "IdempotentParameterMismatch"}:
        return "invalid request"
    return None


def _endpoint(item: VpcEndpointTypeDef) -> Endpoint:
    tags = {t.get("Key", ""): t.get("Value", "") for t in item.get("Tags", [])}
    last_error = item.get("LastError", {})
    failure = item.get("FailureReason", "") or (
        f"{last_error.get('Code', '')}: {last_error.get('Message', '')}" if last_error else ""
    )
    return Endpoint(
        endpoint_id=item.get("VpcEndpointId", ""),
        vpc_id=item.get("VpcId", ""),
        state=str(item.get("State", "")).lower(),
        resource_configuration_arn=item.get("ResourceConfigurationArn", ""),
        service_network_arn=item.get("ServiceNetworkArn", ""),
        tags=tags,
        created_at=item.get("CreationTimestamp"),
        last_error=failure,
        ip_address_type=str(item.get("IpAddressType", "")).lower(),
    )


def _association(item: VpcEndpointAssociationTypeDef) -> EndpointAssociation:
    code, reason = item.get("FailureCode", ""), item.get("FailureReason", "")
    return EndpointAssociation(
        association_id=item.get("Id", ""),
        endpoint_id=item.get("VpcEndpointId", ""),
        associated_resource_arn=item.get("AssociatedResourceArn", ""),
        group_arn=item.get("ResourceConfigurationGroupArn", ""),
        dns_name=item.get("DnsEntry", {}).get("DnsName", ""),
        private_dns_name=item.get("PrivateDnsEntry", {}).get("DnsName", ""),
        # the AWS CLI example shows "Accessible"; the filter documentation writes it lower-case
        accessibility=str(item.get("AssociatedResourceAccessibility", "")).lower(),
        failure=": ".join(part for part in (code, reason) if part),
    )


@translates_errors
class Ec2Endpoints:
    def __init__(self, client: EC2Client) -> None:
        self._ec2 = client

    def managed_endpoints(self) -> list[Endpoint]:
        """The endpoints carrying the managed tag (any VPC), with their association rows."""
        return self._with_associations(
            self._resource_endpoints({"Name": f"tag:{MANAGED_TAG}", "Values": ["true"]})
        )

    def observed_endpoints(self, vpc_id: str) -> tuple[list[Endpoint], list[Endpoint]]:
        """One read for the reconcile: (the managed endpoints, any VPC, with their association rows; the
        Resource and ServiceNetwork endpoints WITHOUT the managed tag in ``vpc_id``). The managed set is the
        tagged subset of the account's endpoints of these types, so one of ours left in a VPC the policy no
        longer names is still seen (and replaced). The untagged ones are read only to be reported (e.g. one
        whose tag was removed: EC2 would hand it back for our ``ClientToken``), never planned for deletion."""
        # vpc-endpoint-type: a DescribeVpcEndpoints filter (botocore ec2 model, Filters: "Interface |
        # Gateway | GatewayLoadBalancer | Resource | ServiceNetwork")
        found = self._resource_endpoints(
            {"Name": "vpc-endpoint-type", "Values": ["Resource", "ServiceNetwork"]}
        )
        unmanaged = [e for e in found if not e.managed and e.vpc_id == vpc_id]
        return self._with_associations([e for e in found if e.managed]), unmanaged

    def vpc_ids(self) -> list[str]:
        """The VPCs this account sees (``DescribeVpcs``): where service-network VPC associations are looked
        for (VPC Lattice lists them per VPC or per network only)."""
        pages = self._ec2.get_paginator("describe_vpcs").paginate(PaginationConfig={"PageSize": PAGE_SIZE})
        return sorted({v.get("VpcId", "") for page in pages for v in page.get("Vpcs", [])} - {""})

    def _resource_endpoints(self, selector: FilterTypeDef) -> list[Endpoint]:
        # botocore's paginator follows NextToken (also past empty pages) and raises on a repeated token
        pages = self._ec2.get_paginator("describe_vpc_endpoints").paginate(
            Filters=[selector], PaginationConfig={"PageSize": PAGE_SIZE}
        )
        return [
            _endpoint(item)
            for page in pages
            for item in page.get("VpcEndpoints", [])
            if str(item.get("VpcEndpointType", "")).lower() in MANAGED_TYPES
        ]

    def _with_associations(self, endpoints: list[Endpoint]) -> list[Endpoint]:
        rows = self.associations([e.endpoint_id for e in endpoints if e.live])
        return [replace(e, associations=tuple(rows.get(e.endpoint_id, ()))) for e in endpoints]

    def associations(self, endpoint_ids: Sequence[str]) -> dict[str, list[EndpointAssociation]]:
        """Each endpoint's association rows (batched, paginated). An endpoint deleted since it was listed
        has none: a batch EC2 refuses as not found is read again one endpoint at a time."""
        rows: dict[str, list[EndpointAssociation]] = {}
        ids = sorted(set(endpoint_ids))
        for start in range(0, len(ids), ASSOCIATIONS_BATCH):
            batch = ids[start : start + ASSOCIATIONS_BATCH]
            try:
                found = self._association_rows(batch)
            except ClientError as exc:
                if error_code(exc) not in NOT_FOUND_CODES:
                    raise
                if len(batch) == 1:
                    continue
                found = [r for one in batch for r in self._association_rows_if_found(one)]
            for row in found:
                rows.setdefault(row.endpoint_id, []).append(row)
        for values in rows.values():
            values.sort(key=lambda r: (r.associated_resource_arn, r.association_id))
        return rows

    def _association_rows_if_found(self, endpoint_id: str) -> list[EndpointAssociation]:
        try:
            return self._association_rows([endpoint_id])
        except ClientError as exc:
            if error_code(exc) in NOT_FOUND_CODES:
                return []
            raise

    def _association_rows(self, endpoint_ids: list[str]) -> list[EndpointAssociation]:
        found: list[EndpointAssociation] = []
        request: DescribeVpcEndpointAssociationsRequestTypeDef = {
            "VpcEndpointIds": endpoint_ids,
            "MaxResults": ASSOCIATIONS_PAGE_SIZE,
        }
        seen: set[str] = set()
        while True:  # botocore has no paginator for DescribeVpcEndpointAssociations
            page = self._ec2.describe_vpc_endpoint_associations(**request)
            found.extend(_association(item) for item in page.get("VpcEndpointAssociations", []))
            token = page.get("NextToken", "")
            if not token:
                return found
            if token in seen:
                raise PaginationError(message=f"The same next token was received twice: {token}")
            seen.add(token)
            request["NextToken"] = token

    def create(
        self, placement: EndpointPlacement, configuration_arn: str, share_arn: str, client_token: str
    ) -> str:
        """Create (or, with the same token, find again) the configuration's endpoint; returns its id. For
        a service network ARN: the network's ServiceNetwork endpoint, tagged with the network.

        ``Refused("UnmanagedEndpoint")`` when the endpoint EC2 returns carries tags but not the managed tag:
        the token handed back an endpoint someone untagged, which is not ours and must not count as created.
        (Whether EC2 returns the current tags on a token replay is UNVERIFIED: the planner checks first.)
        """
        dns_options: dict[str, object] = {}
        if (dns := placement.dns_preference()) is not None:
            preference, domains = dns
            dns_options = {"PrivateDnsPreference": preference}
            if domains:
                dns_options["PrivateDnsSpecifiedDomains"] = list(domains)
        network = is_service_network_arn(configuration_arn)
        target_tag = SERVICE_NETWORK_TAG if network else CONFIGURATION_TAG
        target: dict[str, str] = (
            {"VpcEndpointType": "ServiceNetwork", "ServiceNetworkArn": configuration_arn}
            if network
            else {"VpcEndpointType": "Resource", "ResourceConfigurationArn": configuration_arn}
        )
        try:
            response = self._ec2.create_vpc_endpoint(
                **({"DnsOptions": dns_options} if dns_options else {}),  # type: ignore[arg-type]
                **target,  # type: ignore[arg-type]
                VpcId=placement.vpc_id,
                SubnetIds=list(placement.subnet_ids),
                # empty: EC2 applies the VPC's default security group (the EC2 protocol sends no list)
                SecurityGroupIds=list(placement.security_group_ids),
                IpAddressType=placement.ip_address_type,
                PrivateDnsEnabled=placement.private_dns,
                ClientToken=client_token,
                TagSpecifications=[
                    {
                        "ResourceType": "vpc-endpoint",
                        "Tags": [
                            {"Key": MANAGED_TAG, "Value": "true"},
                            {"Key": target_tag, "Value": configuration_arn},
                            {"Key": SHARE_TAG, "Value": share_arn},
                        ],
                    }
                ],
            )
        except ClientError as exc:
            code, message = error_code(exc), error_message(exc)
            category = None if is_transient(exc) else _category(code, message)
            if category is None:
                raise
            raise Refused(code, message, category) from exc
        endpoint = response.get("VpcEndpoint", {})
        endpoint_id = endpoint.get("VpcEndpointId", "")
        if "Tags" in endpoint and not _endpoint(endpoint).managed:
            raise Refused(
                "UnmanagedEndpoint",
                f"{endpoint_id} came back for this configuration without the {MANAGED_TAG} tag: not ours",
                "not ours",
            )
        return endpoint_id

    def delete(self, endpoint_ids: Sequence[str]) -> Mapping[str, Refused | None]:
        """Delete endpoints (batched); per id, None when gone or going, else why EC2 refused."""
        results: dict[str, Refused | None] = {}
        for start in range(0, len(endpoint_ids), DELETE_BATCH):
            batch = list(endpoint_ids[start : start + DELETE_BATCH])
            try:
                response = self._ec2.delete_vpc_endpoints(VpcEndpointIds=batch)
            except ClientError as exc:
                if error_code(exc) in NOT_FOUND_CODES and len(batch) == 1:
                    results[batch[0]] = None
                    continue
                raise
            refused = {}
            for item in response.get("Unsuccessful", []):
                err = item.get("Error", {})
                code, message = err.get("Code", ""), err.get("Message", "")
                if code not in NOT_FOUND_CODES:
                    refused[item.get("ResourceId", "")] = Refused(
                        code, message, _category(code, message) or "refused"
                    )
            results.update({eid: refused.get(eid) for eid in batch})
        return results
