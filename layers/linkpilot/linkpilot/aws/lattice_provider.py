"""VPC Lattice, provider side: the consumer endpoints connected to the provider's resource configurations.

``ListResourceEndpointAssociations(resourceConfigurationIdentifier)`` (botocore model; AWS CLI example
``vpc-lattice/list-resource-endpoint-associations``): one item per VPC endpoint on the configuration, with
``vpcEndpointId``, ``vpcEndpointOwner`` (the consumer account) and ``createdAt``. All pages are read: a page
may be empty while ``nextToken`` is set. The model lists ``ValidationException`` and ``AccessDeniedException``
for a configuration that is malformed or not the caller's: both become ``ConfigurationNotFound``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from linkpilot.aws.errors import error_code, error_message, translates_errors
from linkpilot.provider.connections import ConsumerEndpoint
from linkpilot.provider.ports import ConfigurationNotFound

if TYPE_CHECKING:
    from mypy_boto3_vpc_lattice import VPCLatticeClient

NOT_FOUND_CODES = frozenset({"ValidationException", "AccessDeniedException"})


@translates_errors
class LatticeConsumerEndpoints:
    def __init__(self, client: VPCLatticeClient) -> None:
        self._lattice = client

    def consumer_endpoints(self, configuration_arn: str) -> list[ConsumerEndpoint]:
        found: list[ConsumerEndpoint] = []
        token = ""
        while True:
            try:
                if token:
                    page = self._lattice.list_resource_endpoint_associations(
                        resourceConfigurationIdentifier=configuration_arn, nextToken=token
                    )
                else:
                    page = self._lattice.list_resource_endpoint_associations(
                        resourceConfigurationIdentifier=configuration_arn
                    )
            except ClientError as exc:
                if error_code(exc) in NOT_FOUND_CODES:
                    message = f"resource configuration {configuration_arn}: {error_message(exc)}"
                    raise ConfigurationNotFound(error_code(exc), message) from exc
                raise
            for item in page.get("items", []):
                found.append(
                    ConsumerEndpoint(
                        configuration_arn=item.get("resourceConfigurationArn") or configuration_arn,
                        endpoint_id=item.get("vpcEndpointId", ""),
                        owner=item.get("vpcEndpointOwner", ""),
                        created_at=item.get("createdAt"),
                        association_id=item.get("id", ""),
                    )
                )
            token = page.get("nextToken", "")
            if not token:
                return found
