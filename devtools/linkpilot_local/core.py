"""``LocalAws``: moto plus the emulation, in-process, as a context manager."""

from __future__ import annotations

import functools
import re
import threading
from datetime import timedelta
from types import TracebackType
from typing import Any

import boto3

from . import moto_compat
from .clock import Clock
from .delays import Delays
from .emulation import Emulation
from .faults import Faults
from .http_date import date_botocore_answers

_ACCOUNT = re.compile(r"^\d{12}$")
_ACTIVE_LOCK = threading.Lock()
_ACTIVE: list[LocalAws] = []
ROLE_NAME = "linkpilot-local"


def assume_account(sts_client: Any, account_id: str) -> dict[str, str]:
    """Credentials acting as ``account_id``: STS AssumeRole, which moto maps to the role's account."""
    if not _ACCOUNT.match(account_id):
        raise ValueError(f"account id must be 12 digits, not {account_id!r}")
    creds = sts_client.assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{ROLE_NAME}", RoleSessionName="linkpilot-local"
    )["Credentials"]
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


@functools.cache
def _shared_loader() -> Any:
    import botocore.loaders

    return botocore.loaders.create_loader()


def shared_botocore_session() -> Any:
    """A botocore session sharing one model loader, so each account's first client is cheap."""
    import botocore.session

    session = botocore.session.Session()
    session.register_component("data_loader", _shared_loader())
    return session


class LocalAws:
    """moto (``mock_aws``) plus VPC Lattice resource gateways/configurations, cross-account RAM and
    EC2 resource endpoints, with a loopback data path. Use as a context manager::

        with LocalAws(region="us-east-1") as aws:
            provider = aws.session("111111111111")
            consumer = aws.session("222222222222")

    Only one ``LocalAws`` can be active in a process (moto's mock is process-wide).

    ``delays`` (:class:`~linkpilot_local.delays.Delays`): how long an accepted share takes to be listed, a
    new endpoint stays pending and a new service-network VPC association CREATE_IN_PROGRESS (AWS-like values
    for ``python -m bench --only ready``). ``settle`` is how long (on ``clock``) new gateways and
    configurations stay CREATE_IN_PROGRESS, new endpoints stay pending (unless ``delays`` says otherwise),
    and deletions stay in progress; ``clock.advance(seconds=1)`` skips it.
    """

    def __init__(
        self,
        region: str = "us-east-1",
        *,
        settle: timedelta = timedelta(seconds=0.2),
        delays: Delays | None = None,
    ) -> None:
        self.region = region
        self._settle = settle
        self._delays = delays
        self._emu: Emulation | None = None
        self._mock: Any = None
        self._sessions: dict[tuple[str, str], boto3.Session] = {}

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> LocalAws:
        """Start moto's mock with the emulation in front; raises ``UnsupportedMotoVersion`` (one line) on
        a moto ``moto_compat`` was not checked against."""
        from moto import mock_aws

        moto_compat.check_version()
        moto_compat.apply_settings()
        with _ACTIVE_LOCK:
            if _ACTIVE:
                raise RuntimeError("a LocalAws is already active in this process")
            _ACTIVE.append(self)
        try:
            self._mock = mock_aws()
            self._mock.start()
            emu = Emulation(region=self.region, settle=self._settle, delays=self._delays)
            emu.datapath.start()
            self._emu = emu

            def answer(request: moto_compat.Request) -> Any:
                return emu.handle(request)  # looked up per call: tests may patch Emulation.handle

            # moto's one interception point for every botocore client: answer first, else moto.
            moto_compat.intercept_botocore(answer)
            date_botocore_answers(emu.clock)  # every answer dated by the emulation's clock, as AWS dates its
            moto_compat.sqs_on_clock(emu.clock.time)  # SQS message timers on the same clock
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        moto_compat.release_botocore()
        moto_compat.sqs_on_clock(None)
        if self._emu is not None:
            self._emu.datapath.stop()
        if self._mock is not None:
            self._mock.stop()
        self._mock = None
        self._sessions.clear()
        with _ACTIVE_LOCK:
            if self in _ACTIVE:
                _ACTIVE.remove(self)

    def __enter__(self) -> LocalAws:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- acting as accounts --------------------------------------------------------------------

    @property
    def emulation(self) -> Emulation:
        if self._emu is None:
            raise RuntimeError("LocalAws is not started")
        return self._emu

    def session(self, account_id: str, region: str | None = None) -> boto3.Session:
        """A boto3 Session whose clients act as ``account_id`` (through STS AssumeRole)."""
        region = region or self.region
        key = (account_id, region)
        if key not in self._sessions:
            with self.emulation.quiet():
                sts = boto3.client(
                    "sts",
                    region_name=region,
                    aws_access_key_id="testing",
                    aws_secret_access_key="testing",  # noqa: S106 - moto's fake
                )
                creds = assume_account(sts, account_id)
            self._sessions[key] = boto3.Session(
                aws_access_key_id=creds["aws_access_key_id"],
                aws_secret_access_key=creds["aws_secret_access_key"],
                aws_session_token=creds["aws_session_token"],
                region_name=region,
                botocore_session=shared_botocore_session(),
            )
        return self._sessions[key]

    def client(self, service: str, account_id: str, **kwargs: Any) -> Any:
        return self.session(account_id).client(service, **kwargs)  # type: ignore[call-overload]

    # -- the emulation's switches ---------------------------------------------------------------

    def map_target(self, host: str, port: int, address: tuple[str, int]) -> None:
        """Route the resource configuration target ``host:port`` to a loopback ``address``."""
        self.emulation.datapath.map_target(host, port, address)

    def resolve(self, name: str, vpc_id: str | None = None) -> str:
        """Loopback IP of an available endpoint's DNS name (a private name: seen from ``vpc_id``); raises
        ``socket.gaierror`` otherwise."""
        return self.emulation.datapath.resolve(name, vpc_id)

    def resolve_all(self, name: str, vpc_id: str | None = None) -> list[str]:
        """Every address of an available endpoint's DNS name (one per subnet, ``::1`` for IPv6; a private
        name: seen from ``vpc_id``)."""
        return self.emulation.datapath.resolve_all(name, vpc_id)

    @property
    def resolver(self) -> Any:
        """The probe's resolver here: every address of the name, as the VPC resolver answers."""
        return self.resolve_all

    def endpoint_addresses(self, endpoint_id: str) -> list[str]:
        """The endpoint's 127.x addresses, one per subnet (Availability Zone)."""
        return self.emulation.datapath.addresses(endpoint_id)

    def black_hole(self, address: str, on: bool = True) -> None:
        """Drop new connections to one endpoint address unanswered (``on=False`` restores it)."""
        if on:
            self.emulation.datapath.black_hole(address)
        else:
            self.emulation.datapath.restore(address)

    def dns_map(self) -> dict[str, str]:
        return self.emulation.datapath.dns_map()

    @property
    def clock(self) -> Clock:
        return self.emulation.clock

    def set_organization_sharing(self, accounts: list[str], enabled: bool = True) -> None:
        self.emulation.set_organization_sharing(accounts, enabled=enabled)

    @property
    def faults(self) -> Faults:
        return self.emulation.faults

    @property
    def call_log(self) -> list[tuple[str, str, str]]:
        """(account_id, service, operation) of every AWS call made through the emulation."""
        return self.emulation.call_log

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every aws.ram event emitted (also delivered to the accounts' default buses)."""
        return self.emulation.events
