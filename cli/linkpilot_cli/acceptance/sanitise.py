"""Sanitising recorded AWS answers before they become fixtures (``linkpilot acceptance --record``).

Account ids, resource ids (``vpce-…``, ``rcfg-…``, ``snva-…``, every ``<prefix>-<8 to 17 hex>``), UUIDs,
Route 53 zone ids, IP addresses (also inside EC2 host names: ``ec2-54-1-2-3…``, ``ip-10-1-2-3…``), long hex
strings (request ids, hashes), e-mail addresses, access key ids and IAM unique ids (``AROA…``, ``AIDA…``),
the random suffix CloudFormation gives a physical name (``…-ControllerRole-AbC12dEf34Gh``) and an endpoint's
DNS label (``vpce-…-4kq3vbw7.``) become placeholders such as ``<account-1>``, ``<vpce-2>``, ``<address-3>``;
the signature, credential and token of a presigned URL become ``<secret>``. One ``Sanitiser`` maps the same
original to the same placeholder everywhere (in keys and values, in ARNs and DNS names alike), so a recording
keeps its relations: the endpoint a describe names is the one the create answered. Secrets (keys named like
``SecretAccessKey``, ``SessionToken``, ``Password``) are replaced whole.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Final

_UUID: Final = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_ACCESS_KEY: Final = re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")
# IAM unique ids (users, roles, groups, policies, instance profiles, certificates): 21 characters
_UNIQUE_ID: Final = re.compile(r"\b(?:AIDA|AROA|AGPA|ANPA|ANVA|AIPA|ABIA|ACCA|ASCA|APKA)[0-9A-Z]{16,17}\b")
_PRESIGNED: Final = re.compile(
    r"(?i)\b(X-Amz-Security-Token|X-Amz-Signature|X-Amz-Credential|Signature|AWSAccessKeyId)=[^&\s\"'<>]+"
)
_EC2_HOST: Final = re.compile(r"\b(ec2|ip)-(\d{1,3}(?:-\d{1,3}){3})\b")
_ENDPOINT_LABEL: Final = re.compile(r"(<vpce-\d+>)-([a-z0-9]{8})(?=\.)")
_CFN_SUFFIX: Final = re.compile(r"(?<=-)[0-9A-Za-z]{12,13}(?![0-9A-Za-z])")
_EMAIL: Final = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# an address may end a sentence ("… 54.1.2.3."); a fifth number ("1.2.3.4.5") makes it a version, not one
_IPV4: Final = re.compile(r"(?<!\d)(?<!\d\.)(?:\d{1,3}\.){3}\d{1,3}(?!\d)(?!\.\d)")
_IPV6_CANDIDATE: Final = re.compile(
    r"(?<![0-9A-Za-z:])[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:]*(?![0-9A-Za-z:])"
)
_LATTICE_HASH: Final = re.compile(r"(?<=\.)[0-9a-f]{7}(?=\.vpc-lattice-rsc\.)")
_RESOURCE_ID: Final = re.compile(r"\b((?:[a-z][a-z0-9]*-)*?[a-z][a-z0-9]*)-([0-9a-f]{8,17})\b")
_HOSTED_ZONE: Final = re.compile(r"\bZ(?=[0-9A-Z]*\d)[0-9A-Z]{9,31}\b")
_ACCOUNT: Final = re.compile(r"(?<!\d)\d{12}(?!\d)")
_LONG_HEX: Final = re.compile(r"\b[0-9a-fA-F]{16,}\b")
_SECRET_KEYS: Final = re.compile(r"secret|token|password|credential", re.IGNORECASE)
_KEEP_TOKEN_KEYS: Final = frozenset({"NextToken", "nextToken", "clientToken", "ClientToken"})


class Sanitiser:
    """Consistent placeholders for one recording (see the module docstring)."""

    def __init__(self) -> None:
        self._maps: dict[str, dict[str, str]] = {}

    def placeholder(self, kind: str, original: str) -> str:
        table = self._maps.setdefault(kind, {})
        if original not in table:
            table[original] = f"<{kind}-{len(table) + 1}>"
        return table[original]

    @property
    def replaced(self) -> dict[str, dict[str, str]]:
        """What was replaced, by kind (never written out: it holds the real values)."""
        return {k: dict(v) for k, v in self._maps.items()}

    def text(self, value: str) -> str:
        steps: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
            (_PRESIGNED, lambda m: f"{m.group(1)}=<secret>"),
            (_UUID, lambda m: self.placeholder("uuid", m.group(0).lower())),
            (_ACCESS_KEY, lambda m: self.placeholder("access-key", m.group(0))),
            (_UNIQUE_ID, lambda m: self.placeholder("unique-id", m.group(0))),
            (_EMAIL, lambda m: self.placeholder("email", m.group(0))),
            (_IPV4, self._ipv4),
            (_EC2_HOST, self._ec2_host),
            (_IPV6_CANDIDATE, self._ipv6),
            (_LATTICE_HASH, lambda m: self.placeholder("hash", m.group(0))),
            (_RESOURCE_ID, self._resource_id),
            (_ENDPOINT_LABEL, lambda m: f"{m.group(1)}-{self.placeholder('dns-label', m.group(2))}"),
            (_CFN_SUFFIX, self._cfn_suffix),
            (_HOSTED_ZONE, lambda m: self.placeholder("hosted-zone", m.group(0))),
            (_ACCOUNT, lambda m: self.placeholder("account", m.group(0))),
            (_LONG_HEX, lambda m: self.placeholder("hex", m.group(0).lower())),
        )
        for pattern, replace in steps:
            value = pattern.sub(replace, value)
        return value

    def _ipv4(self, m: re.Match[str]) -> str:
        try:
            ipaddress.IPv4Address(m.group(0))
        except ValueError:
            return m.group(0)  # a version number or the like
        return self.placeholder("address", m.group(0))

    def _ec2_host(self, m: re.Match[str]) -> str:
        """``ec2-54-1-2-3`` / ``ip-10-1-2-3``: the address of the host name, named as the address itself."""
        dotted = m.group(2).replace("-", ".")
        try:
            ipaddress.IPv4Address(dotted)
        except ValueError:
            return m.group(0)
        return f"{m.group(1)}-{self.placeholder('address', dotted)}"

    def _resource_id(self, m: re.Match[str]) -> str:
        prefix, suffix = m.group(1), m.group(2)
        if _ACCOUNT.fullmatch(suffix):  # ``<name>-<account id>`` (a bucket): the account's placeholder
            return f"{prefix}-{self.placeholder('account', suffix)}"
        return self.placeholder(prefix, m.group(0))

    def _cfn_suffix(self, m: re.Match[str]) -> str:
        """The random suffix of a physical name CloudFormation made: mixed letters with at least one digit and
        one capital (``AbC12dEf34Gh``, ``1ABCDEF2GHIJ``); a word (``ProbeFunction``) has no digit."""
        text = m.group(0)
        if not (any(c.isdigit() for c in text) and any(c.isupper() for c in text)):
            return text
        return self.placeholder("name-suffix", text)

    def _ipv6(self, m: re.Match[str]) -> str:
        text = m.group(0)
        if "::" not in text and text.count(":") < 4:
            return text  # a time of day (12:34:56) or an ARN's empty fields
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            return text
        return self.placeholder("address", text)

    def tree(self, value: Any, key: str = "") -> Any:  # noqa: PLR0911 - one return per JSON type
        """A JSON-ready copy of ``value`` with every string (keys too) sanitised."""
        if isinstance(value, dict):
            return {self.text(str(k)): self.tree(v, str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.tree(v, key) for v in value]
        if isinstance(value, str):
            if key and _SECRET_KEYS.search(key) and key not in _KEEP_TOKEN_KEYS:
                return "<secret>"
            return self.text(value)
        if isinstance(value, bool) or value is None or isinstance(value, float):
            return value
        if isinstance(value, int):
            return self.text(str(value)) if _ACCOUNT.fullmatch(str(value)) else value
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, bytes | bytearray):
            return f"<{len(value)} bytes>"
        return f"<{type(value).__name__}>"  # a streaming body or the like: never its content
