"""The Regions AWS has, as the installed botocore's endpoint data names them (no call is made): what
``linkpilot_cli.validate`` checks a Region name against, so a typo gets a did-you-mean before any call."""

from __future__ import annotations

import functools


@functools.cache
def known_regions() -> frozenset[str]:
    """The Regions botocore's endpoint data names, in every partition (read from the installed botocore: no
    call); empty if it cannot say."""
    import botocore.session

    session = botocore.session.get_session()
    try:
        return frozenset(
            region
            for partition in session.get_available_partitions()
            for region in session.get_available_regions("ec2", partition_name=partition)
        )
    except Exception:  # noqa: BLE001 - no endpoint data: the pattern alone decides
        return frozenset()
