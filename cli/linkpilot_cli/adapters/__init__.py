"""The operator commands' own AWS adapters: the reads and changes no Lambda function makes (StackSets, the
template bucket, the probe's metrics and log lines), so they live with the CLI, outside the layer. One
module per AWS service; each takes a client (made in ``linkpilot_cli.aws``) and turns AWS errors into
``linkpilot.errors`` the way the layer's adapters do (``linkpilot.aws.errors``)."""
