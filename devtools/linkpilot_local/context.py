"""What the emulation's handler modules use of the emulation, as Protocols.

The handlers (``lattice/*``, ``ram/*``, ``ec2_endpoints.py``, ``sn_endpoints.py``) and the data path take the
emulation as a parameter. They name what they use of it here instead of importing
:class:`~linkpilot_local.emulation.Emulation`, which imports them: no import circle runs through them, not
even one made only for type checking. ``Emulation`` satisfies these Protocols structurally; mypy checks it
where the emulation is passed (``HANDLERS``, ``DataPath(self)``, ``ec2_endpoints.purge(self)``).

The endpoint store and the data path are defined above the VPC Lattice handlers (they import them), so
:class:`EmulationContext` sees them through the narrow views the lattice and RAM handlers use; the EC2
endpoint handlers and the data path, which hold the endpoints, take :class:`EndpointContext` /
:class:`DataPathContext`, parameterised by the endpoint type ``ec2_endpoints.py`` defines.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from .lattice.store import LatticeStore
from .ram.store import RamStore
from .store_context import Refreshing, Settling


class EndpointView(Protocol):
    """A resource endpoint as the VPC Lattice handlers read it (``ListResourceEndpointAssociations``)."""

    @property
    def id(self) -> str: ...

    @property
    def owner_id(self) -> str: ...

    @property
    def resource_configuration_arn(self) -> str: ...

    @property
    def lattice_association_id(self) -> str: ...

    @property
    def lattice_association_arn(self) -> str: ...

    @property
    def creation_timestamp(self) -> datetime: ...

    def state_now(self) -> str: ...


class EndpointsView(Protocol):
    """The endpoint store as the VPC Lattice handlers read it."""

    def all(self) -> Iterator[EndpointView]: ...


class EmulationContext(Settling, Protocol):
    """What the VPC Lattice and RAM handlers use of the emulation: its clock and settle time, the lattice and
    RAM stores, the endpoints (read), the data path (refreshed after a change) and the organization switch."""

    @property
    def lattice(self) -> LatticeStore: ...

    @property
    def ram(self) -> RamStore: ...

    @property
    def endpoints(self) -> EndpointsView: ...

    @property
    def datapath(self) -> Refreshing: ...

    def same_org(self, a: str, b: str) -> bool: ...


class EndpointStoreView[EndpointT](Protocol):
    """The endpoint store as the EC2 endpoint handlers and the data path use it."""

    @property
    def by_id(self) -> dict[str, EndpointT]: ...

    @property
    def tokens(self) -> dict[tuple[str, str, str], tuple[str, str]]: ...

    def all(self) -> Iterator[EndpointT]: ...


class DataPathControl[EndpointT](Refreshing, Protocol):
    """The data path as the EC2 endpoint handlers use it: an endpoint is attached when created, detached
    when deleted."""

    def attach(self, endpoint: EndpointT) -> None: ...

    def detach(self, endpoint: EndpointT) -> None: ...


class EndpointContext[EndpointT: EndpointView](EmulationContext, Protocol):
    """What the EC2 endpoint handlers use: the handlers' context with the endpoint store and the data path
    in full (``EndpointContext[ResourceEndpoint]``)."""

    @property
    def endpoints(self) -> EndpointStoreView[EndpointT]: ...

    @property
    def datapath(self) -> DataPathControl[EndpointT]: ...


class DataPathContext[EndpointT: EndpointView](EndpointContext[EndpointT], Protocol):
    """What the data path uses: the endpoints' context and the emulation's lock, held while it reads them."""

    @property
    def lock(self) -> threading.RLock: ...
