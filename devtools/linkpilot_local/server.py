"""Server mode: moto's server app behind the emulation's front door, plus a small control API.

Any boto3 client pointed at the server (``endpoint_url=`` or ``AWS_ENDPOINT_URL``) reaches it; it
acts as the account whose credentials signed the request, so STS ``AssumeRole`` into
``arn:aws:iam::<account>:role/<any>`` gives credentials for that account (moto's mapping).

Control API (JSON, under the reserved path ``/_linkpilot/``; moto's own stays under ``/moto-api/``):

- ``GET /_linkpilot/health`` -> ``{"ok": true, "region": ...}``
- ``GET /_linkpilot/dns`` -> ``{"names": {dns_name: loopback_ip}}`` (available endpoints only)
- ``GET /_linkpilot/resolve?name=<dns name>`` -> ``{"ip": ..., "ips": [...]}`` (the first address, and every
  address: one per subnet, ``::1`` for IPv6), or 404 when it does not resolve
- ``GET /_linkpilot/addresses?endpoint_id=<id>`` -> ``{"addresses": [...]}`` (its 127.x addresses)
- ``POST /_linkpilot/blackhole`` ``{"address", "on": bool}`` -> ``{}`` (drop new connections to an address)
- ``POST /_linkpilot/targets`` ``{"host", "port", "address": [loopback_host, port]}`` -> ``{}``
- ``POST /_linkpilot/clock/advance`` ``{"seconds": N}`` -> ``{"now": iso8601}``
- ``POST /_linkpilot/organization`` ``{"accounts": [...], "enabled": bool}`` -> ``{}``
- ``POST /_linkpilot/faults`` ``{"seed": N, "rules": [rule, ...]}``; ``DELETE /_linkpilot/faults`` -> ``{}``
- ``GET /_linkpilot/calls`` -> ``{"calls": [[account, service, operation], ...]}``
- ``GET /_linkpilot/events`` -> ``{"events": [...]}`` (every aws.ram event emitted)
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from . import moto_compat
from .emulation import Emulation
from .http_date import dated_request_handler

log = logging.getLogger(__name__)
CONTROL_PREFIX = "/_linkpilot/"

StartResponse = Callable[..., Any]


class LocalAwsServer:
    """The emulation served over HTTP on ``host:port`` (port 0 picks a free one)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = "us-east-1",
        settle: timedelta = timedelta(seconds=0.2),
    ) -> None:
        self.host = host
        self.port = port
        self.emulation = Emulation(region=region, settle=settle)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._moto_app: Any = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LocalAwsServer:
        """Listen and serve; raises ``UnsupportedMotoVersion`` (one line) on a moto ``moto_compat`` was not
        checked against, before listening."""
        from werkzeug.serving import make_server

        moto_compat.check_version()
        moto_compat.apply_settings()
        self._moto_app = moto_compat.moto_wsgi_app()
        self.emulation.datapath.start()
        self._server = make_server(
            self.host,
            self.port,
            self._app,
            threaded=True,
            request_handler=dated_request_handler(self.emulation.clock),  # AWS dates every answer
        )
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="linkpilot-local-server", daemon=True
        )
        self._thread.start()
        threading.Thread(target=_warm_up, name="linkpilot-local-warmup", daemon=True).start()
        return self

    def serve_forever(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self.emulation.datapath.stop()
        self._server = self._thread = None

    def __enter__(self) -> LocalAwsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- WSGI -------------------------------------------------------------------------------------

    def _app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self._control(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        request = moto_compat.Request(dict(environ, **{"wsgi.input": io.BytesIO(body)}))
        try:
            answer = self.emulation.handle(request)
        except Exception:
            log.exception("emulation failed on %s %s", environ.get("REQUEST_METHOD"), path)
            answer = (500, {"Content-Type": "text/plain"}, "internal error in linkpilot_local")
        if answer is None:
            environ["wsgi.input"] = io.BytesIO(body)
            return self._moto_app(environ, start_response)  # type: ignore[no-any-return]
        status, headers, payload = answer
        data = payload.encode() if isinstance(payload, str) else payload
        headers = {k: v for k, v in headers.items() if k.lower() not in {"content-length", "status"}}
        headers["Content-Length"] = str(len(data))
        start_response(f"{status} {_reason(status)}", list(headers.items()))
        return [data]

    def _control(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        route = environ.get("PATH_INFO", "")[len(CONTROL_PREFIX) :].strip("/")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        query = parse_qs(environ.get("QUERY_STRING", ""))
        emu = self.emulation
        status, out = 200, {}
        try:
            body = json.loads(raw or b"{}")
            if (method, route) == ("GET", "health"):
                out = {"ok": True, "region": emu.region}
            elif (method, route) == ("GET", "dns"):
                out = {"names": emu.datapath.dns_map()}
            elif (method, route) == ("GET", "resolve"):
                import socket

                try:
                    name = query.get("name", [""])[0]
                    out = {"ip": emu.datapath.resolve(name), "ips": emu.datapath.resolve_all(name)}
                except socket.gaierror:
                    status, out = 404, {"error": "NXDOMAIN"}
            elif (method, route) == ("POST", "targets"):
                host, port = body["address"]
                emu.datapath.map_target(body["host"], int(body["port"]), (str(host), int(port)))
            elif (method, route) == ("GET", "addresses"):
                out = {"addresses": emu.datapath.addresses(query.get("endpoint_id", [""])[0])}
            elif (method, route) == ("POST", "blackhole"):
                if body.get("on", True):
                    emu.datapath.black_hole(str(body["address"]))
                else:
                    emu.datapath.restore(str(body["address"]))
            elif (method, route) == ("POST", "clock/advance"):
                out = {"now": emu.clock.advance(seconds=float(body.get("seconds", 0))).isoformat()}
            elif (method, route) == ("POST", "organization"):
                emu.set_organization_sharing(list(body["accounts"]), enabled=bool(body.get("enabled", True)))
            elif (method, route) == ("POST", "faults"):
                emu.faults.configure(seed=int(body.get("seed", 0)), rules=list(body.get("rules", [])))
            elif (method, route) == ("DELETE", "faults"):
                emu.faults.clear()
            elif (method, route) == ("GET", "calls"):
                with emu.lock:
                    out = {"calls": [list(c) for c in emu.call_log]}
            elif (method, route) == ("GET", "events"):
                with emu.lock:
                    out = {"events": list(emu.events)}
            else:
                status, out = 404, {"error": f"no control route {method} /_linkpilot/{route}"}
        except (KeyError, ValueError, TypeError) as err:
            status, out = 400, {"error": str(err)}
        data = json.dumps(out, default=str).encode()
        start_response(
            f"{status} {_reason(status)}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
        )
        return [data]


def _warm_up() -> None:
    """Import the backends the Linkpilot flow uses now, so the first real call is not the slow one."""
    for module in moto_compat.warm_up_backends():  # pragma: no cover - every module is part of moto[server]
        log.warning("warm-up could not import %s", module)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
