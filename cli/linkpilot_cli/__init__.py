"""The operator CLI (``linkpilot``): reconcile, status, probe, stackset, local, demo.

Not shipped to Lambda: the layer holds only what the functions import.
"""
