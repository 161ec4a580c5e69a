"""The emulation's state and its request handler, shared by the in-process and the server mode."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from . import ec2_endpoints, lambda_invokes, lattice, moto_compat, ram, sn_endpoints
from .clock import Clock
from .datapath import DataPath
from .delays import Delays
from .dispatch import Call, Handler, Response, identify, parse_params, serialize
from .errors import AwsError
from .faults import Faults, fault_error
from .moto_compat import Request

log = logging.getLogger(__name__)
INTERNAL_HEADER = "x-linkpilot-local-internal"

HANDLERS: dict[tuple[str, str], Handler[Emulation]] = {
    **{("vpc-lattice", op): fn for op, fn in lattice.HANDLERS.items()},
    **{("ram", op): fn for op, fn in ram.HANDLERS.items()},
    **{("ec2", op): fn for op, fn in sn_endpoints.HANDLERS.items()},
    **{("lambda", op): fn for op, fn in lambda_invokes.HANDLERS.items()},
}


def _ec2_transformers() -> dict[str, Any]:
    return moto_compat.ec2_response_transformers()


class Emulation:
    """All state the emulation adds to moto, guarded by one lock."""

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        settle: timedelta = timedelta(seconds=0.2),
        delays: Delays | None = None,
    ) -> None:
        self.region = region
        self.settle = settle
        self.delays = delays or Delays()
        self.clock = Clock()
        self.lock = threading.RLock()
        self.call_log: list[tuple[str, str, str]] = []
        self.events: list[dict[str, Any]] = []
        # asynchronous Lambda invocations, for whoever runs the functions (lambda_invokes.py)
        self.invocations: list[lambda_invokes.Invocation] = []
        self.drop_events = False
        self.faults = Faults()
        self.lattice = lattice.LatticeStore()
        self.ram = ram.RamStore(self)
        self.endpoints = ec2_endpoints.EndpointStore()
        self.datapath = DataPath(self)
        self.org_accounts: set[str] = set()
        self.org_sharing = False
        self._internal = threading.local()

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """Calls the emulation makes for itself (e.g. AssumeRole for a session) stay out of the call log."""
        self._internal.active = True
        try:
            yield
        finally:
            self._internal.active = False

    # -- organization switch ----------------------------------------------------------------------

    def set_organization_sharing(self, accounts: list[str], *, enabled: bool = True) -> None:
        """Put ``accounts`` in one organization with RAM organization sharing on (or off)."""
        with self.lock:
            self.org_accounts = set(accounts)
            self.org_sharing = enabled

    def same_org(self, a: str, b: str) -> bool:
        return self.org_sharing and a in self.org_accounts and b in self.org_accounts

    # -- domain verification switch ---------------------------------------------------------------

    def verify_domain(self, verification_id: str) -> None:
        """The TXT record of domain verification ``verification_id`` (``dv-…``) is published: the verification
        and every configuration naming it read ``VERIFIED`` (AWS: once VPC Lattice finds the record; the
        emulation has no public DNS to look in)."""
        with self.lock:
            verification = self.lattice.domain_verifications.get(verification_id)
            if verification is None:
                raise KeyError(f"no domain verification {verification_id}")
            verification.status = "VERIFIED"
            verification.last_verified = verification.updated_at = self.clock.now()
        self.datapath.refresh()

    # -- housekeeping -----------------------------------------------------------------------------

    def next_change(self) -> datetime | None:
        """The next time the emulation changes state by itself with an effect someone can see at once (an
        accept completing, with its event; an invitation expiring): for a poller that skips idle time."""
        return self.ram._due

    def sweep(self) -> None:
        with self.lock:
            self.ram.sweep()
            lattice.purge(self)
            ec2_endpoints.purge(self)

    # -- the front door ---------------------------------------------------------------------------

    def handle(self, request: Request) -> Response | None:
        """Answer ``request`` (or inject a fault), or return None to let moto answer it."""
        ident = identify(request)
        if ident is None:
            return None
        operation = ident.operation or "Unknown"
        internal = getattr(self._internal, "active", False) or INTERNAL_HEADER in request.headers
        if not internal:
            with self.lock:
                self.call_log.append((ident.account, ident.service, operation))
        self.sweep()
        if ident.operation is None:
            return None
        rule = self.faults.decide(ident.account, ident.service, operation)
        if rule is not None:
            if rule.kind == "hang":
                time.sleep(rule.hang_seconds)
            else:
                return serialize(
                    request,
                    ident.service,
                    operation,
                    fault_error(ident.service, rule.kind),
                    request_id="fault",
                )
        handler = HANDLERS.get((ident.service, operation))
        if handler is None:
            return None
        call = Call(ident.account, ident.region, ident.service, operation)
        transformers = _ec2_transformers() if ident.service == "ec2" else None
        try:
            call.params = parse_params(request, ident.service, operation, ident.uri_params)
            with self.lock:
                result = handler(self, call)
        except AwsError as err:
            return serialize(request, ident.service, operation, err, request_id=call.request_id)
        if result is None:
            return None
        if isinstance(result, tuple):  # a raw answer (Lambda's 202 with no body)
            return result
        return serialize(
            request, ident.service, operation, result, request_id=call.request_id, transformers=transformers
        )
