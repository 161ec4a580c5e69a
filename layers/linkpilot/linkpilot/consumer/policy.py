"""The consumer's trust policy: what a consumer account accepts from RAM and how it builds endpoints.

One loader for every caller (Lambda reads the JSON from an SSM parameter, the CLI from ``--policy FILE``):
``parse_policy`` validates the JSON document strictly and raises ``PolicyError`` naming every wrong field.
A policy that does not validate must change nothing; callers emit ``PolicyErrors`` and stop.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from linkpilot.probe import contract as pc  # the probe's limits and defaults: one contract

RESOURCE_CONFIGURATION_TYPE = "vpc-lattice:ResourceConfiguration"
SERVICE_NETWORK_TYPE = "vpc-lattice:ServiceNetwork"

AccountId = Annotated[str, Field(pattern=r"^\d{12}$", description="12-digit AWS account id")]
ArnGlob = Annotated[
    str,
    Field(
        min_length=5,
        max_length=2048,
        pattern=r"^arn:[^\[\]\s]+$",
        description="ARN glob: '*' matches any run of characters, '?' one character; no '[' or ']'",
    ),
]
ResourceType = Annotated[
    str, Field(pattern=r"^[a-z0-9-]+:[A-Za-z0-9]+$", examples=[RESOURCE_CONFIGURATION_TYPE])
]
SubnetId = Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]
SecurityGroupId = Annotated[str, Field(pattern=r"^sg-[0-9a-f]{8,17}$")]
DomainName = Annotated[
    str, Field(pattern=r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", max_length=253)
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class EndpointPlacement(_Strict):
    """Where and how resource endpoints are created (fixed at creation: only security groups can change)."""

    vpc_id: str = Field(
        pattern=r"^vpc-[0-9a-f]{8,17}$", description="the consumer VPC that gets the endpoints"
    )
    subnet_ids: tuple[SubnetId, ...] = Field(
        min_length=1, max_length=16, description="subnets for the endpoint's network interfaces"
    )
    security_group_ids: tuple[SecurityGroupId, ...] = Field(
        default=(), max_length=5, description="security groups on the endpoint: the consumer's access control"
    )
    private_dns: bool = Field(default=False, description="PrivateDnsEnabled of the created endpoints")
    private_dns_preference: Literal["VERIFIED_DOMAINS_ONLY", "SPECIFIED_DOMAINS_ONLY"] = Field(
        default="VERIFIED_DOMAINS_ONLY",
        description=(
            "with private DNS on: which of the provider's domain names get a private hosted zone in the VPC "
            "(never ALL_DOMAINS: a provider could shadow any name)"
        ),
    )
    private_dns_specified_domains: tuple[DomainName, ...] = Field(
        default=(), max_length=10, description="the allow-list for SPECIFIED_DOMAINS_ONLY"
    )
    ip_address_type: Literal["ipv4", "ipv6", "dualstack"] = Field(default="ipv4")

    @field_validator("subnet_ids", "security_group_ids", "private_dns_specified_domains")
    @classmethod
    def _unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("duplicate ids")
        return value

    @model_validator(mode="after")
    def _domains_match_preference(self) -> EndpointPlacement:
        specified = self.private_dns_preference == "SPECIFIED_DOMAINS_ONLY"
        if specified and not self.private_dns_specified_domains:
            raise ValueError("SPECIFIED_DOMAINS_ONLY needs private_dns_specified_domains")
        if not specified and self.private_dns_specified_domains:
            raise ValueError("private_dns_specified_domains needs SPECIFIED_DOMAINS_ONLY")
        return self


Kind = Literal["http", "https", "tcp", "tls"]  # = probe contract KINDS (a test keeps them equal)
Scheme = Literal["http", "https"]
PemBundle = Annotated[
    str,
    Field(
        min_length=1,
        max_length=pc.MAX_CA_BUNDLE,
        description="PEM CA certificate(s) trusted for https/tls checks instead of the system's",
    ),
]
_KIND = "kind of check: http/https (GET judged on status and body), tcp (connect), tls (handshake)"
_SCHEME = "older name of kind, http or https only; kind wins where both are given and must agree"
_CERT_DAYS = "https/tls: a certificate with fewer days to expiry is its own verdict (cert_expiring)"


class _ProbeFields(_Strict):
    """What the defaults and the overrides check alike: ``scheme`` means ``kind``; a CA bundle must load."""

    @model_validator(mode="before")
    @classmethod
    def _kind_from_scheme(cls, data: Any) -> Any:
        """Policies from before kinds say ``scheme``: it sets ``kind`` (which must agree, if also given)."""
        if isinstance(data, dict) and data.get("scheme") is not None:
            scheme, kind = data["scheme"], data.get("kind")
            if kind is not None and kind != scheme:
                raise ValueError(f"scheme {scheme!r} and kind {kind!r} disagree; give kind only")
            if scheme in pc.HTTP_KINDS:  # anything else: the scheme field's own error
                return {**data, "kind": scheme}
        return data

    @field_validator("ca_bundle", check_fields=False)
    @classmethod
    def _loadable_pem(cls, value: str | None) -> str | None:
        """PEM certificates the probe can load (checked here, so that a bad bundle changes nothing)."""
        if value is None:
            return None
        if "-----BEGIN CERTIFICATE-----" not in value:
            raise ValueError("ca_bundle must hold PEM certificates (-----BEGIN CERTIFICATE-----)")
        import ssl

        try:
            ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=value)
        except (ssl.SSLError, ValueError) as exc:
            raise ValueError(f"ca_bundle does not load: {exc}") from None
        return value


class ProbeSettings(_ProbeFields):
    """How the probe function checks a target through its endpoint (defaults for every target).

    The address family is not a setting: every target follows its endpoint's IpAddressType.
    """

    kind: Kind = Field(default=pc.DEFAULT_KIND, description=_KIND)
    scheme: Scheme | None = Field(default=None, description=_SCHEME, json_schema_extra={"deprecated": True})
    port: int = Field(default=pc.DEFAULT_PORT, ge=pc.MIN_PORT, le=pc.MAX_PORT)
    path: str = Field(default=pc.DEFAULT_PATH, pattern=pc.PATH_PATTERN, max_length=pc.MAX_PATH)
    server_name: str | None = Field(
        default=None,
        max_length=pc.MAX_HOST_NAME,
        description="TLS SNI / Host override; default the endpoint's DNS name",
    )
    host_header: str | None = Field(
        default=None,
        max_length=pc.MAX_HOST_HEADER,
        pattern=pc.HOST_HEADER_PATTERN,
        description="Host header override",
    )
    expected_status: int = Field(default=pc.DEFAULT_EXPECTED_STATUS, ge=pc.MIN_STATUS, le=pc.MAX_STATUS)
    expected_body: str | None = Field(
        default=None,
        min_length=1,
        max_length=pc.MAX_EXPECTED_BODY,
        description="substring the body must hold",
    )
    timeout_s: float = Field(default=pc.DEFAULT_TIMEOUT_S, gt=0, le=pc.MAX_TIMEOUT_S)
    cert_expiry_days: int = Field(
        default=pc.DEFAULT_CERT_EXPIRY_DAYS, ge=0, le=pc.MAX_CERT_EXPIRY_DAYS, description=_CERT_DAYS
    )
    ca_bundle: PemBundle | None = None

    def probe_input(self) -> dict[str, Any]:
        """The probe input's ``defaults`` (``kind`` only: ``scheme`` is the policy's older spelling)."""
        return self.model_dump(mode="json", exclude={"scheme"})


class ProbeOverride(_ProbeFields):
    """Per-configuration probe settings: the first override whose ``match`` glob matches an ARN wins."""

    match: ArnGlob
    kind: Kind | None = Field(default=None, description=_KIND)
    scheme: Scheme | None = Field(default=None, description=_SCHEME, json_schema_extra={"deprecated": True})
    port: int | None = Field(default=None, ge=pc.MIN_PORT, le=pc.MAX_PORT)
    path: str | None = Field(default=None, pattern=pc.PATH_PATTERN, max_length=pc.MAX_PATH)
    server_name: str | None = Field(default=None, max_length=pc.MAX_HOST_NAME)
    host_header: str | None = Field(
        default=None, max_length=pc.MAX_HOST_HEADER, pattern=pc.HOST_HEADER_PATTERN
    )
    expected_status: int | None = Field(default=None, ge=pc.MIN_STATUS, le=pc.MAX_STATUS)
    expected_body: str | None = Field(default=None, min_length=1, max_length=pc.MAX_EXPECTED_BODY)
    timeout_s: float | None = Field(default=None, gt=0, le=pc.MAX_TIMEOUT_S)
    cert_expiry_days: int | None = Field(
        default=None, ge=0, le=pc.MAX_CERT_EXPIRY_DAYS, description=_CERT_DAYS
    )
    ca_bundle: PemBundle | None = None

    def fields(self) -> dict[str, Any]:
        """The settings this override sets (``match`` excluded; ``scheme`` travels as ``kind``)."""
        dumped = self.model_dump(mode="json", exclude={"match", "scheme"})
        return {k: v for k, v in dumped.items() if v is not None}


class ProbePolicy(_Strict):
    """The probe section: defaults for every target plus per-ARN-glob overrides."""

    enabled: bool = Field(default=True, description="false: the controller keeps no probe schedule")
    defaults: ProbeSettings = Field(default_factory=ProbeSettings)
    overrides: tuple[ProbeOverride, ...] = ()


class ServiceNetworkPolicy(_Strict):
    """Shared VPC Lattice service networks (RAM type ``vpc-lattice:ServiceNetwork``) the consumer takes.

    Each allowed shared network gets ONE managed endpoint of type ServiceNetwork, which reaches every
    resource configuration associated with the network. The owner must be a trusted account, as for
    configurations.
    """

    allowed_arns: tuple[ArnGlob, ...] = Field(
        min_length=1, max_length=50, description="ARN globs of acceptable service networks"
    )
    mode: Literal["endpoint", "association"] = Field(
        default="endpoint",
        description=(
            "endpoint: one ServiceNetwork VPC endpoint per network; association (a service-network VPC "
            "association) is not built and is refused"
        ),
    )

    @field_validator("mode")
    @classmethod
    def _built_modes_only(cls, value: str) -> str:
        if value == "association":
            raise ValueError(
                "mode 'association' (a service-network VPC association) is not built: use 'endpoint'"
            )
        return value


class TrustPolicy(_Strict):
    """A consumer account's trust policy. Default deny: nothing untrusted is accepted or gets an endpoint."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        json_schema_extra={
            "title": "Linkpilot trust policy",
            "$id": "https://linkpilot.dev/policy.schema.json",
        },
    )

    trusted_accounts: tuple[AccountId, ...] = Field(
        description="provider accounts whose shares may be accepted; empty means trust nobody"
    )
    allowed_resource_configuration_arns: tuple[ArnGlob, ...] | None = Field(
        default=None,
        description="ARN globs of acceptable resource configurations; absent means any of a trusted account",
    )
    allowed_resource_types: tuple[ResourceType, ...] = Field(
        default=(RESOURCE_CONFIGURATION_TYPE,),
        min_length=1,
        description="RAM resource types a share may contain; a share with any other type is refused whole",
    )
    untrusted_invitations: Literal["ignore", "reject"] = Field(
        default="ignore",
        description="what to do with an invitation that is not acceptable: leave it to expire, or reject it",
    )
    endpoint: EndpointPlacement
    delete_endpoints_on_unshare: bool = Field(
        default=True,
        description="delete managed endpoints whose configuration is gone; false: report orphaned",
    )
    unshare_grace_minutes: int = Field(
        default=15,
        ge=0,
        le=10080,
        description=(
            "how long a configuration must stay missing from the shares before its endpoint is deleted "
            "(a configuration missing from one read is not gone)"
        ),
    )
    probe: ProbePolicy = Field(default_factory=ProbePolicy)
    service_networks: ServiceNetworkPolicy | None = Field(
        default=None,
        description="shared service networks to take; absent: service-network shares are refused",
    )

    @field_validator("trusted_accounts")
    @classmethod
    def _no_duplicate_accounts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("duplicate account ids")
        return value

    # --- the questions the planner asks -------------------------------------------------------------
    def trusts(self, account_id: str) -> bool:
        return account_id in self.trusted_accounts

    def allows_type(self, resource_type: str) -> bool:
        if resource_type == SERVICE_NETWORK_TYPE:
            return self.service_networks is not None
        return resource_type in self.allowed_resource_types

    def allows_service_network(self, arn: str) -> bool:
        networks = self.service_networks
        return networks is not None and any(fnmatch.fnmatchcase(arn, p) for p in networks.allowed_arns)

    @property
    def shared_resource_types(self) -> tuple[str, ...]:
        """The RAM resource types the controller lists as shared with it (service networks when allowed)."""
        if self.service_networks is None:
            return (RESOURCE_CONFIGURATION_TYPE,)
        return (RESOURCE_CONFIGURATION_TYPE, SERVICE_NETWORK_TYPE)

    def allows_arn(self, arn: str) -> bool:
        patterns = self.allowed_resource_configuration_arns
        if patterns is None:
            return True
        return any(fnmatch.fnmatchcase(arn, pattern) for pattern in patterns)

    def probe_fields(self, configuration_arn: str, child_arn: str | None = None) -> dict[str, Any]:
        """Override fields for one target (the defaults travel once, in the probe input).

        A GROUP configuration's child target takes the first override matching its child ARN; when none
        does, the first matching the group's ARN (the configuration the endpoint was made for)."""
        for arn in [a for a in (child_arn, configuration_arn) if a is not None]:
            for override in self.probe.overrides:
                if fnmatch.fnmatchcase(arn, override.match):
                    return override.fields()
        return {}


class PolicyError(ValueError):
    """The policy did not load or validate. ``problems`` names each wrong field: ``"field.path: message"``."""

    def __init__(self, problems: Sequence[str], source: str = "policy") -> None:
        self.problems = tuple(problems)
        self.source = source
        super().__init__(f"{source} is invalid: " + "; ".join(self.problems))


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(document)"


def parse_policy(document: str | bytes, source: str = "policy") -> TrustPolicy:
    """Validate a JSON policy document. Raises ``PolicyError`` listing every problem by field path."""
    try:
        # JSON mode: strict types (no "true" for true, no "8080" for 8080), arrays fill the tuple fields.
        return TrustPolicy.model_validate_json(document, strict=True)
    except ValidationError as exc:
        problems = [f"{_location(err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False)]
        raise PolicyError(problems, source) from None


def load_policy_file(path: str | Path) -> TrustPolicy:
    """The CLI's loader: read ``path`` and validate it."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError([f"(document): cannot read {path}: {exc.strerror or exc}"], str(path)) from None
    except UnicodeDecodeError as exc:
        raise PolicyError([f"(document): not UTF-8 text (byte {exc.start})"], str(path)) from None
    return parse_policy(text, source=str(path))


def policy_json_schema() -> dict[str, Any]:
    """The JSON schema of the policy document (``linkpilot reconcile --print-schema``)."""
    return TrustPolicy.model_json_schema(mode="validation")
