"""Linkpilot: hands-free, cross-account onboarding of AWS PrivateLink resource endpoints.

The package is shared by the Lambda functions (through the layer), the operator CLI and the demo.
Modules import what they use lazily enough that a handler's cold start pays only for its own path.
"""

__version__ = "0.1.0"
