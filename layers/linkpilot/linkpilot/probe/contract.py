"""The probe contract: every limit and default of a probe target, in one place.

:mod:`linkpilot.probe.model` validates the probe function's input against it, and the trust policy's
probe settings (:class:`linkpilot.consumer.policy.ProbeSettings`) take their limits and defaults from it, so
that whatever the policy accepts the probe accepts too. Plain constants only (on the probe's cold-start path).
"""

from __future__ import annotations

from typing import Final

# -- kinds of check ---------------------------------------------------------------------------------------
HTTP: Final = "http"
HTTPS: Final = "https"
TCP: Final = "tcp"
TLS_KIND: Final = "tls"
KINDS: Final = (HTTP, HTTPS, TCP, TLS_KIND)
HTTP_KINDS: Final = (HTTP, HTTPS)  # what the older ``scheme`` field may say
TLS_KINDS: Final = (HTTPS, TLS_KIND)  # kinds whose verdict carries the certificate's days to expiry

# -- address family preference (follows the endpoint's IpAddressType) --------------------------------------
IPV4: Final = "ipv4"
IPV6: Final = "ipv6"
DUALSTACK: Final = "dualstack"
ADDRESS_FAMILIES: Final = (IPV4, IPV6, DUALSTACK)

# -- limits -------------------------------------------------------------------------------------------------
MIN_PORT: Final = 1
MAX_PORT: Final = 65535
MIN_STATUS: Final = 100
MAX_STATUS: Final = 599
# The probe function's Lambda timeout is 45 s and every target runs concurrently: 30 s leaves it room.
MAX_TIMEOUT_S: Final = 30.0
MAX_PATH: Final = 2048
MAX_EXPECTED_BODY: Final = 1024  # the text must fit in the first read window, and in the schedule input
MAX_HOST_NAME: Final = 253  # a DNS name (RFC 1035), also the limit of a TLS server name
MAX_HOST_HEADER: Final = MAX_HOST_NAME + len(":65535")  # a name plus an explicit port
MAX_CA_BUNDLE: Final = 16 * 1024  # PEM characters: a few certificates, within a schedule input
MAX_CERT_EXPIRY_DAYS: Final = 365
MAX_ADDRESSES: Final = 8  # addresses probed per target (one per Availability Zone in practice)
MAX_READ_BYTES: Final = 64 * 1024  # per address: response bytes read before judging what arrived

# -- defaults -----------------------------------------------------------------------------------------------
DEFAULT_PORT: Final = 8080
DEFAULT_PATH: Final = "/"
DEFAULT_KIND: Final = HTTP
DEFAULT_EXPECTED_STATUS: Final = 200
DEFAULT_TIMEOUT_S: Final = 5.0
DEFAULT_CERT_EXPIRY_DAYS: Final = 14
# An endpoint's IpAddressType defaults to ipv4 (EC2 CreateVpcEndpoint); a target that does not say follows it.
DEFAULT_ADDRESS_FAMILY: Final = IPV4

# -- patterns (Python ``re`` and JSON-schema compatible) ----------------------------------------------------
PATH_PATTERN: Final = r"^/[\x21-\x7e]*$"  # origin-form, printable ASCII without spaces: no CR/LF injection
HOST_HEADER_PATTERN: Final = r"^[\x21-\x7e]+$"
