"""Hand-written fakes of the provider onboarding ports (shared by the provider tests)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

from linkpilot.provider.plan import PrincipalAssociation
from linkpilot.provider.ports import PrincipalChangeRefused, ShareNotFound

PROVIDER = "111111111111"
SHARE = f"arn:aws:ram:us-east-1:{PROVIDER}:resource-share/0c5f4a9e-1111-2222-3333-444455556666"


class FakeShare:
    """A share's principal associations in memory; ``refuse`` maps principals to RAM error codes."""

    def __init__(self, principals: Mapping[str, str] | None = None, *, exists: bool = True) -> None:
        self.associations = dict(principals or {})
        self.exists = exists
        self.refuse: dict[str, str] = {}
        self.calls: list[tuple[str, str, str]] = []
        self.raise_on_write: Exception | None = None

    def principal_associations(self, share_arn: str) -> list[PrincipalAssociation]:
        if not self.exists:
            raise ShareNotFound("UnknownResourceException", f"resource share {share_arn} not found")
        return [PrincipalAssociation(p, s) for p, s in self.associations.items()]

    def _write(self, action: str, principal: str, token: str, status: str) -> None:
        self.calls.append((action, principal, token))
        if self.raise_on_write is not None:
            raise self.raise_on_write
        if principal in self.refuse:
            raise PrincipalChangeRefused(self.refuse[principal], f"refused {principal}")
        self.associations[principal] = status

    def associate(self, share_arn: str, principal: str, client_token: str) -> None:
        self._write("associate", principal, client_token, "ASSOCIATED")

    def disassociate(self, share_arn: str, principal: str, client_token: str) -> None:
        self._write("disassociate", principal, client_token, "DISASSOCIATED")


class FakeAudit:
    """The audit table in memory: the items written, and a view of them by attribute (``entries``)."""

    def __init__(self) -> None:
        self.records: list[dict[str, str | int]] = []

    def write(self, records: Sequence[Mapping[str, str | int]]) -> None:
        self.records.extend(dict(r) for r in records)

    @property
    def entries(self) -> list[SimpleNamespace]:
        return [SimpleNamespace(**r) for r in self.records]


class FakeNotifier:
    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self.kinds: list[list[str]] = []

    def publish(self, subject: str, kinds: Sequence[str], message: Mapping[str, Any]) -> None:
        self.messages.append((subject, dict(message)))
        self.kinds.append(list(kinds))
