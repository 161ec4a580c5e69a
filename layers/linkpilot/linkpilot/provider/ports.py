"""What the onboarding service needs from AWS (the ports; ``linkpilot.aws`` implements them) and the
errors those adapters raise in the provider's words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from linkpilot.errors import Refused
from linkpilot.provider.connections import ConsumerEndpoint
from linkpilot.provider.plan import PrincipalAssociation


class ShareNotFound(Refused):
    """The resource share the function manages does not exist (deleted, or a wrong ARN in the config)."""

    default_category = ""


class PrincipalChangeRefused(Refused):
    """RAM refused to associate or disassociate one principal; ``code`` is its error code."""

    default_category = ""


class ConsumerListUnavailable(LookupError):
    """The consumer list parameter does not exist (a configuration error, not a transient one)."""


class ConfigurationNotFound(Refused):
    """The resource configuration whose consumer endpoints were asked for does not exist (or is not ours)."""

    default_category = ""


class ConsumerEndpoints(Protocol):
    def consumer_endpoints(self, configuration_arn: str) -> list[ConsumerEndpoint]:
        """Every consumer endpoint on one of the provider's resource configurations (all pages)."""
        ...


class ConsumerListSource(Protocol):
    def read(self) -> str:
        """The declared consumer list, read fresh; ``ConsumerListUnavailable`` when it does not exist."""
        ...


class ShareAdmin(Protocol):
    def principal_associations(self, share_arn: str) -> list[PrincipalAssociation]: ...

    def associate(self, share_arn: str, principal: str, client_token: str) -> None: ...

    def disassociate(self, share_arn: str, principal: str, client_token: str) -> None: ...


class AuditLog(Protocol):
    """The audit table (the same adapter and item shape as the consumer side's)."""

    def write(self, records: Sequence[Mapping[str, str | int]]) -> None: ...


class Notifier(Protocol):
    """The notification topic (the same adapter as the consumer side's)."""

    def publish(self, subject: str, kinds: Sequence[str], message: Mapping[str, Any]) -> None: ...
