"""Each function's runtime: its settings, the adapters it builds over boto3, its Powertools glue.

One module per function (``controller``, ``onboarding``, ``probe``), each with a ``*Function`` class whose
``from_env()`` the handler calls once at cold start and whose ``handle(event, logger, metrics)`` runs one
invocation. The wings (``linkpilot.consumer``, ``linkpilot.provider``, ``linkpilot.probe``) never import
boto3, botocore, Powertools or the adapters; this package is where those meet. Empty on purpose: importing
one function's runtime never loads another's.
"""
