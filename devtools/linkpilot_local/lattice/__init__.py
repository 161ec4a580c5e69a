"""VPC Lattice resource gateways, resource configurations and service networks (moto lacks the first two
and service networks' resource associations).

Operations: Create/Get/List/Update/Delete ResourceGateway, Create/Get/List/Update/Delete
ResourceConfiguration, ListResourceEndpointAssociations, Start/Get/List/Delete DomainVerification,
Create/Get/List/Delete ServiceNetwork,
Create/Get/List/Delete ServiceNetworkResourceAssociation, Create/Get/List/Delete
ServiceNetworkVpcAssociation, and Tag/Untag/ListTagsForResource for gateway, configuration and VPC
association ARNs (other ARNs fall through to moto's vpc-lattice backend).
"""

from .configurations import (
    create_resource_configuration,
    delete_resource_configuration,
    domain_verified,
    get_resource_configuration,
    list_resource_configurations,
    list_resource_endpoint_associations,
    update_resource_configuration,
)
from .domain_verifications import (
    delete_domain_verification,
    get_domain_verification,
    list_domain_verifications,
    start_domain_verification,
)
from .gateways import (
    create_resource_gateway,
    delete_resource_gateway,
    get_resource_gateway,
    list_resource_gateways,
    update_resource_gateway,
)
from .service_networks import (
    SERVICE_NETWORK_TYPE,
    create_service_network,
    create_service_network_resource_association,
    delete_service_network,
    delete_service_network_resource_association,
    find_service_network_by_arn,
    get_service_network,
    get_service_network_resource_association,
    is_service_network_arn,
    list_service_network_resource_associations,
    list_service_networks,
    live_associations,
)
from .store import (
    RESOURCE_TYPE,
    LatticeStore,
    ResourceConfiguration,
    ResourceGateway,
    ServiceNetwork,
    configuration_status,
    find_configuration_by_arn,
    purge,
)
from .tags import list_tags_for_resource, tag_resource, untag_resource
from .vpc_associations import (
    create_service_network_vpc_association,
    delete_service_network_vpc_association,
    get_service_network_vpc_association,
    list_service_network_vpc_associations,
)

__all__ = [
    "HANDLERS",
    "RESOURCE_TYPE",
    "SERVICE_NETWORK_TYPE",
    "LatticeStore",
    "ResourceConfiguration",
    "ResourceGateway",
    "ServiceNetwork",
    "configuration_status",
    "domain_verified",
    "find_configuration_by_arn",
    "find_service_network_by_arn",
    "is_service_network_arn",
    "live_associations",
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
    "StartDomainVerification": start_domain_verification,
    "GetDomainVerification": get_domain_verification,
    "ListDomainVerifications": list_domain_verifications,
    "DeleteDomainVerification": delete_domain_verification,
    "CreateServiceNetwork": create_service_network,
    "GetServiceNetwork": get_service_network,
    "ListServiceNetworks": list_service_networks,
    "DeleteServiceNetwork": delete_service_network,
    "CreateServiceNetworkResourceAssociation": create_service_network_resource_association,
    "GetServiceNetworkResourceAssociation": get_service_network_resource_association,
    "ListServiceNetworkResourceAssociations": list_service_network_resource_associations,
    "DeleteServiceNetworkResourceAssociation": delete_service_network_resource_association,
    "CreateServiceNetworkVpcAssociation": create_service_network_vpc_association,
    "GetServiceNetworkVpcAssociation": get_service_network_vpc_association,
    "ListServiceNetworkVpcAssociations": list_service_network_vpc_associations,
    "DeleteServiceNetworkVpcAssociation": delete_service_network_vpc_association,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
