"""How long AWS takes for what it completes asynchronously, as parameters of the emulation's clock.

No AWS document gives these times; each default is the emulation's own choice, and ``python -m bench --only
ready`` states the AWS-like values it runs with (assumptions until the acceptance suite measures them on AWS).
None: the emulation's ``settle`` (0.2 s by default), which keeps tests fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Delays:
    # an accepted invitation's share becomes listed (ListResources AVAILABLE) and usable this long after the
    # accept (RAM accepts asynchronously: terraform's aws_ram_resource_share_accepter waits for it)
    share_listed: timedelta = timedelta(seconds=10)
    # a new resource or ServiceNetwork endpoint stays "pending" this long (AWS CLI example: State Pending)
    endpoint_pending: timedelta | None = None
    # a new service-network VPC association stays CREATE_IN_PROGRESS this long (terraform waits for ACTIVE)
    association_creating: timedelta | None = None
