"""``linkpilot_cli.aws.Clients``: the one client cache the CLI's adapters share (doctor's reads, the
acceptance run's account): one client per service, made when first asked for."""

from __future__ import annotations

from typing import Any

from linkpilot_cli.aws import Clients


class Session:
    def __init__(self) -> None:
        self.made: list[str] = []

    def client(self, service: str) -> Any:
        self.made.append(service)
        return object()


def test_each_service_gets_one_client_made_when_first_asked_for() -> None:
    session = Session()
    clients = Clients(session)
    assert session.made == []
    sts = clients("sts")
    assert clients("sts") is sts and clients("ec2") is not sts
    assert session.made == ["sts", "ec2"]
