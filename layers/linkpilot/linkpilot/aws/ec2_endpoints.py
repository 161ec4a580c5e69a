"""EC2, consumer side: the resource endpoints Linkpilot manages (read, create, delete).

The only module that makes the consumer's EC2 calls. Reads only endpoints carrying the managed tag (one
call for up to 1,000), so an endpoint someone else made is never even seen, let alone touched.
Per-endpoint refusals (availability-zone mismatch, quota, permission, bad ids) come back as
``Refused`` with a plain category; throttling and unexpected errors propagate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from linkpilot.aws.errors import error_code, error_message, is_transient, translates_errors
from linkpilot.consumer.models import CONFIGURATION_TAG, MANAGED_TAG, SHARE_TAG, Endpoint
from linkpilot.consumer.policy import EndpointPlacement
from linkpilot.errors import Refused

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import DescribeVpcEndpointsRequestTypeDef, VpcEndpointTypeDef

PAGE_SIZE = 1000  # DescribeVpcEndpoints' maximum MaxResults
DELETE_BATCH = 25
NOT_FOUND_CODES = frozenset({"InvalidVpcEndpoint.NotFound", "InvalidVpcEndpointId.NotFound"})


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
    dns = item.get("DnsEntries", [])
    last_error = item.get("LastError", {})
    failure = item.get("FailureReason", "") or (
        f"{last_error.get('Code', '')}: {last_error.get('Message', '')}" if last_error else ""
    )
    return Endpoint(
        endpoint_id=item.get("VpcEndpointId", ""),
        vpc_id=item.get("VpcId", ""),
        state=str(item.get("State", "")).lower(),
        resource_configuration_arn=item.get("ResourceConfigurationArn", ""),
        tags=tags,
        dns_name=(dns[0].get("DnsName", "") if dns else ""),
        created_at=item.get("CreationTimestamp"),
        last_error=failure,
        ip_address_type=str(item.get("IpAddressType", "")).lower(),
    )


@translates_errors
class Ec2Endpoints:
    def __init__(self, client: EC2Client) -> None:
        self._ec2 = client

    def managed_endpoints(self) -> list[Endpoint]:
        found: list[Endpoint] = []
        request: DescribeVpcEndpointsRequestTypeDef = {
            "Filters": [{"Name": f"tag:{MANAGED_TAG}", "Values": ["true"]}],
            "MaxResults": PAGE_SIZE,
        }
        while True:
            page = self._ec2.describe_vpc_endpoints(**request)
            found.extend(
                _endpoint(item)
                for item in page.get("VpcEndpoints", [])
                if str(item.get("VpcEndpointType", "")).lower() == "resource"
            )
            request["NextToken"] = page.get("NextToken", "")
            if not request["NextToken"]:
                return found

    def create(
        self, placement: EndpointPlacement, configuration_arn: str, share_arn: str, client_token: str
    ) -> str:
        """Create (or, with the same token, find again) the configuration's endpoint; returns its id."""
        try:
            response = self._ec2.create_vpc_endpoint(
                VpcEndpointType="Resource",
                VpcId=placement.vpc_id,
                ResourceConfigurationArn=configuration_arn,
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
                            {"Key": CONFIGURATION_TAG, "Value": configuration_arn},
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
        return response.get("VpcEndpoint", {}).get("VpcEndpointId", "")

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
