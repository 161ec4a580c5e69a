"""Local AWS for Linkpilot: moto plus what moto lacks (development and test tooling, never in the layer).

``LocalAws`` runs it in-process (a context manager, and the ``local_aws`` pytest fixture in
``linkpilot_local.pytest_plugin``); ``linkpilot local serve`` runs it as a server, driven from
other processes with ``RemoteLocalAws``. See README.md in this directory.

The names below load on first use: the operator CLI imports ``linkpilot_local.cli`` (the ``local``
command) to list it, and that must not import moto.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .clock import Clock
    from .core import LocalAws
    from .faults import FaultRule

__all__ = ["Clock", "FaultRule", "LocalAws"]
_WHERE = {"Clock": ".clock", "LocalAws": ".core", "FaultRule": ".faults"}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name], __name__), name)
