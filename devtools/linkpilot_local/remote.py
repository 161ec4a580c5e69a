"""``RemoteLocalAws``: the ``LocalAws`` interface for a running ``linkpilot local serve``."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from typing import Any

import boto3

from .core import assume_account, shared_botocore_session
from .emulation import INTERNAL_HEADER
from .faults import FaultRule


def _mark_internal(request: Any, **_: Any) -> None:
    """The session set-up call is the emulation's own business: keep it out of the call log."""
    request.headers[INTERNAL_HEADER] = "1"


class _EndpointSession(boto3.Session):
    """A boto3 Session whose clients and resources default to the local server's endpoint."""

    def __init__(self, endpoint_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._endpoint_url = endpoint_url

    def client(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("endpoint_url", self._endpoint_url)
        return super().client(*args, **kwargs)

    def resource(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("endpoint_url", self._endpoint_url)
        return super().resource(*args, **kwargs)


class _RemoteClock:
    def __init__(self, remote: RemoteLocalAws) -> None:
        self._remote = remote

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        step = delta if delta is not None else timedelta(**kwargs)
        out = self._remote._control("POST", "clock/advance", {"seconds": step.total_seconds()})
        return datetime.fromisoformat(out["now"])


class _RemoteFaults:
    def __init__(self, remote: RemoteLocalAws) -> None:
        self._remote = remote

    def configure(self, *, seed: int = 0, rules: list[FaultRule | dict[str, Any]]) -> None:
        raw = [r.to_dict() if isinstance(r, FaultRule) else r for r in rules]
        for rule in raw:
            rule.pop("hits", None)
        self._remote._control("POST", "faults", {"seed": seed, "rules": raw})

    def clear(self) -> None:
        self._remote._control("DELETE", "faults")


class RemoteLocalAws:
    """Drive a ``linkpilot local serve`` from another process, with the same API as ``LocalAws``."""

    def __init__(self, endpoint_url: str, region: str = "us-east-1") -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.region = region
        self._sessions: dict[tuple[str, str], boto3.Session] = {}
        self.clock = _RemoteClock(self)
        self.faults = _RemoteFaults(self)

    def _control(self, method: str, route: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - the URL is the local server's
            f"{self.endpoint_url}/_linkpilot/{route}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read() or b"{}")

    def session(self, account_id: str, region: str | None = None) -> boto3.Session:
        region = region or self.region
        key = (account_id, region)
        if key not in self._sessions:
            sts = boto3.client(
                "sts",
                region_name=region,
                endpoint_url=self.endpoint_url,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",  # noqa: S106 - moto's fake credentials
            )
            sts.meta.events.register("before-send.sts.AssumeRole", _mark_internal)
            self._sessions[key] = _EndpointSession(
                self.endpoint_url,
                region_name=region,
                botocore_session=shared_botocore_session(),
                **assume_account(sts, account_id),
            )
        return self._sessions[key]

    def client(self, service: str, account_id: str, **kwargs: Any) -> Any:
        return self.session(account_id).client(service, **kwargs)  # type: ignore[call-overload]

    def map_target(self, host: str, port: int, address: tuple[str, int]) -> None:
        self._control("POST", "targets", {"host": host, "port": port, "address": list(address)})

    def _resolved(self, name: str) -> dict[str, Any]:
        try:
            out: dict[str, Any] = self._control("GET", "resolve?" + urllib.parse.urlencode({"name": name}))
        except urllib.error.HTTPError as err:
            if err.code == 404:
                raise socket.gaierror(socket.EAI_NONAME, f"Name or service not known: {name}") from None
            raise
        return out

    def resolve(self, name: str) -> str:
        return str(self._resolved(name)["ip"])

    def resolve_all(self, name: str) -> list[str]:
        return [str(ip) for ip in self._resolved(name)["ips"]]

    @property
    def resolver(self) -> Any:
        return self.resolve_all

    def endpoint_addresses(self, endpoint_id: str) -> list[str]:
        out = self._control("GET", "addresses?" + urllib.parse.urlencode({"endpoint_id": endpoint_id}))
        return [str(ip) for ip in out["addresses"]]

    def black_hole(self, address: str, on: bool = True) -> None:
        self._control("POST", "blackhole", {"address": address, "on": on})

    def dns_map(self) -> dict[str, str]:
        return dict(self._control("GET", "dns")["names"])

    def set_organization_sharing(self, accounts: list[str], enabled: bool = True) -> None:
        self._control("POST", "organization", {"accounts": accounts, "enabled": enabled})

    @property
    def call_log(self) -> list[tuple[str, str, str]]:
        return [tuple(c) for c in self._control("GET", "calls")["calls"]]

    @property
    def events(self) -> list[dict[str, Any]]:
        return list(self._control("GET", "events")["events"])
