"""The ``LINKPILOT_*`` environment variables Linkpilot reads, and a warning for any other one (a typo is
otherwise silently ignored: ``LINKPILOT_STATE_TABEL`` would run without the lease).

``KNOWN_VARIABLES`` lists every name the project reads: the functions' settings (``linkpilot.settings``,
whose classes the CLI runs too), the CLI's own and the development tooling's
(tests/unit/cli/test_environment.py checks the list against every name the sources mention).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Final

PREFIX: Final = "LINKPILOT_"
KNOWN_VARIABLES: Final = frozenset(
    {
        # the functions' settings (linkpilot.runtime.*Settings), which `reconcile` and `cleanup` read too
        "LINKPILOT_AUDIT_RETENTION_DAYS",
        "LINKPILOT_AUDIT_TABLE",
        "LINKPILOT_CONSUMER_LIST_PARAMETER",
        "LINKPILOT_ENDPOINT_OVERDUE_HOURS",
        "LINKPILOT_FOLLOW_UP_QUEUE",
        "LINKPILOT_LEASE_SECONDS",
        "LINKPILOT_LEASE_WAIT_SECONDS",
        "LINKPILOT_MAX_WORKERS",
        "LINKPILOT_POLICY_CACHE_SECONDS",
        "LINKPILOT_POLICY_PARAMETER",
        "LINKPILOT_PROBE_FUNCTION_ARN",
        "LINKPILOT_PROBE_INPUT_MAX_CHARS",
        "LINKPILOT_PROBE_SCHEDULE",
        "LINKPILOT_PROBE_SCHEDULER_ROLE_ARN",
        "LINKPILOT_PROBE_SCHEDULE_GROUP",
        "LINKPILOT_PUBLISH_ENDPOINTS",
        "LINKPILOT_RECONCILE_SCHEDULE",
        "LINKPILOT_RESOURCE_CONFIGURATION_ARNS",
        "LINKPILOT_SERVICE_NETWORK_ASSOCIATIONS",
        "LINKPILOT_SHARE_ARN",
        "LINKPILOT_SHARING_MODE",
        "LINKPILOT_STACK_ID",
        "LINKPILOT_STATE_TABLE",
        "LINKPILOT_TOPIC_ARN",
        "LINKPILOT_TRUSTED_ACCOUNTS",
        # the CLI's own
        "LINKPILOT_PROBE_LOG_GROUP",
        "LINKPILOT_SAM",  # linkpilot acceptance: the SAM CLI to deploy with
        # the development tooling (tests, benchmarks, scripts)
        "LINKPILOT_IAM_CALLS",
        "LINKPILOT_IAM_RECORD_DIR",
        "LINKPILOT_PYTHON",
        "LINKPILOT_RELIABILITY_REPORT",
    }
)


def unknown_variables(env: Mapping[str, str]) -> list[str]:
    """One warning per ``LINKPILOT_*`` name Linkpilot does not read, with the closest known name."""
    from linkpilot_cli.suggest import suggestion

    # compared without the prefix every name shares, which would make any two names look alike
    known = sorted(name.removeprefix(PREFIX) for name in KNOWN_VARIABLES)
    return [
        f"{name} is not a Linkpilot variable and is ignored"
        + suggestion(name.removeprefix(PREFIX), known).replace("mean '", f"mean '{PREFIX}")
        for name in sorted(env)
        if name.startswith(PREFIX) and name not in KNOWN_VARIABLES
    ]


def warn_unknown_variables(warn: Callable[[str], None], env: Mapping[str, str] | None = None) -> None:
    for message in unknown_variables(os.environ if env is None else env):
        warn(message)
