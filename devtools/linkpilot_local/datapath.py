"""The data path: each resource endpoint gets a loopback IP whose listeners forward TCP to the target.

A resource configuration names its target by DNS name or IP address and port ranges. The emulation
cannot reach a provider VPC, so targets are mapped explicitly to loopback addresses with
``map_target(host, port, (loopback_host, loopback_port))`` (an IP-address target that is itself on
loopback needs no mapping). Each resource endpoint is given its own 127.x.y.z address, and
listeners on that address accept on the configuration's ports (every port of a range of up to 64
ports, plus any mapped port of a wider range) and forward bytes both ways, unchanged: the target
sees whatever ``Host`` header the client sent, i.e. the endpoint's DNS name.

Zones: an endpoint in several subnets has one network interface, hence one address, per subnet (one per
Availability Zone); here each subnet gets a 127.x address of its own, all forwarding to the same target.
:meth:`DataPath.black_hole` makes one address drop every new connection unanswered (a zone failing: the
probe sees a timeout there and the endpoint ``degraded``); :meth:`DataPath.restore` brings it back.

IPv6: an endpoint whose IpAddressType is ``dualstack`` or ``ipv6`` is also served on ``::1`` (the only IPv6
loopback address, so one endpoint per port there: a second one asking for the same port is logged and not
served on ``::1``). :meth:`DataPath.resolve_all` answers like the VPC resolver for the endpoint's type:
``ipv4`` -> its 127.x addresses (one per subnet), ``dualstack`` -> those and ``::1``, ``ipv6`` -> ``::1``.
:meth:`resolve` keeps answering the first 127.x address.

A connection is refused (accepted and closed at once) while the endpoint is not ``available``,
after the consumer lost access to the configuration (unshared, deleted), or when the target is not
mapped. The resolver maps the endpoint's DNS names to its loopback IP only while it is available. A private
DNS name (a custom domain name the endpoint's private DNS preference admits) answers only in the endpoint's
own VPC when the caller names one (``resolve(name, vpc_id)``), like a private hosted zone.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import ipaddress
import logging
import random
import socket
import threading
from typing import TYPE_CHECKING

from .lattice import find_configuration_by_arn

if TYPE_CHECKING:
    from .context import DataPathContext
    from .ec2_endpoints import ResourceEndpoint

log = logging.getLogger(__name__)
IPV6_LOOPBACK = "::1"
_MAX_RANGE = 64
_BUFFER = 65536


class DataPath:
    def __init__(self, emu: DataPathContext[ResourceEndpoint], *, seed: int | None = None) -> None:
        self.emu = emu
        self.targets: dict[tuple[str, int], tuple[str, int]] = {}
        self._rng = random.Random(seed)  # noqa: S311 - addresses, not secrets
        self._octets = (self._rng.randrange(64, 250), self._rng.randrange(0, 250))
        self._next_host = 1
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: dict[str, dict[int, asyncio.Server]] = {}
        self._servers6: dict[str, dict[int, asyncio.Server]] = {}  # on ::1, dualstack/ipv6 endpoints
        self._ips: dict[str, str] = {}
        # the route keys of each endpoint (in the order added) and every address handed out: indexes, so
        # that adding an endpoint's routes costs the same with 10 or 1,000 endpoints already attached
        self._keys_of: dict[str, dict[str, None]] = {}
        self._allocated: set[str] = set()
        # a route's addresses in its endpoint's other subnets (zones), each with its own listeners
        self._zone_ips: dict[str, list[str]] = {}
        self._zone_servers: dict[str, dict[str, dict[int, asyncio.Server]]] = {}
        self._holes: dict[str, list[socket.socket]] = {}  # black-holed address -> its silent sockets
        self._names: dict[str, str] = {}  # DNS name -> route key
        # private DNS names (custom domain names) live in the VPC that enabled them: name -> {vpc: route key}
        self._private: dict[str, dict[str, str]] = {}
        self._route_cfg: dict[str, str] = {}  # route key -> configuration ARN served
        self._attached: set[str] = set()
        self._lock = threading.RLock()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="linkpilot-local-datapath", daemon=True)
        self._thread.start()
        ready.wait(5)

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with self._lock:
            for endpoint_id in list(self._servers):
                self._close_servers(endpoint_id)
            for address in list(self._holes):
                self._close_hole(address)
            self._ips.clear()
            self._zone_ips.clear()
            self._keys_of.clear()
            self._allocated.clear()
            self._names.clear()
            self._private.clear()

        async def shutdown() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
        self._loop = self._thread = None

    # -- public API ------------------------------------------------------------------------------

    def map_target(self, host: str, port: int, address: tuple[str, int]) -> None:
        if not ipaddress.ip_address(address[0]).is_loopback:
            raise ValueError(f"targets map to loopback addresses only, not {address[0]}")
        with self._lock:
            self.targets[(_norm(host), int(port))] = (address[0], int(address[1]))
        self.refresh()

    def resolve(self, name: str, vpc_id: str | None = None) -> str:
        """The loopback IP of an available endpoint's DNS name. A private DNS name (the custom domain name the
        endpoint's private DNS admitted) resolves in the endpoint's own VPC only; ``vpc_id`` None looks in
        every VPC (a caller that does not say where it stands)."""
        host = _norm(name)
        with contextlib.suppress(ValueError):
            return str(ipaddress.ip_address(host))
        with self.emu.lock, self._lock:
            route = self._lookup(host, vpc_id)
            if route is not None:
                return self._ips[route]
        raise socket.gaierror(socket.EAI_NONAME, f"Name or service not known: {name}")

    def resolve_all(self, name: str, vpc_id: str | None = None) -> list[str]:
        """Every address of a name, by the endpoint's IpAddressType (see the module docstring)."""
        host = _norm(name)
        with contextlib.suppress(ValueError):
            return [str(ipaddress.ip_address(host))]
        ip = self.resolve(name, vpc_id)  # raises for an unknown or unavailable endpoint
        with self.emu.lock, self._lock:
            route = self._lookup(host, vpc_id) or ""
            endpoint = self.emu.endpoints.by_id.get(_endpoint_of(route))
            ip_type = getattr(endpoint, "ip_type", "ipv4")
            v4 = [ip, *self._zone_ips.get(route, ())]
        if ip_type == "dualstack":
            return [*v4, IPV6_LOOPBACK]
        return [IPV6_LOOPBACK] if ip_type == "ipv6" else v4

    def addresses(self, endpoint_id: str) -> list[str]:
        """The 127.x addresses of an endpoint's route (a GROUP child: ``vpce-…/child-id``), one per subnet."""
        with self._lock:
            first = self._ips.get(endpoint_id)
            return [first, *self._zone_ips.get(endpoint_id, ())] if first else []

    def black_hole(self, address: str) -> None:
        """New connections to one of an endpoint's 127.x addresses get no answer at all (SYNs dropped), on
        every port, until :meth:`restore`: a zone whose path fails silently."""
        with self._lock:
            if address in self._holes:
                return
            servers = self._servers_at(address)
            if servers is None:
                raise ValueError(f"{address} is not an address of an endpoint")
            ports = sorted(servers)
            self._stop_listening(servers)
            holes: list[socket.socket] = []
            for port in ports:
                holes.extend(_silent_listener(address, port))
            self._holes[address] = holes

    def restore(self, address: str) -> None:
        """Undo :meth:`black_hole`: the address listens and forwards again."""
        with self._lock:
            self._close_hole(address)
        self.refresh()

    def dns_map(self) -> dict[str, str]:
        """DNS name -> loopback IP of each available endpoint (a private name: its first VPC's)."""
        with self.emu.lock, self._lock:
            out = {}
            for name in sorted({*self._names, *self._private}):
                route = self._lookup(name, None)
                if route is not None:
                    out[name] = self._ips[route]
            return out

    def _lookup(self, host: str, vpc_id: str | None) -> str | None:
        """The route key of the available endpoint that answers ``host`` (seen from ``vpc_id``), or None."""
        candidates = [self._names[host]] if host in self._names else []
        private = self._private.get(host, {})
        candidates += [r for v, r in sorted(private.items()) if vpc_id is None or v == vpc_id]
        for route in candidates:
            endpoint = self.emu.endpoints.by_id.get(_endpoint_of(route))
            if endpoint is not None and endpoint.state_now() == "available" and route in self._ips:
                return route
        return None

    def loopback_ip(self, endpoint_id: str) -> str | None:
        with self._lock:
            return self._ips.get(endpoint_id)

    # -- endpoint lifecycle (called by the EC2 handlers, under the emulation lock) ------------------

    # A route is one association of an endpoint: the endpoint itself (key: its id), or for a GROUP
    # configuration one CHILD (key: "<endpoint id>/<child id>"). Each route has its own loopback address,
    # DNS name(s) and listeners, forwarding to that route's configuration's target.

    def attach(self, endpoint: ResourceEndpoint) -> None:
        with self._lock:
            self._attached.add(endpoint.id)
        self._add_routes(endpoint)

    def _add_routes(self, endpoint: ResourceEndpoint) -> None:
        with self._lock:
            if endpoint.id not in self._attached:
                return
            for name, key in endpoint.route_names().items():
                self._names[_norm(name)] = key
            for name, key in endpoint.private_route_names().items():
                self._private.setdefault(_norm(name), {})[endpoint.vpc_id] = key
            for key, cfg in endpoint.routes():
                self._route_cfg[key] = cfg.arn
                if key in self._ips:
                    continue
                ip = self._allocate_ip()
                self._ips[key] = ip
                self._keys_of.setdefault(_endpoint_of(key), {})[key] = None
                if key == endpoint.id or endpoint.loopback_ip is None:
                    endpoint.loopback_ip = ip
                self._servers[key] = {}
                zones = max(len(getattr(endpoint, "subnet_ids", None) or ()), 1)
                self._zone_ips[key] = [self._allocate_ip() for _ in range(zones - 1)]
                self._zone_servers[key] = {z: {} for z in self._zone_ips[key]}
                if endpoint.ip_type in ("dualstack", "ipv6"):
                    self._servers6[key] = {}
        self._sync(endpoint)

    def detach(self, endpoint: ResourceEndpoint) -> None:
        with self._lock:
            self._attached.discard(endpoint.id)
            for key in self._keys_of.pop(endpoint.id, {}):
                self._close_servers(key)
                for address in [self._ips.get(key), *self._zone_ips.pop(key, ())]:
                    if address in self._holes:
                        self._close_hole(address)
                    self._allocated.discard(address or "")
                self._ips.pop(key, None)
                self._route_cfg.pop(key, None)
            for name in [n for n, k in self._names.items() if _endpoint_of(k) == endpoint.id]:
                del self._names[name]
            for name, by_vpc in list(self._private.items()):
                if _endpoint_of(by_vpc.get(endpoint.vpc_id, "")) == endpoint.id:
                    del by_vpc[endpoint.vpc_id]
                if not by_vpc:
                    del self._private[name]

    def refresh(self) -> None:
        """Re-check routes and listeners after a configuration or mapping change (a GROUP's new child)."""
        for endpoint in self.emu.endpoints.all():
            if endpoint.id in self._attached:
                self._add_routes(endpoint)

    # -- internals --------------------------------------------------------------------------------

    def _allocate_ip(self) -> str:
        while True:
            host = self._next_host
            self._next_host += 1
            a, b = self._octets
            b = (b + (host - 1) // 254) % 256
            ip = f"127.{a}.{b}.{(host - 1) % 254 + 1}"
            if ip not in self._allocated:  # the host counter wraps after 65,024 addresses
                self._allocated.add(ip)
                return ip

    def _ports(self, configuration_arn: str) -> set[int]:
        cfg = find_configuration_by_arn(self.emu, configuration_arn)
        if cfg is None:
            return set()
        host = _norm(cfg.target_host() or "")
        ports: set[int] = set()
        for low, high in cfg.ports():
            if high - low < _MAX_RANGE:
                ports.update(range(low, high + 1))
            ports.update(p for (h, p) in self.targets if h == host and low <= p <= high)
        return ports

    def _sync(self, endpoint: ResourceEndpoint) -> None:
        loop = self._loop
        if loop is None:
            return
        with self._lock:
            for key in list(self._keys_of.get(str(endpoint.id), {})):
                ip = self._ips.get(key)
                servers = self._servers.get(key)
                if ip is None or servers is None:
                    continue
                wanted = self._ports(self._route_cfg.get(key, ""))
                if ip not in self._holes:
                    self._listen(key, ip, servers, wanted)
                for zone_ip, zone_servers in self._zone_servers.get(key, {}).items():
                    if zone_ip not in self._holes:
                        self._listen(key, zone_ip, zone_servers, wanted)
                servers6 = self._servers6.get(key)
                if servers6 is not None:
                    self._listen(key, IPV6_LOOPBACK, servers6, wanted)

    def _listen(
        self, endpoint_id: str, ip: str, servers: dict[int, asyncio.Server], wanted: set[int]
    ) -> None:
        loop = self._loop
        assert loop is not None
        for port in sorted(wanted - set(servers)):
            handler = functools.partial(self._serve, endpoint_id, port)
            try:
                servers[port] = asyncio.run_coroutine_threadsafe(
                    asyncio.start_server(handler, ip, port, reuse_address=True), loop
                ).result(5)
            except OSError as err:
                level = logging.WARNING if err.errno in {errno.EACCES, errno.EADDRINUSE} else logging.ERROR
                log.log(level, "data path: cannot listen on %s:%s for %s: %s", ip, port, endpoint_id, err)

    def _servers_at(self, address: str) -> dict[int, asyncio.Server] | None:
        for endpoint_id, ip in self._ips.items():
            if ip == address:
                return self._servers.get(endpoint_id)
            if address in self._zone_servers.get(endpoint_id, {}):
                return self._zone_servers[endpoint_id][address]
        return None

    def _stop_listening(self, servers: dict[int, asyncio.Server]) -> None:
        """Close the listeners now (not later on the loop): the address:port must be free on return."""
        loop = self._loop

        async def close(server: asyncio.Server) -> None:
            server.close()

        for server in servers.values():
            if loop is not None and not loop.is_closed():
                asyncio.run_coroutine_threadsafe(close(server), loop).result(5)
        servers.clear()

    def _close_hole(self, address: str) -> None:
        for sock in self._holes.pop(address, []):
            sock.close()

    def _close_servers(self, endpoint_id: str) -> None:
        servers = [
            *self._servers.pop(endpoint_id, {}).values(),
            *self._servers6.pop(endpoint_id, {}).values(),
            *(s for zone in self._zone_servers.pop(endpoint_id, {}).values() for s in zone.values()),
        ]
        loop = self._loop
        for server in servers:
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(server.close)

    def _target_for(self, route: str, port: int) -> tuple[str, int] | None:
        with self.emu.lock:
            endpoint = self.emu.endpoints.by_id.get(_endpoint_of(route))
            if endpoint is None or endpoint.state_now() != "available" or not endpoint.accessible():
                return None
            with self._lock:
                cfg_arn = self._route_cfg.get(route, "")
            cfg = find_configuration_by_arn(self.emu, cfg_arn)
            if cfg is None or not any(low <= port <= high for low, high in cfg.ports()):
                return None
            host = _norm(cfg.target_host() or "")
        with self._lock:
            mapped = self.targets.get((host, port))
        if mapped is not None:
            return mapped
        with contextlib.suppress(ValueError):
            if ipaddress.ip_address(host).is_loopback:
                return host, port
        return None

    async def _serve(
        self, endpoint_id: str, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        target = await asyncio.get_running_loop().run_in_executor(None, self._target_for, endpoint_id, port)
        if target is None:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*target)
        except OSError:
            writer.close()
            return
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            for w in (writer, up_writer):
                with contextlib.suppress(Exception):
                    w.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy one direction; pass the half-close on so the other direction can finish."""
    try:
        while data := await reader.read(_BUFFER):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        with contextlib.suppress(Exception):
            writer.close()


def _silent_listener(address: str, port: int) -> list[socket.socket]:
    """A listener that never accepts, its queue filled: further SYNs to address:port are dropped."""
    sock = socket.socket(socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, port))
    sock.listen(0)
    sockets = [sock]
    for _ in range(2):  # a backlog of 0 still queues one connection: fill it
        filler = socket.socket(socket.AF_INET)
        filler.setblocking(False)
        filler.connect_ex((address, port))
        sockets.append(filler)
    return sockets


def _endpoint_of(route: str) -> str:
    """The endpoint id of a route key (``vpce-…`` or ``vpce-…/rcfg-…``)."""
    return route.split("/", 1)[0]


def _norm(host: str) -> str:
    return host.strip().lower().rstrip(".")
