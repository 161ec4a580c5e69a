"""EC2 resource endpoints (``VpcEndpointType="Resource"``), stored in moto's own EC2 backend.

Each resource endpoint is a moto ``VPCEndPoint`` subclass that also carries the resource
configuration ARN and a clock-driven state (Pending -> Available, Deleting -> gone). It answers as AWS
prints a Resource endpoint: ``State`` capitalised (``Pending`` in AWS CLI example 4 of create-vpc-endpoint;
the others as the botocore model's ``State`` enum writes them, UNVERIFIED for this type), ``IpAddressType``
upper case (``IPV4``: the same example; terraform-provider-aws asserts it), and with private DNS on,
``DnsOptions`` with the ``PrivateDnsPreference`` and ``PrivateDnsSpecifiedDomains`` (``["*"]`` when none
were given: terraform-provider-aws ``TestAccVPCEndpoint_resourceConfigurationPrivateDNSOptions``). Like AWS,
a Resource endpoint has no ``DnsEntries`` (terraform-provider-aws acceptance tests assert
``dns_entry.# = 0``; the botocore model documents ``DnsEntries`` as "(Interface endpoint)"), and the
CreateVpcEndpoint response has no ``NetworkInterfaceIds`` either (AWS CLI example 4 of create-vpc-endpoint).
Its DNS names are in
DescribeVpcEndpointAssociations: one row per associated resource, i.e. one for a SINGLE/ARN
configuration and one per CHILD of a GROUP configuration (``ResourceConfigurationGroupArn`` set), named
``<endpoint id>.<rcfg id>.<hash>.vpc-lattice-rsc.<region>.on.aws`` as in the AWS CLI example.
Because it lives in moto's backend, moto's DescribeVpcEndpoints (with its filters),
CreateTags/DeleteTags/DescribeTags and ENIs work on it unchanged. This module answers
CreateVpcEndpoint for the Resource type (``sn_endpoints`` answers the ServiceNetwork type; others go to moto),
DeleteVpcEndpoints (all types:
moto silently ignores unknown ids where AWS reports them in ``Unsuccessful``), ModifyVpcEndpoint
for resource endpoints, and DescribeVpcEndpointAssociations.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from . import moto_compat
from . import private_dns as private_dns_rules
from .errors import ec2_error
from .lattice import (
    ResourceConfiguration,
    configuration_status,
    domain_verified,
    find_configuration_by_arn,
)
from .moto_compat import VpcEndpointModel
from .util import arn_parts, fingerprint, hex_id, paginate, short_hash

if TYPE_CHECKING:
    from .context import EmulationContext, EndpointContext
    from .dispatch import Call

ENDPOINTS_PER_VPC = 200
# The emulation's internal state names (lower case) -> ``State`` as AWS prints it for a Resource or
# ServiceNetwork endpoint: the botocore model's ``State`` enum (AWS CLI example 4/5 of create-vpc-endpoint
# print ``Pending``; Interface/Gateway examples print lower case, which this emulation leaves to moto).
AWS_STATES = {
    s.lower(): s
    for s in (
        "PendingAcceptance",
        "Pending",
        "Available",
        "Deleting",
        "Deleted",
        "Rejected",
        "Failed",
        "Expired",
        "Partial",
    )
}
# private DNS on without PrivateDnsSpecifiedDomains: DescribeVpcEndpoints reads back ["*"]
# (terraform-provider-aws TestAccVPCEndpoint_resourceConfigurationPrivateDNSOptions, _serviceNetwork...)
ALL_SPECIFIED_DOMAINS = ("*",)


def hosted_zone_id(region: str) -> str:
    """Stable, realistic-looking Route 53 hosted zone id for the region's vpc-lattice-rsc zone."""
    return "Z" + short_hash("vpc-lattice-rsc", region, length=13).upper()


class ResourceEndpoint(VpcEndpointModel):
    """A resource endpoint in moto's EC2 backend, with the attributes moto's model lacks."""

    def __init__(
        self,
        emu: EmulationContext,
        ec2_backend: Any,
        *,
        endpoint_id: str,
        vpc_id: str,
        subnet_ids: list[str],
        security_group_ids: list[str],
        network_interface_ids: list[str],
        configuration_arn: str,
        ip_address_type: str,
        private_dns_enabled: bool,
        client_token: str | None,
        tags: dict[str, str],
        private_dns_preference: tuple[str | None, list[str]] | None = None,
    ) -> None:
        self._emu = emu
        self._forced_state: str | None = None
        # no service name, and no DnsEntries on a Resource endpoint: its names are in its association rows
        super().__init__(
            ec2_backend,
            endpoint_id=endpoint_id,
            vpc_id=vpc_id,
            endpoint_type="Resource",
            subnet_ids=subnet_ids,
            network_interface_ids=network_interface_ids,
            client_token=client_token,
            security_group_ids=security_group_ids,
            tags=tags,
            private_dns_enabled=private_dns_enabled,
        )
        self.policy_document = cast(str, None)  # resource endpoints have no endpoint policy
        self.resource_configuration_arn = configuration_arn
        # as requested (the model's enum: ipv4 | dualstack | ipv6); printed upper case (ip_address_type)
        self.ip_type = ip_address_type.lower()
        self.creation_timestamp = emu.clock.now()
        self.deleted_at: datetime | None = None
        self.lattice_association_id = hex_id("rea-")
        cfg_account = (arn_parts(configuration_arn) or {}).get("account", "")
        self.lattice_association_arn = (
            f"arn:aws:vpc-lattice:{ec2_backend.region_name}:{cfg_account}:"
            f"resourceendpointassociation/{self.lattice_association_id}"
        )
        self._association_ids: dict[str, str] = {}
        self.loopback_ip: str | None = None
        # DnsOptions.PrivateDnsPreference / PrivateDnsSpecifiedDomains, as created
        self.private_dns_preference: tuple[str | None, list[str]] = private_dns_preference or (None, [])

    def get_tags(self) -> list[dict[str, str]]:
        """The endpoint's tags, as moto's ``get_tags`` returns them, looked up by id: moto's own runs
        ``describe_tags`` with a ``resource-id`` filter, a scan of every tag in the backend (so creating or
        describing n endpoints cost n squared)."""
        resource_type = moto_compat.ec2_resource_type(self.id)
        return [
            {"resource_id": self.id, "key": key, "value": value, "resource_type": resource_type}
            for key, value in self.ec2_backend.tags.get(self.id, {}).items()
        ]

    # moto's base class assigns ``self.state = "available"``; the state here comes from the clock.
    @property
    def state(self) -> str:
        """``State`` as AWS prints it (``Pending``, ``Available``, ...); ``state_now()`` is the internal
        lower-case name."""
        now = self.state_now()
        return AWS_STATES.get(now, now)

    @state.setter
    def state(self, value: str) -> None:
        self._forced_state = None if value.lower() == "available" else value.lower()

    @property
    def ip_address_type(self) -> str:
        """``IpAddressType`` as AWS prints it for this endpoint type: ``IPV4`` (AWS CLI example 4 of
        create-vpc-endpoint; terraform: "AWS API returns ip_address_type as uppercase"). ``DUALSTACK`` and
        ``IPV6`` are the same rule applied (UNVERIFIED)."""
        return self.ip_type.upper()

    def state_now(self) -> str:
        """The emulation's own (lower-case) state name: pending, available, deleting, or one forced."""
        if self.deleted_at is not None:
            return "deleting"
        if self._forced_state is not None:
            return self._forced_state
        pending = self._emu.delays.endpoint_pending
        lasts = self._emu.settle if pending is None else pending
        if self._emu.clock.now() < self.creation_timestamp + lasts:
            return "pending"
        return "available"

    def routes(self) -> list[tuple[str, ResourceConfiguration]]:
        """(route key, configuration) per associated resource: the endpoint's configuration, or for a
        GROUP each live CHILD (key ``<endpoint id>/<child id>``). The data path serves each route."""
        cfg = find_configuration_by_arn(self._emu, self.resource_configuration_arn)
        if cfg is None:
            return []
        if cfg.type != "GROUP":
            return [(str(self.id), cfg)]
        children = [
            c
            for c in self._emu.lattice.configurations.values()
            if c.group_id == cfg.id and c.deleted_at is None
        ]
        return [(f"{self.id}/{c.id}", c) for c in sorted(children, key=lambda c: c.id)]

    def dns_name(self, cfg: ResourceConfiguration) -> str:
        region = self.ec2_backend.region_name
        return f"{self.id}.{cfg.id}.{short_hash(cfg.account, cfg.id)}.vpc-lattice-rsc.{region}.on.aws"

    def private_dns_name_of(self, cfg: ResourceConfiguration) -> str | None:
        """With private DNS on: the configuration's custom domain name when the endpoint's private DNS
        preference admits it (``private_dns.admitted``); without a custom domain name, a DNS resource's own
        domain name (the emulation's earlier behaviour, UNVERIFIED); else None."""
        if not self.private_dns_enabled:
            return None
        if cfg.custom_domain:
            verified = domain_verified(self._emu, cfg)
            preference, specified = self.private_dns_preference
            admitted = private_dns_rules.admitted(
                cfg.custom_domain, verified=verified, preference=preference, specified=specified
            )
            return cfg.custom_domain if admitted else None
        if cfg.definition and "dnsResource" in cfg.definition:
            return str(cfg.definition["dnsResource"]["domainName"])
        return None

    def route_names(self) -> dict[str, str]:
        """Generated DNS name -> route key, of every association (public DNS: resolves from anywhere)."""
        return {self.dns_name(cfg): key for key, cfg in self.routes()}

    def private_route_names(self) -> dict[str, str]:
        """Private DNS name -> route key, of every association that has one (resolves in the endpoint's own
        VPC only: a private hosted zone there)."""
        names: dict[str, str] = {}
        for key, cfg in self.routes():
            private = self.private_dns_name_of(cfg)
            if private:
                names[private] = key
        return names

    # what a row of this endpoint type looks like (a ServiceNetwork endpoint's rows differ: sn_endpoints)
    ROW_ID_PREFIX = "vpce-rsc-asc-"
    NOT_ACCESSIBLE = "The resource configuration is not shared with this account"

    def row_accessible(self, cfg: ResourceConfiguration) -> bool:
        return self.accessible()

    def row_extra(self, cfg: ResourceConfiguration) -> dict[str, Any]:
        """Keys of a row beyond the common ones: the GROUP a child row belongs to."""
        group = find_configuration_by_arn(self._emu, self.resource_configuration_arn)
        if group is not None and group.type == "GROUP":
            return {"ResourceConfigurationGroupArn": group.arn}
        return {}

    def association_rows(self) -> list[dict[str, Any]]:
        """The endpoint's DescribeVpcEndpointAssociations rows."""
        region = self.ec2_backend.region_name
        rows = []
        for key, cfg in self.routes():
            accessible = self.row_accessible(cfg)
            row: dict[str, Any] = {
                "Id": self._association_ids.setdefault(key, hex_id(self.ROW_ID_PREFIX)),
                "VpcEndpointId": self.id,
                "AssociatedResourceAccessibility": "Accessible" if accessible else "Inaccessible",
                "DnsEntry": {"DnsName": self.dns_name(cfg), "HostedZoneId": hosted_zone_id(region)},
                "AssociatedResourceArn": cfg.arn,
                "Tags": [],
                **self.row_extra(cfg),
            }
            private = self.private_dns_name_of(cfg)
            if private:
                zone = "Z" + short_hash(self.vpc_id, length=13).upper()
                row["PrivateDnsEntry"] = {"DnsName": private, "HostedZoneId": zone}
            if not accessible:
                row["FailureCode"] = "ResourceConfigurationNotAccessible"
                row["FailureReason"] = self.NOT_ACCESSIBLE
            rows.append(row)
        return rows

    @property
    def vpc_endpoint_id(self) -> str:
        return str(self.id)

    @property
    def dns_options(self) -> dict[str, Any]:
        """``DnsOptions``; with private DNS on, also the preference the endpoint applies (the one given, else
        the emulation's default, ``private_dns.DEFAULT_PREFERENCE``: UNVERIFIED which one AWS reads back) and
        the specified domains (``["*"]`` when none were given, as terraform's acceptance tests read back)."""
        options: dict[str, Any] = {"DnsRecordIpType": self.ip_type}
        if self.private_dns_enabled:
            preference, specified = self.private_dns_preference
            options["PrivateDnsPreference"] = preference or private_dns_rules.DEFAULT_PREFERENCE
            options["PrivateDnsSpecifiedDomains"] = list(specified or ALL_SPECIFIED_DOMAINS)
        return options

    @property
    def requester_managed(self) -> bool:
        return False

    def accessible(self) -> bool:
        """Can the endpoint's owner still use the configuration (owner, or shared and accepted)?"""
        cfg = find_configuration_by_arn(self._emu, self.resource_configuration_arn)
        if cfg is None or configuration_status(self._emu, cfg) != "ACTIVE":
            return False
        return cfg.account == self.owner_id or self._emu.ram.has_access(self.owner_id, cfg.arn)

    def get_filter_value(self, filter_name: str, method_name: str | None = None) -> Any:
        if filter_name == "vpc-id":
            return self.vpc_id
        if filter_name == "vpc-endpoint-id":
            return self.id
        if filter_name == "ip-address-type":
            return self.ip_type  # the filter's documented values are lower case (ipv4 | ipv6)
        if filter_name in ("vpc-endpoint-state", "vpc_endpoint_state"):
            return self.state_now()  # documented values: pendingAcceptance | pending | available | ...
        return super().get_filter_value(filter_name, method_name)


class EndpointStore:
    def __init__(self) -> None:
        self.by_id: dict[str, ResourceEndpoint] = {}
        self.tokens: dict[tuple[str, str, str], tuple[str, str]] = {}

    def all(self) -> Iterator[ResourceEndpoint]:
        return iter(list(self.by_id.values()))


def _ec2(account: str, region: str) -> Any:
    return moto_compat.ec2_backend(account, region)


def purge(emu: EndpointContext[ResourceEndpoint]) -> None:
    """Remove endpoints whose deletion has finished from moto's backend (AWS stops listing them)."""
    now = emu.clock.now()
    for endpoint in emu.endpoints.all():
        if endpoint.deleted_at is not None and now >= endpoint.deleted_at + emu.settle:
            endpoint.ec2_backend.vpc_end_points.pop(endpoint.id, None)
            del emu.endpoints.by_id[endpoint.id]


def _tags_from_spec(specs: list[dict[str, Any]]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for spec in specs or []:
        if spec.get("ResourceType") not in (None, "vpc-endpoint"):
            raise ec2_error(
                "InvalidParameter",
                f"'{spec.get('ResourceType')}' is not a valid taggable resource type for this operation.",
            )
        for tag in spec.get("Tags") or []:
            key = tag.get("Key", "")
            if key.lower().startswith("aws:"):
                raise ec2_error(
                    "InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use"
                )
            tags[key] = tag.get("Value", "")
    return tags


def create_vpc_endpoint(emu: EndpointContext[ResourceEndpoint], call: Call) -> dict[str, Any] | None:
    p = call.params
    if p.get("VpcEndpointType") != "Resource":
        return None  # Interface / Gateway / ...: moto's
    token, digest, replayed = token_replay(emu, call)
    if replayed is not None:
        return replayed
    cfg_arn = _configuration_arn(p)
    ec2 = _ec2(call.account, call.region)
    vpc_id, subnet_ids, subnets, zones, sg_ids, ip_type = request_placement(ec2, p)
    cfg = _usable_configuration(emu, call, cfg_arn)
    _check_gateway(emu, call, cfg, vpc_id, zones)
    check_quota(emu, vpc_id)
    tags = _tags_from_spec(p.get("TagSpecifications") or [])
    preference = _private_dns_preference(p.get("DnsOptions") or {})
    if p.get("DryRun"):
        raise ec2_error(
            "DryRunOperation", "Request would have succeeded, but DryRun flag is set.", status=412
        )

    endpoint_id = hex_id("vpce-")
    eni_ids = []
    for subnet in subnets:
        eni = ec2.create_network_interface(
            subnet,
            moto_compat.random_private_ip(subnet.cidr_block),
            group_ids=sg_ids,
            description=f"VPC Endpoint Interface {endpoint_id}",
        )
        eni_ids.append(eni.id)
    private_dns = bool(p.get("PrivateDnsEnabled", False))
    endpoint = ResourceEndpoint(  # type: ignore[abstract]  # moto's CloudFormation hooks, unused here
        emu,
        ec2,
        endpoint_id=endpoint_id,
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        security_group_ids=sg_ids,
        network_interface_ids=eni_ids,
        configuration_arn=cfg_arn,
        ip_address_type=ip_type,
        private_dns_enabled=private_dns,
        client_token=token,
        tags=tags,
        private_dns_preference=preference,
    )
    return register(emu, call, endpoint, token, digest)


def register(
    emu: EndpointContext[ResourceEndpoint],
    call: Call,
    endpoint: ResourceEndpoint,
    token: str | None,
    digest: str,
) -> dict[str, Any]:
    """Store a new endpoint in moto's backend and the emulation (its token too), serve it on the data
    path, and answer the create."""
    endpoint.ec2_backend.vpc_end_points[endpoint.id] = endpoint
    emu.endpoints.by_id[endpoint.id] = endpoint
    if token:
        emu.endpoints.tokens[(call.account, call.region, token)] = (digest, endpoint.id)
    emu.datapath.attach(endpoint)
    return {"VpcEndpoint": _CreatedView(endpoint), "ClientToken": token}


def token_replay(
    emu: EndpointContext[ResourceEndpoint], call: Call
) -> tuple[str | None, str, dict[str, Any] | None]:
    """The request's ClientToken (checked), its parameters' digest, and the answer when the token was seen
    with the same parameters (an endpoint it created that still exists)."""
    p = call.params
    token = p.get("ClientToken")
    if token is not None and (len(token) > 64 or not token.isascii()):
        raise ec2_error("InvalidClientToken", "The client token is not valid")
    digest = fingerprint(p, ignore=("DryRun",))
    replayed = _replayed_endpoint(emu, call, token, digest) if token else None
    if replayed is not None:
        return token, digest, {"VpcEndpoint": _CreatedView(replayed), "ClientToken": token}
    return token, digest, None


Placement = tuple[str, list[str], list[Any], set[str], list[str], str]


def request_placement(ec2: Any, p: dict[str, Any]) -> Placement:
    """(vpc id, subnet ids, subnets, zone ids, security groups, ip address type) of a create, checked."""
    vpc_id = p.get("VpcId", "")
    if vpc_id not in ec2.vpcs:
        raise ec2_error("InvalidVpcID.NotFound", f"The vpc ID '{vpc_id}' does not exist")
    subnet_ids = list(p.get("SubnetIds") or [])
    subnets, zones = _endpoint_subnets(ec2, vpc_id, subnet_ids)
    sg_ids = _endpoint_security_groups(ec2, vpc_id, list(p.get("SecurityGroupIds") or []))
    ip_type = p.get("IpAddressType") or "ipv4"
    if ip_type not in {"ipv4", "dualstack", "ipv6"}:
        raise ec2_error("InvalidParameterValue", f"Value ({ip_type}) for parameter IpAddressType is invalid")
    return vpc_id, subnet_ids, subnets, zones, sg_ids, ip_type


def check_quota(emu: EndpointContext[ResourceEndpoint], vpc_id: str) -> None:
    live = [e for e in emu.endpoints.all() if e.vpc_id == vpc_id and e.deleted_at is None]
    if len(live) >= ENDPOINTS_PER_VPC:
        raise ec2_error("VpcEndpointLimitExceeded", "The maximum number of VPC endpoints has been reached.")


class _CreatedView:
    """The endpoint as CreateVpcEndpoint answers for a Resource endpoint: no NetworkInterfaceIds yet
    (AWS CLI example 4 of create-vpc-endpoint); DescribeVpcEndpoints lists them."""

    network_interface_ids = None

    def __init__(self, endpoint: ResourceEndpoint) -> None:
        self._endpoint = endpoint

    def __getattr__(self, name: str) -> Any:
        return getattr(self._endpoint, name)


def _replayed_endpoint(
    emu: EndpointContext[ResourceEndpoint], call: Call, token: str, digest: str
) -> ResourceEndpoint | None:
    """The endpoint an earlier request with this token created (same parameters), if it still exists."""
    seen = emu.endpoints.tokens.get((call.account, call.region, token))
    if seen is None:
        return None
    if seen[0] != digest:
        raise ec2_error(
            "IdempotentParameterMismatch",
            f"The client token {token} has already been used with different parameters",
        )
    endpoint: ResourceEndpoint | None = _ec2(call.account, call.region).vpc_end_points.get(seen[1])
    return endpoint


TARGET_PARAMETERS = ("ResourceConfigurationArn", "ServiceNetworkArn")


def target_arn(p: dict[str, Any], endpoint_type: str, parameter: str, resource_prefix: str) -> str:
    """The request's target ARN for a Resource or ServiceNetwork endpoint (``parameter``), checked for shape,
    and no parameter of other endpoint types."""
    arn = p.get(parameter)
    if not arn:
        raise ec2_error("MissingParameter", f"The request must contain the parameter {parameter}")
    others = (
        "ServiceName",
        "PolicyDocument",
        "RouteTableIds",
        *(t for t in TARGET_PARAMETERS if t != parameter),
    )
    for name in others:
        if p.get(name):
            raise ec2_error(
                "InvalidParameterCombination",
                f"{name} is not supported for VPC endpoints of type {endpoint_type}",
            )
    parts = arn_parts(arn)
    if (
        parts is None
        or parts["service"] != "vpc-lattice"
        or not parts["resource"].startswith(resource_prefix)
    ):
        raise ec2_error("InvalidParameterValue", f"Value ({arn}) for parameter {parameter} is invalid")
    return str(arn)


def _configuration_arn(p: dict[str, Any]) -> str:
    return target_arn(p, "Resource", "ResourceConfigurationArn", "resourceconfiguration/")


def _endpoint_subnets(ec2: Any, vpc_id: str, subnet_ids: list[str]) -> tuple[list[Any], set[str]]:
    """The endpoint's subnets (at least one, in the VPC, one per zone) and their zone ids."""
    if not subnet_ids:
        raise ec2_error(
            "InvalidParameter", "At least one subnet is required for a VPC endpoint of type Resource"
        )
    subnets = []
    zones: set[str] = set()
    for subnet_id in subnet_ids:
        try:
            subnet = ec2.get_subnet(subnet_id)
        except Exception:  # noqa: BLE001 - moto raises InvalidSubnetID.NotFound of its own kind
            raise ec2_error(
                "InvalidSubnetID.NotFound", f"The subnet ID '{subnet_id}' does not exist"
            ) from None
        if subnet.vpc_id != vpc_id:
            raise ec2_error("InvalidParameter", f"The subnet {subnet_id} does not belong to the VPC {vpc_id}")
        if subnet.availability_zone_id in zones:
            raise ec2_error(
                "DuplicateSubnetsInSameZone",
                f"Found another VPC endpoint subnet in the availability zone of {subnet_id}. "
                "VPC endpoint subnets should be in different availability zones "
                "supported by the VPC endpoint.",
            )
        zones.add(subnet.availability_zone_id)
        subnets.append(subnet)
    return subnets, zones


def _endpoint_security_groups(ec2: Any, vpc_id: str, sg_ids: list[str]) -> list[str]:
    """The given security groups (each in the VPC), or the VPC's default group when none is given."""
    for sg_id in sg_ids:
        sg = ec2.get_security_group_from_id(sg_id)
        if sg is None:
            raise ec2_error("InvalidGroup.NotFound", f"The security group '{sg_id}' does not exist")
        if sg.vpc_id != vpc_id:
            raise ec2_error(
                "InvalidParameter", f"The security group {sg_id} does not belong to the VPC {vpc_id}"
            )
    if not sg_ids:
        default = ec2.get_default_security_group(vpc_id)
        sg_ids = [default.id] if default is not None else []
    return sg_ids


def _private_dns_preference(options: dict[str, Any]) -> tuple[str | None, list[str]]:
    """DnsOptions' private DNS preference and specified domains, checked (botocore ec2 model,
    ``DnsOptionsSpecification``)."""
    preference = options.get("PrivateDnsPreference")
    specified = list(options.get("PrivateDnsSpecifiedDomains") or [])
    if preference is not None and preference not in private_dns_rules.PREFERENCES:
        raise ec2_error(
            "InvalidParameterValue", f"Value ({preference}) for parameter PrivateDnsPreference is invalid"
        )
    if specified and preference not in private_dns_rules.WITH_SPECIFIED:
        raise ec2_error(
            "InvalidParameterValue",
            "PrivateDnsSpecifiedDomains needs a specified-domains PrivateDnsPreference",
        )
    return preference, specified


def _usable_configuration(emu: EmulationContext, call: Call, cfg_arn: str) -> ResourceConfiguration:
    """The configuration, if the caller owns it or has it shared, in the Region, active, not a child."""
    cfg = find_configuration_by_arn(emu, cfg_arn)
    visible = cfg is not None and (cfg.account == call.account or emu.ram.has_access(call.account, cfg_arn))
    if cfg is None or not visible or cfg.region != call.region:
        raise ec2_error(
            "InvalidParameter",
            f"The resource configuration {cfg_arn} does not exist "
            f"or is not shared with account {call.account}",
        )
    if configuration_status(emu, cfg) != "ACTIVE":
        raise ec2_error("InvalidParameter", f"The resource configuration {cfg_arn} is not active")
    if cfg.type in {"CHILD"}:
        raise ec2_error("InvalidParameter", "Create the endpoint for the GROUP resource configuration")
    return cfg


def _check_gateway(
    emu: EmulationContext, call: Call, cfg: ResourceConfiguration, vpc_id: str, zones: set[str]
) -> None:
    """The configuration's gateway is in another VPC and shares an Availability Zone with the endpoint."""
    gateway = emu.lattice.gateways.get(cfg.gateway_id or "")
    if gateway is None:
        return
    if gateway.vpc_id == vpc_id and gateway.account == call.account:
        raise ec2_error(
            "InvalidParameter", "The resource gateway of this resource configuration is in the same VPC"
        )
    gw_ec2 = _ec2(gateway.account, gateway.region)
    gw_zones = set()
    for gw_subnet in gateway.subnet_ids:
        try:
            gw_zones.add(gw_ec2.get_subnet(gw_subnet).availability_zone_id)
        except Exception:  # noqa: BLE001,S112 - a subnet deleted under a gateway simply offers no zone
            continue
    if gw_zones and not gw_zones & zones:
        raise ec2_error(
            "InvalidParameter",
            "The VPC endpoint subnets must share at least one Availability Zone "
            "with the resource gateway "
            f"(gateway zones: {', '.join(sorted(gw_zones))})",
        )


def delete_vpc_endpoints(emu: EndpointContext[ResourceEndpoint], call: Call) -> dict[str, Any]:
    ec2 = _ec2(call.account, call.region)
    ids = list(call.params.get("VpcEndpointIds") or [])
    if call.params.get("DryRun"):
        raise ec2_error(
            "DryRunOperation", "Request would have succeeded, but DryRun flag is set.", status=412
        )
    unsuccessful = []
    for endpoint_id in ids:
        if not endpoint_id.startswith("vpce-"):
            unsuccessful.append(
                {
                    "ResourceId": endpoint_id,
                    "Error": {
                        "Code": "InvalidVpcEndpointId.Malformed",
                        "Message": f"Invalid Id: '{endpoint_id}' (expecting 'vpce-...')",
                    },
                }
            )
            continue
        endpoint = ec2.vpc_end_points.get(endpoint_id)
        if endpoint is None or str(getattr(endpoint, "state", "")).lower() == "deleted":
            unsuccessful.append(
                {
                    "ResourceId": endpoint_id,
                    "Error": {
                        "Code": "InvalidVpcEndpoint.NotFound",
                        "Message": f"The Vpc Endpoint Id '{endpoint_id}' does not exist",
                    },
                }
            )
            continue
        if isinstance(endpoint, ResourceEndpoint):
            if endpoint.deleted_at is None:
                endpoint.deleted_at = emu.clock.now()
                for eni_id in endpoint.network_interface_ids:
                    ec2.enis.pop(eni_id, None)
                emu.datapath.detach(endpoint)
        else:
            ec2.delete_vpc_endpoints(vpce_ids=[endpoint_id])
    return {"Unsuccessful": unsuccessful}


def modify_vpc_endpoint(emu: EndpointContext[ResourceEndpoint], call: Call) -> dict[str, Any] | None:
    p = call.params
    endpoint = emu.endpoints.by_id.get(p.get("VpcEndpointId", ""))
    if endpoint is None or endpoint.owner_id != call.account:
        return None  # moto's endpoint (or moto's NotFound error)
    allowed = {"VpcEndpointId", "AddSecurityGroupIds", "RemoveSecurityGroupIds", "DryRun"}
    extra = sorted(k for k, v in p.items() if k not in allowed and v not in (None, [], False))
    if extra:
        raise ec2_error(
            "InvalidParameter",
            "Only security groups can be modified on a VPC endpoint of type Resource "
            f"(got {', '.join(extra)})",
        )
    ec2 = endpoint.ec2_backend
    for sg_id in p.get("AddSecurityGroupIds") or []:
        sg = ec2.get_security_group_from_id(sg_id)
        if sg is None:
            raise ec2_error("InvalidGroup.NotFound", f"The security group '{sg_id}' does not exist")
        if sg.vpc_id != endpoint.vpc_id:
            raise ec2_error(
                "InvalidParameter", f"The security group {sg_id} does not belong to the VPC {endpoint.vpc_id}"
            )
    if p.get("DryRun"):
        raise ec2_error(
            "DryRunOperation", "Request would have succeeded, but DryRun flag is set.", status=412
        )
    groups = [g for g in endpoint.security_group_ids if g not in (p.get("RemoveSecurityGroupIds") or [])]
    groups += [g for g in (p.get("AddSecurityGroupIds") or []) if g not in groups]
    if not groups:
        raise ec2_error(
            "InvalidParameter", "A VPC endpoint of type Resource needs at least one security group"
        )
    endpoint.security_group_ids = groups
    return {"Return": True}


def describe_vpc_endpoint_associations(emu: EndpointContext[ResourceEndpoint], call: Call) -> dict[str, Any]:
    p = call.params
    ec2 = _ec2(call.account, call.region)
    ids = list(p.get("VpcEndpointIds") or [])
    for endpoint_id in ids:
        if endpoint_id not in ec2.vpc_end_points:
            raise ec2_error(
                "InvalidVpcEndpointId.NotFound", f"The VpcEndpoint Id '{endpoint_id}' does not exist"
            )
    endpoints = [
        e
        for e in emu.endpoints.all()
        if e.owner_id == call.account and e.ec2_backend.region_name == call.region and e.deleted_at is None
    ]
    if ids:
        endpoints = [e for e in endpoints if e.id in ids]
    rows = [row for e in endpoints for row in e.association_rows()]
    for flt in p.get("Filters") or []:
        name, values = flt.get("Name"), flt.get("Values") or []
        key = {
            "vpc-endpoint-id": "VpcEndpointId",
            "associated-resource-accessibility": "AssociatedResourceAccessibility",
            "associated-resource-id": "AssociatedResourceArn",
            "resource-configuration-group-arn": "ResourceConfigurationGroupArn",
            "service-network-arn": "ServiceNetworkArn",
        }.get(name or "")
        if key is None:
            raise ec2_error("InvalidParameterValue", f"The filter '{name}' is invalid")
        rows = [r for r in rows if r.get(key) in values]
    max_results = p.get("MaxResults")
    # the botocore model bounds this operation's MaxResults to 1-100
    if max_results is not None and not 1 <= max_results <= 100:
        raise ec2_error("InvalidParameterValue", "Value for parameter MaxResults must be between 1 and 100")
    page, token = paginate(
        rows,
        max_results=max_results,
        next_token=p.get("NextToken"),
        scope=f"{call.account}/DescribeVpcEndpointAssociations/"
        f"{fingerprint(p, ignore=('NextToken', 'MaxResults'))}",
        default_max=100,
        bad_token=lambda: ec2_error("InvalidNextToken", "The token is not valid"),
    )
    return {"VpcEndpointAssociations": page, "NextToken": token}


HANDLERS = {
    "CreateVpcEndpoint": create_vpc_endpoint,
    "DeleteVpcEndpoints": delete_vpc_endpoints,
    "ModifyVpcEndpoint": modify_vpc_endpoint,
    "DescribeVpcEndpointAssociations": describe_vpc_endpoint_associations,
}
