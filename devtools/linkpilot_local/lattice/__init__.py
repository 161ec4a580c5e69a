"""VPC Lattice resource gateways and resource configurations (moto has neither).

Operations: Create/Get/List/Update/Delete ResourceGateway, Create/Get/List/Update/Delete
ResourceConfiguration, ListResourceEndpointAssociations, and Tag/Untag/ListTagsForResource for
these ARNs (other ARNs fall through to moto's vpc-lattice backend).
"""

from .configurations import (
    create_resource_configuration,
    delete_resource_configuration,
    get_resource_configuration,
    list_resource_configurations,
    list_resource_endpoint_associations,
    update_resource_configuration,
)
from .gateways import (
    create_resource_gateway,
    delete_resource_gateway,
    get_resource_gateway,
    list_resource_gateways,
    update_resource_gateway,
)
from .store import (
    RESOURCE_TYPE,
    LatticeStore,
    ResourceConfiguration,
    ResourceGateway,
    configuration_status,
    find_configuration_by_arn,
    purge,
)
from .tags import list_tags_for_resource, tag_resource, untag_resource

__all__ = [
    "HANDLERS",
    "RESOURCE_TYPE",
    "LatticeStore",
    "ResourceConfiguration",
    "ResourceGateway",
    "configuration_status",
    "find_configuration_by_arn",
    "purge",
]

HANDLERS = {
    "CreateResourceGateway": create_resource_gateway,
    "GetResourceGateway": get_resource_gateway,
    "ListResourceGateways": list_resource_gateways,
    "UpdateResourceGateway": update_resource_gateway,
    "DeleteResourceGateway": delete_resource_gateway,
    "CreateResourceConfiguration": create_resource_configuration,
    "GetResourceConfiguration": get_resource_configuration,
    "ListResourceConfigurations": list_resource_configurations,
    "UpdateResourceConfiguration": update_resource_configuration,
    "DeleteResourceConfiguration": delete_resource_configuration,
    "ListResourceEndpointAssociations": list_resource_endpoint_associations,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
