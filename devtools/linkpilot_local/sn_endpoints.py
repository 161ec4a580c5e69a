"""EC2 service-network endpoints (``VpcEndpointType="ServiceNetwork"``): one endpoint reaches every resource
configuration associated with a service network.

Evidence: CreateVpcEndpoint takes ``ServiceNetworkArn`` for this type and its create response has
no ``DnsEntries``, ``NetworkInterfaceIds`` or ``ServiceName`` (AWS CLI example 5 of create-vpc-endpoint);
``DescribeVpcEndpoints`` shows ``VpcEndpointType`` ServiceNetwork, the ``ServiceNetworkArn``, no DNS entries
and no network interfaces, the VPC's default security group when none is given, ``IpAddressType`` IPV4
(terraform-provider-aws TestAccVPCEndpoint_serviceNetwork), and with private DNS on the ``DnsOptions``
preference and specified domains (``["*"]`` when none were given:
TestAccVPCEndpoint_serviceNetworkPrivateDNSOptions). Its ``DescribeVpcEndpointAssociations`` rows
carry ``ServiceNetworkArn`` and ``ServiceNetworkName`` (botocore model, VpcEndpointAssociation).
UNVERIFIED, emulation choices: one row per resource configuration associated with the network (per CHILD of
a GROUP), named ``<endpoint id>-<snra id>.<rcfg id>.<hash>.vpc-lattice-rsc.<region>.on.aws`` (the shape of
the PrivateLink guide's example name); a row is accessible while the network is the caller's or shared
with it and the configuration is ACTIVE; services in a network are not emulated.

The endpoint lives in moto's EC2 backend like a resource endpoint (``ResourceEndpoint``), so
DescribeVpcEndpoints, tags, deletes and the data path treat it the same way: each row is one route of the
data path, served on a loopback address of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import ec2_endpoints
from .ec2_endpoints import (
    ResourceEndpoint,
    _ec2,
    _private_dns_preference,
    _tags_from_spec,
    check_quota,
    register,
    request_placement,
    token_replay,
)
from .errors import ec2_error
from .lattice import ServiceNetwork, find_service_network_by_arn, live_associations
from .lattice.store import ResourceConfiguration, configuration_status
from .util import hex_id, short_hash

if TYPE_CHECKING:
    from .context import EmulationContext, EndpointContext
    from .dispatch import Call


class ServiceNetworkEndpoint(ResourceEndpoint):
    """A ServiceNetwork VPC endpoint: the routes are the network's associated configurations."""

    def __init__(
        self, emu: EmulationContext, ec2_backend: Any, *, service_network_arn: str, **kwargs: Any
    ) -> None:
        super().__init__(emu, ec2_backend, configuration_arn="", **kwargs)
        self.vpc_endpoint_type = "ServiceNetwork"
        self.resource_configuration_arn = None  # type: ignore[assignment]
        self.service_network_arn = service_network_arn
        self.network_interface_ids = []  # terraform: network_interface_ids.# = 0 for this type

    def network(self) -> ServiceNetwork | None:
        return find_service_network_by_arn(self._emu, self.service_network_arn)

    def _snra_of(self) -> dict[str, str]:
        """configuration id -> the service-network resource association that brings it in."""
        sn = self.network()
        if sn is None:
            return {}
        return {a.configuration_id: a.id for a in live_associations(self._emu, sn.id)}

    def routes(self) -> list[tuple[str, ResourceConfiguration]]:
        sn = self.network()
        if sn is None:
            return []
        found: list[tuple[str, ResourceConfiguration]] = []
        for assoc in live_associations(self._emu, sn.id):
            cfg = self._emu.lattice.configurations[assoc.configuration_id]
            if cfg.type != "GROUP":
                found.append((f"{self.id}/{cfg.id}", cfg))
                continue
            children = [
                c
                for c in self._emu.lattice.configurations.values()
                if c.group_id == cfg.id and c.deleted_at is None
            ]
            found.extend((f"{self.id}/{c.id}", c) for c in sorted(children, key=lambda c: c.id))
        return found

    def dns_name(self, cfg: ResourceConfiguration) -> str:
        region = self.ec2_backend.region_name
        snra = self._snra_of().get(cfg.group_id or cfg.id, "")
        return f"{self.id}-{snra}.{cfg.id}.{short_hash(cfg.account, cfg.id)}.vpc-lattice-rsc.{region}.on.aws"

    ROW_ID_PREFIX = "vpce-sn-asc-"
    NOT_ACCESSIBLE = "The service network is not shared with this account or not active"

    def row_extra(self, cfg: ResourceConfiguration) -> dict[str, Any]:
        sn = self.network()
        extra = {"ServiceNetworkArn": self.service_network_arn, "ServiceNetworkName": sn.name if sn else ""}
        if cfg.group_id:
            extra["ResourceConfigurationGroupArn"] = self._emu.lattice.configurations[cfg.group_id].arn
        return extra

    def row_accessible(self, cfg: ResourceConfiguration) -> bool:
        return self.accessible() and configuration_status(self._emu, cfg) == "ACTIVE"

    def accessible(self) -> bool:
        """Can the endpoint's owner still use the network (owner, or shared and accepted)?"""
        sn = self.network()
        if sn is None:
            return False
        return sn.account == self.owner_id or self._emu.ram.has_access(self.owner_id, sn.arn)

    def get_filter_value(self, filter_name: str, method_name: str | None = None) -> Any:
        if filter_name == "service-network-arn":
            return self.service_network_arn
        return super().get_filter_value(filter_name, method_name)


def _network_arn(p: dict[str, Any]) -> str:
    return ec2_endpoints.target_arn(p, "ServiceNetwork", "ServiceNetworkArn", "servicenetwork/")


def create_vpc_endpoint(emu: EndpointContext[ResourceEndpoint], call: Call) -> dict[str, Any] | None:
    """CreateVpcEndpoint: the ServiceNetwork type here, the others as ``ec2_endpoints`` answers them."""
    if call.params.get("VpcEndpointType") == "ServiceNetwork":
        return create_service_network_endpoint(emu, call)
    return ec2_endpoints.create_vpc_endpoint(emu, call)


def create_service_network_endpoint(emu: EndpointContext[ResourceEndpoint], call: Call) -> dict[str, Any]:
    p = call.params
    token, digest, replayed = token_replay(emu, call)
    if replayed is not None:
        return replayed
    arn = _network_arn(p)
    ec2 = _ec2(call.account, call.region)
    vpc_id, subnet_ids, _subnets, _zones, sg_ids, ip_type = request_placement(ec2, p)
    sn = find_service_network_by_arn(emu, arn)
    visible = sn is not None and (sn.account == call.account or emu.ram.has_access(call.account, arn))
    if sn is None or not visible or sn.region != call.region:
        raise ec2_error(
            "InvalidParameter",
            f"The service network {arn} does not exist or is not shared with account {call.account}",
        )
    check_quota(emu, vpc_id)
    tags = _tags_from_spec(p.get("TagSpecifications") or [])
    preference = _private_dns_preference(p.get("DnsOptions") or {})
    if p.get("DryRun"):
        raise ec2_error(
            "DryRunOperation", "Request would have succeeded, but DryRun flag is set.", status=412
        )
    endpoint_id = hex_id("vpce-")
    endpoint = ServiceNetworkEndpoint(  # type: ignore[abstract]  # moto's CloudFormation hooks, unused here
        emu,
        ec2,
        service_network_arn=arn,
        endpoint_id=endpoint_id,
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        security_group_ids=sg_ids,
        network_interface_ids=[],
        ip_address_type=ip_type,
        private_dns_enabled=bool(p.get("PrivateDnsEnabled", False)),
        client_token=token,
        tags=tags,
        private_dns_preference=preference,
    )
    return register(emu, call, endpoint, token, digest)


# ec2_endpoints' operations, with CreateVpcEndpoint answering the ServiceNetwork type too
HANDLERS = {**ec2_endpoints.HANDLERS, "CreateVpcEndpoint": create_vpc_endpoint}
