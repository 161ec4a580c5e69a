"""What the emulation's state modules use of the emulation, as Protocols.

``lattice/store.py``, ``ram/store.py`` and ``events.py`` hold state and take the emulation as a parameter;
they name what they read of it here instead of importing :class:`~linkpilot_local.emulation.Emulation`
(which imports them), so no import circle runs through them, not even one made only for type checking.
``Emulation`` satisfies these Protocols structurally; mypy checks it where the emulation is passed
(``RamStore(self)``, ``lattice.purge(self)``). The handler modules' view, which names these stores' types,
is :mod:`linkpilot_local.context`. This module imports nothing of the emulation but its clock and its delays.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from .clock import Clock
from .delays import Delays


class Settling(Protocol):
    """What a resource's lifecycle status reads: the emulation's clock and how long a change takes."""

    @property
    def clock(self) -> Clock: ...

    @property
    def settle(self) -> timedelta: ...

    @property
    def delays(self) -> Delays: ...


class LatticeHost[StoreT](Settling, Protocol):
    """What ``lattice/store.py``'s own functions read: the lifecycle and the lattice store, whose type that
    module defines (hence a parameter: ``LatticeHost[LatticeStore]``)."""

    @property
    def lattice(self) -> StoreT: ...


class Refreshing(Protocol):
    """The data path as a change of state sees it: its routes and listeners are re-checked."""

    def refresh(self) -> None: ...


class EventSink(Protocol):
    """Where ``aws.ram`` events go (``events.py``): stamped with the clock, kept in ``events``, delivered
    unless ``drop_events``."""

    @property
    def clock(self) -> Clock: ...

    @property
    def events(self) -> list[dict[str, Any]]: ...

    @property
    def drop_events(self) -> bool: ...


class RamHost(EventSink, Protocol):
    """What the RAM store (``ram/store.py``) uses: the clock, the events, and the data path to refresh when
    a share's state changes."""

    @property
    def datapath(self) -> Refreshing: ...
