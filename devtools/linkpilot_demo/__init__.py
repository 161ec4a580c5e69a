"""The offline end-to-end demo (`linkpilot demo`): development tooling, never in the Lambda layer."""
