"""Fixtures for the local AWS contract tests: the same tests run in-process and against the server."""

from __future__ import annotations

import itertools
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from linkpilot_local import LocalAws
from linkpilot_local.fixtures import make_vpc
from linkpilot_local.remote import RemoteLocalAws

pytestmark = pytest.mark.integration

_accounts = itertools.count(100000000001)


def new_account() -> str:
    """A fresh 12-digit account id, so tests sharing one server never see each other's state."""
    return f"{next(_accounts):012d}"


@dataclass
class Provider:
    account: str
    vpc_id: str
    subnet_ids: list[str]
    gateway: dict[str, Any]
    configuration: dict[str, Any]


def make_provider(
    aws: Any, *, domain: str = "hello.internal.example", ports: tuple[str, ...] = ("8080",)
) -> Provider:
    account = new_account()
    session = aws.session(account)
    vpc_id, subnets = make_vpc(session, "10.0.0.0/16")
    lattice = session.client("vpc-lattice")
    gateway = lattice.create_resource_gateway(name="provider-gw", vpcIdentifier=vpc_id, subnetIds=subnets)
    configuration = lattice.create_resource_configuration(
        name="hello",
        type="SINGLE",
        portRanges=list(ports),
        resourceGatewayIdentifier=gateway["id"],
        resourceConfigurationDefinition={"dnsResource": {"domainName": domain, "ipAddressType": "IPV4"}},
    )
    aws.clock.advance(seconds=1)  # CREATE_IN_PROGRESS -> ACTIVE without sleeping
    return Provider(account, vpc_id, subnets, gateway, configuration)


def share_and_accept(aws: Any, provider: Provider, consumer: str) -> dict[str, Any]:
    share = (
        aws.session(provider.account)
        .client("ram")
        .create_resource_share(
            name="hello-share", resourceArns=[provider.configuration["arn"]], principals=[consumer]
        )["resourceShare"]
    )
    ram = aws.session(consumer).client("ram")
    invitation = ram.get_resource_share_invitations(resourceShareArns=[share["resourceShareArn"]])[
        "resourceShareInvitations"
    ][0]
    ram.accept_resource_share_invitation(
        resourceShareInvitationArn=invitation["resourceShareInvitationArn"], clientToken="accept-1"
    )
    aws.clock.advance(seconds=30)  # RAM completes the accept asynchronously
    return share


class HelloTarget:
    """The reference target on loopback: answers each connection with a bare-LF HTTP 200 and closes."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.hosts: list[str] = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                data = b""
                try:
                    while b"\r\n\r\n" not in data and (chunk := conn.recv(4096)):
                        data += chunk
                except OSError:
                    pass
                for line in data.decode(errors="replace").split("\r\n"):
                    if line.lower().startswith("host:"):
                        self.hosts.append(line.split(":", 1)[1].strip())
                conn.sendall(b"HTTP/1.1 200 OK\nContent-Type: text/plain\n\nHello, World!")

    def close(self) -> None:
        self.sock.close()


def http_get(ip: str, port: int, host: str, timeout: float = 3.0) -> bytes:
    with socket.create_connection((ip, port), timeout=timeout) as conn:
        conn.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := conn.recv(4096):
            data += chunk
        return data


@pytest.fixture
def target() -> Iterator[HelloTarget]:
    t = HelloTarget()
    yield t
    t.close()


@pytest.fixture
def inproc() -> Iterator[LocalAws]:
    with LocalAws(region="us-east-1") as aws:
        yield aws


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """``linkpilot local serve --port 0`` in a subprocess, shared by this test process's server-mode tests."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "linkpilot_cli.main", "local", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening on" in line, line
        url = line.split("listening on ", 1)[1].split()[0]
        SERVER_READY_SECONDS.append(time.monotonic() - started)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()


SERVER_READY_SECONDS: list[float] = []


@pytest.fixture(params=["inproc", "server"])
def aws_any(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The emulation in each mode: in-process ``LocalAws``, and ``RemoteLocalAws`` against the server."""
    if request.param == "inproc":
        with LocalAws(region="us-east-1") as aws:
            yield aws
        return
    remote = RemoteLocalAws(request.getfixturevalue("server_url"))
    try:
        yield remote
    finally:
        remote.faults.clear()
        remote.set_organization_sharing([], enabled=False)


def error_of(excinfo: pytest.ExceptionInfo[Any]) -> tuple[str, int]:
    """(error code, HTTP status) of a botocore ClientError."""
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def association_dns_name(ec2: Any, endpoint_id: str) -> str:
    """A Resource endpoint's DNS name: from its association row (AWS gives it no DnsEntries)."""
    rows = ec2.describe_vpc_endpoint_associations(VpcEndpointIds=[endpoint_id])["VpcEndpointAssociations"]
    return str(rows[0]["DnsEntry"]["DnsName"])
