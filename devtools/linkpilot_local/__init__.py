"""Local AWS for Linkpilot: moto plus what moto lacks (development and test tooling, never in the layer)."""
