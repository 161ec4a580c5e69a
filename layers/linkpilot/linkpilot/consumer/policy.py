"""The consumer's trust policy: what a consumer account accepts from RAM and how it builds endpoints.

One loader for every caller (Lambda reads the JSON from an SSM parameter, the CLI from ``--policy FILE``):
``parse_policy`` validates the JSON document strictly and raises ``PolicyError`` naming every wrong field.
A policy that does not validate must change nothing; callers emit ``PolicyErrors`` and stop.

The sections are document classes of :mod:`linkpilot.spec` (standard library): each field's type, limits,
default and description are declared once, and both the validation and ``policy_json_schema`` read them.
A new section is a new frozen dataclass of ``spec()`` fields, referenced from ``TrustPolicy``. The planner
never reads the document itself: ``linkpilot.consumer.planning.rules.compile_rules`` turns it into the rules
each planning step applies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from linkpilot.probe import contract as pc  # the probe's limits and defaults: one contract
from linkpilot.spec import Document, Spec, SpecError, spec

RESOURCE_CONFIGURATION_TYPE = "vpc-lattice:ResourceConfiguration"
SERVICE_NETWORK_TYPE = "vpc-lattice:ServiceNetwork"
SCHEMA_ID = "https://linkpilot.dev/policy.schema.json"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_KEY = "$schema"  # a policy may name its schema, so that editors complete and validate it

ACCOUNT_ID = Spec(pattern=r"^\d{12}$", description="12-digit AWS account id")
ARN_GLOB = Spec(
    min_length=5,
    max_length=2048,
    pattern=r"^arn:[^\[\]\s]+$",
    description="ARN glob: '*' matches any run of characters, '?' one character; no '[' or ']'",
)
RESOURCE_TYPE = Spec(pattern=r"^[a-z0-9-]+:[A-Za-z0-9]+$", examples=(RESOURCE_CONFIGURATION_TYPE,))
SUBNET_ID = Spec(pattern=r"^subnet-[0-9a-f]{8,17}$")
SECURITY_GROUP_ID = Spec(pattern=r"^sg-[0-9a-f]{8,17}$")
DOMAIN_NAME = Spec(pattern=r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", max_length=253)
DUPLICATE_IDS = "duplicate ids"
Preference = Literal["VERIFIED_DOMAINS_ONLY", "SPECIFIED_DOMAINS_ONLY"]


@dataclass(frozen=True, kw_only=True)
class EndpointPlacement(Document):
    """Where and how resource endpoints are created (fixed at creation: only security groups can change)."""

    vpc_id: str = spec(
        pattern=r"^vpc-[0-9a-f]{8,17}$", description="the consumer VPC that gets the endpoints"
    )
    subnet_ids: tuple[str, ...] = spec(
        items=SUBNET_ID,
        min_length=1,
        max_length=16,
        unique=DUPLICATE_IDS,
        description="subnets for the endpoint's network interfaces",
    )
    security_group_ids: tuple[str, ...] = spec(
        default=(),
        items=SECURITY_GROUP_ID,
        max_length=5,
        unique=DUPLICATE_IDS,
        description="security groups on the endpoint: the consumer's access control",
    )
    private_dns: bool = spec(default=False, description="PrivateDnsEnabled of the created endpoints")
    private_dns_preference: Preference = spec(
        default="VERIFIED_DOMAINS_ONLY",
        description=(
            "with private DNS on: which of the provider's domain names get a private hosted zone in the VPC "
            "(never ALL_DOMAINS: a provider could shadow any name)"
        ),
    )
    private_dns_specified_domains: tuple[str, ...] = spec(
        default=(),
        items=DOMAIN_NAME,
        max_length=10,
        unique=DUPLICATE_IDS,
        description="the allow-list for SPECIFIED_DOMAINS_ONLY",
    )
    ip_address_type: Literal["ipv4", "ipv6", "dualstack"] = spec(default="ipv4")

    def dns_preference(self) -> tuple[str, tuple[str, ...]] | None:
        """(preference, specified domains) for a create's DNS options: only with private DNS on (EC2's
        ``DnsOptions`` and VPC Lattice's ``dnsOptions`` apply to private DNS alone); None when it is off."""
        if not self.private_dns:
            return None
        return self.private_dns_preference, self.private_dns_specified_domains

    @classmethod
    def cross_check(cls, values: Mapping[str, Any]) -> list[str]:
        specified = values["private_dns_preference"] == "SPECIFIED_DOMAINS_ONLY"
        if specified and not values["private_dns_specified_domains"]:
            return ["SPECIFIED_DOMAINS_ONLY needs private_dns_specified_domains"]
        if not specified and values["private_dns_specified_domains"]:
            return ["private_dns_specified_domains needs SPECIFIED_DOMAINS_ONLY"]
        return []


Kind = Literal["http", "https", "tcp", "tls"]  # = probe contract KINDS (a test keeps them equal)
Scheme = Literal["http", "https"]


def _loadable_pem(value: str) -> str | None:
    """PEM certificates the probe can load (checked here, so that a bad bundle changes nothing)."""
    if "-----BEGIN CERTIFICATE-----" not in value:
        return "ca_bundle must hold PEM certificates (-----BEGIN CERTIFICATE-----)"
    import ssl

    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=value)
    except (ssl.SSLError, ValueError) as exc:
        return f"ca_bundle does not load: {exc}"
    return None


# What the defaults and the overrides check alike (the override's fields are optional, without defaults).
KIND = Spec(
    description="kind of check: http/https (GET judged on status and body), tcp (connect), tls (handshake)"
)
SCHEME = Spec(
    description="older name of kind, http or https only; kind wins where both are given and must agree",
    deprecated=True,
)
PORT = Spec(ge=pc.MIN_PORT, le=pc.MAX_PORT)
PATH = Spec(pattern=pc.PATH_PATTERN, max_length=pc.MAX_PATH)
SERVER_NAME = Spec(
    max_length=pc.MAX_HOST_NAME, description="TLS SNI / Host override; default the endpoint's DNS name"
)
HOST_HEADER = Spec(
    max_length=pc.MAX_HOST_HEADER, pattern=pc.HOST_HEADER_PATTERN, description="Host header override"
)
EXPECTED_STATUS = Spec(ge=pc.MIN_STATUS, le=pc.MAX_STATUS)
EXPECTED_BODY = Spec(
    min_length=1, max_length=pc.MAX_EXPECTED_BODY, description="substring the body must hold"
)
TIMEOUT_S = Spec(gt=0, le=pc.MAX_TIMEOUT_S)
CERT_EXPIRY_DAYS = Spec(
    ge=0,
    le=pc.MAX_CERT_EXPIRY_DAYS,
    description="https/tls: a certificate with fewer days to expiry is its own verdict (cert_expiring)",
)
CA_BUNDLE = Spec(
    min_length=1,
    max_length=pc.MAX_CA_BUNDLE,
    check=_loadable_pem,
    description="PEM CA certificate(s) trusted for https/tls checks instead of the system's",
)


class _ProbeFields(Document):
    """What the defaults and the overrides share: ``scheme`` means ``kind``, and the two must agree."""

    @classmethod
    def normalise(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Policies from before kinds say ``scheme``: it sets ``kind`` when ``kind`` is not given (any other
        scheme gets the scheme field's own error)."""
        if data.get("kind") is None and data.get("scheme") in pc.HTTP_KINDS:
            return {**data, "kind": data["scheme"]}
        return data

    @classmethod
    def cross_check(cls, values: Mapping[str, Any]) -> list[str]:
        scheme, kind = values["scheme"], values["kind"]
        if scheme is not None and kind != scheme:
            return [f"scheme {scheme!r} and kind {kind!r} disagree; give kind only"]
        return []


@dataclass(frozen=True, kw_only=True)
class ProbeSettings(_ProbeFields):
    """How the probe function checks a target through its endpoint (defaults for every target).

    The address family is not a setting: every target follows its endpoint's IpAddressType.
    """

    kind: Kind = spec(KIND, default=pc.DEFAULT_KIND)
    scheme: Scheme | None = spec(SCHEME, default=None)
    port: int = spec(PORT, default=pc.DEFAULT_PORT)
    path: str = spec(PATH, default=pc.DEFAULT_PATH)
    server_name: str | None = spec(SERVER_NAME, default=None)
    host_header: str | None = spec(HOST_HEADER, default=None)
    expected_status: int = spec(EXPECTED_STATUS, default=pc.DEFAULT_EXPECTED_STATUS)
    expected_body: str | None = spec(EXPECTED_BODY, default=None)
    timeout_s: float = spec(TIMEOUT_S, default=pc.DEFAULT_TIMEOUT_S)
    cert_expiry_days: int = spec(CERT_EXPIRY_DAYS, default=pc.DEFAULT_CERT_EXPIRY_DAYS)
    ca_bundle: str | None = spec(CA_BUNDLE, default=None)

    def probe_input(self) -> dict[str, Any]:
        """The probe input's ``defaults`` (``kind`` only: ``scheme`` is the policy's older spelling)."""
        return {k: v for k, v in self.to_json().items() if k != "scheme"}


@dataclass(frozen=True, kw_only=True)
class ProbeOverride(_ProbeFields):
    """Per-configuration probe settings: the first override whose ``match`` glob matches an ARN wins."""

    match: str = spec(ARN_GLOB)
    kind: Kind | None = spec(KIND, default=None)
    scheme: Scheme | None = spec(SCHEME, default=None)
    port: int | None = spec(PORT, default=None)
    path: str | None = spec(PATH, default=None)
    server_name: str | None = spec(SERVER_NAME, default=None)
    host_header: str | None = spec(HOST_HEADER, default=None)
    expected_status: int | None = spec(EXPECTED_STATUS, default=None)
    expected_body: str | None = spec(EXPECTED_BODY, default=None)
    timeout_s: float | None = spec(TIMEOUT_S, default=None)
    cert_expiry_days: int | None = spec(CERT_EXPIRY_DAYS, default=None)
    ca_bundle: str | None = spec(CA_BUNDLE, default=None)

    def fields(self) -> dict[str, Any]:
        """The settings this override sets (``match`` excluded; ``scheme`` travels as ``kind``)."""
        return {k: v for k, v in self.to_json().items() if v is not None and k not in ("match", "scheme")}


@dataclass(frozen=True, kw_only=True)
class ProbePolicy(Document):
    """The probe section: defaults for every target plus per-ARN-glob overrides."""

    enabled: bool = spec(default=True, description="false: the controller keeps no probe schedule")
    defaults: ProbeSettings = spec(default_factory=ProbeSettings)
    overrides: tuple[ProbeOverride, ...] = spec(default=())


@dataclass(frozen=True, kw_only=True)
class ServiceNetworkPolicy(Document):
    """Shared VPC Lattice service networks (RAM type ``vpc-lattice:ServiceNetwork``) the consumer takes.

    ``endpoint`` mode: each allowed shared network gets ONE managed endpoint of type ServiceNetwork, which
    reaches every resource configuration associated with the network. ``association`` mode: the policy's
    VPC gets ONE managed service-network VPC association instead; a VPC can be associated with one service
    network only, so when several allowed networks are shared, one is taken (the one already associated,
    else the lowest ARN RAM lists as AVAILABLE) and the others are refused with the reason. The owner must
    be a trusted account, as for configurations.
    """

    allowed_arns: tuple[str, ...] = spec(
        items=ARN_GLOB, min_length=1, max_length=50, description="ARN globs of acceptable service networks"
    )
    mode: Literal["endpoint", "association"] = spec(
        default="endpoint",
        description=(
            "endpoint: one ServiceNetwork VPC endpoint per network (in the endpoint subnets); association: "
            "one service-network VPC association of the policy's VPC (one network per VPC; the endpoint "
            "security groups)"
        ),
    )


@dataclass(frozen=True, kw_only=True)
class TrustPolicy(Document):
    """A consumer account's trust policy. Default deny: nothing untrusted is accepted or gets an endpoint."""

    trusted_accounts: tuple[str, ...] = spec(
        items=ACCOUNT_ID,
        unique="duplicate account ids",
        description="provider accounts whose shares may be accepted; empty means trust nobody",
    )
    allowed_resource_configuration_arns: tuple[str, ...] | None = spec(
        default=None,
        items=ARN_GLOB,
        description="ARN globs of acceptable resource configurations; absent means any of a trusted account",
    )
    allowed_resource_types: tuple[str, ...] = spec(
        default=(RESOURCE_CONFIGURATION_TYPE,),
        items=RESOURCE_TYPE,
        min_length=1,
        description="RAM resource types a share may contain; a share with any other type is refused whole",
    )
    untrusted_invitations: Literal["ignore", "reject"] = spec(
        default="ignore",
        description="what to do with an invitation that is not acceptable: leave it to expire, or reject it",
    )
    endpoint: EndpointPlacement = spec()
    delete_endpoints_on_unshare: bool = spec(
        default=True,
        description="delete managed endpoints whose configuration is gone; false: report orphaned",
    )
    unshare_grace_minutes: int = spec(
        default=15,
        ge=0,
        le=10080,
        description=(
            "how long a configuration must stay missing from the shares before its endpoint is deleted "
            "(a configuration missing from one read is not gone)"
        ),
    )
    probe: ProbePolicy = spec(default_factory=ProbePolicy)
    service_networks: ServiceNetworkPolicy | None = spec(
        default=None,
        description="shared service networks to take; absent: service-network shares are refused",
    )

    @classmethod
    def normalise(cls, data: dict[str, Any]) -> dict[str, Any]:
        """A ``$schema`` key names the schema for editors (docs/policy.schema.json); it is not a setting."""
        if isinstance(data.get(SCHEMA_KEY), str):
            del data[SCHEMA_KEY]
        return data


class PolicyError(SpecError):
    """The policy did not load or validate. ``problems`` names each wrong field: ``"field.path: message"``."""

    def __init__(self, problems: Sequence[str], source: str = "policy") -> None:
        super().__init__(problems, source)


def parse_policy(document: str | bytes, source: str = "policy") -> TrustPolicy:
    """Validate a JSON policy document. Raises ``PolicyError`` listing every problem by field path.

    Strict: no ``"true"`` for true, no ``"8080"`` for 8080, no unknown keys; arrays fill the tuple fields."""
    try:
        return TrustPolicy.from_json(document, source)
    except SpecError as exc:
        raise PolicyError(exc.problems, source) from None


def load_policy_file(path: str | Path) -> TrustPolicy:
    """The CLI's loader: read ``path`` and validate it."""
    try:
        text = Path(path).read_text(
            encoding="utf-8-sig"
        )  # a BOM (some Windows editors write one) is not text
    except OSError as exc:
        raise PolicyError([f"(document): cannot read {path}: {exc.strerror or exc}"], str(path)) from None
    except UnicodeDecodeError as exc:
        raise PolicyError([f"(document): not UTF-8 text (byte {exc.start})"], str(path)) from None
    return parse_policy(text, source=str(path))


def policy_json_schema() -> dict[str, Any]:
    """The JSON schema of the policy document (``linkpilot reconcile --print-schema``)."""
    from linkpilot.spec_schema import json_schema

    # the dialect named, so an editor reads $defs and anyOf as draft 2020-12 (not its own default draft)
    schema = json_schema(
        TrustPolicy, title="Linkpilot trust policy", **{"$schema": SCHEMA_DIALECT, "$id": SCHEMA_ID}
    )
    schema["properties"] = {
        SCHEMA_KEY: {"type": "string", "description": "the schema this policy follows (for editors)"},
        **schema["properties"],
    }
    return schema
