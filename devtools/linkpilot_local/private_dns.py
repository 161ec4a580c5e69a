"""Which custom domain name a resource endpoint's private DNS answers for, in the VPC that enabled it.

AWS (botocore ec2 model, ``DnsOptionsSpecification.PrivateDnsPreference``; PrivateLink guide): with
private DNS on, VPC Lattice provisions a private hosted zone in the endpoint's VPC for the configuration's
custom domain name when the preference admits it: ``ALL_DOMAINS`` (any custom name),
``VERIFIED_DOMAINS_ONLY`` (verified by the provider), ``VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS`` (verified,
or in ``PrivateDnsSpecifiedDomains``), ``SPECIFIED_DOMAINS_ONLY`` (in the list). The default when no
preference is given is not documented (UNVERIFIED): the emulation applies ``VERIFIED_DOMAINS_ONLY``, the
narrower answer.

Emulation simplifications: a configuration's custom domain name counts as verified when the domain
verification it names is ``VERIFIED`` (``lattice/domain_verifications.py``: the test says when the TXT record
is published); a specified domain ``*.example.com`` matches one or more labels in front of ``example.com``
(UNVERIFIED how AWS matches wildcards).
"""

from __future__ import annotations

from collections.abc import Sequence

DEFAULT_PREFERENCE = "VERIFIED_DOMAINS_ONLY"
WITH_SPECIFIED = frozenset({"VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS", "SPECIFIED_DOMAINS_ONLY"})
PREFERENCES = WITH_SPECIFIED | {"ALL_DOMAINS", "VERIFIED_DOMAINS_ONLY"}


def _matches(name: str, pattern: str) -> bool:
    name, pattern = name.lower().rstrip("."), pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        return name.endswith(pattern[1:]) and len(name) > len(pattern) - 1
    return name == pattern


def admitted(
    custom_domain: str | None, *, verified: bool, preference: str | None, specified: Sequence[str] = ()
) -> bool:
    """Whether the endpoint's VPC gets a private hosted zone for ``custom_domain``."""
    if not custom_domain:
        return False
    mode = preference or DEFAULT_PREFERENCE
    listed = any(_matches(custom_domain, p) for p in specified)
    if mode == "ALL_DOMAINS":
        return True
    if mode == "VERIFIED_DOMAINS_ONLY":
        return verified
    if mode == "VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS":
        return verified or listed
    return listed  # SPECIFIED_DOMAINS_ONLY
