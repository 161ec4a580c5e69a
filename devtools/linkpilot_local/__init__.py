"""Local AWS for Linkpilot: moto plus what moto lacks (development and test tooling, never in the layer).

``LocalAws`` runs it in-process (a context manager, and the ``local_aws`` pytest fixture in
``linkpilot_local.pytest_plugin``); ``linkpilot local serve`` runs it as a server, driven from
other processes with ``RemoteLocalAws``. See README.md in this directory.
"""

from .clock import Clock
from .core import LocalAws
from .faults import FaultRule

__all__ = ["Clock", "FaultRule", "LocalAws"]
