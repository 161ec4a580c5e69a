"""Domain verifications: Start/Get/List/Delete DomainVerification, and the status a resource configuration
reads back for the verification it names.

AWS: a verification starts ``PENDING`` with a TXT record to publish (``txtMethodConfig {name, value}``;
botocore vpc-lattice model, ``StartDomainVerification``, ``GetDomainVerification``); it becomes ``VERIFIED``
once VPC Lattice finds the record, or ``VERIFICATION_TIMED_OUT`` (model enum ``VerificationStatus``). A
configuration created with ``domainVerificationIdentifier`` reads back ``domainVerificationId``,
``domainVerificationArn`` and ``domainVerificationStatus`` ``PENDING`` while the record is not published
(terraform-provider-aws ``TestAccVPCLatticeResourceConfiguration_domainVerification``, run against AWS).

The emulation has no public DNS to find a TXT record in: a verification stays ``PENDING`` until the test or
demo says the record is published (``Emulation.verify_domain``). UNVERIFIED, emulation choices: the TXT
record's name and value format, how long AWS takes, when it times out (never here), and that a configuration
naming an unknown verification is refused with ``ResourceNotFoundException``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..errors import lattice_not_found, lattice_validation
from .common import idempotent, new_resource, page_of, remember
from .store import DOMAIN, DomainVerification

if TYPE_CHECKING:
    from ..context import EmulationContext
    from ..dispatch import Call

# the model's pattern of domainVerificationIdentifier (an id, or the verification's ARN)
VERIFICATION_ID = re.compile(
    r"^(?:(dv-[0-9a-z]{17})|arn:[a-z0-9-]+:vpc-lattice:([a-zA-Z0-9-]+):(\d{12}):domainverification/(dv-[a-fA-F0-9]{17}))$"
)


def _view(dv: DomainVerification) -> dict[str, Any]:
    return {
        "id": dv.id,
        "arn": dv.arn,
        "domainName": dv.domain_name,
        "status": dv.status,
        "txtMethodConfig": dv.txt_record(),
        "createdAt": dv.created_at,
        "lastVerifiedTime": dv.last_verified,
        "tags": dv.tags,
    }


def find_verification(
    emu: EmulationContext, account: str, region: str, identifier: str
) -> DomainVerification:
    """The caller's verification named by id or ARN; ResourceNotFoundException otherwise."""
    match = VERIFICATION_ID.match(identifier or "")
    if not match:
        raise lattice_validation(
            f"Invalid domain verification identifier {identifier}", "fieldValidationFailed"
        )
    dv = emu.lattice.domain_verifications.get(match.group(1) or match.group(4) or "")
    if dv is None or dv.account != account or dv.region != region:
        raise lattice_not_found(identifier, "DOMAIN_VERIFICATION")
    if match.group(3) and (match.group(3) != account or match.group(2) != region):
        raise lattice_not_found(identifier, "DOMAIN_VERIFICATION")
    return dv


def verification_of(emu: EmulationContext, verification_id: str | None) -> DomainVerification | None:
    """The verification a configuration names (None when it names none, or it was deleted)."""
    if not verification_id:
        return None
    return emu.lattice.domain_verifications.get(verification_id)


def start_domain_verification(emu: EmulationContext, call: Call) -> dict[str, Any]:
    existing = idempotent(emu, call, "domainverification", emu.lattice.domain_verifications.get)
    if existing is None:
        domain = call.params.get("domainName", "")
        if not DOMAIN.match(domain):
            raise lattice_validation(f"Invalid domain name {domain!r}", "fieldValidationFailed")
        existing = DomainVerification(
            **new_resource(emu, call, "dv-", "domainverification"), domain_name=domain.rstrip(".").lower()
        )
        emu.lattice.domain_verifications[existing.id] = existing
        remember(emu, call, "domainverification", existing.id)
    view = _view(existing)
    return {k: view[k] for k in ("id", "arn", "domainName", "status", "txtMethodConfig")}


def get_domain_verification(emu: EmulationContext, call: Call) -> dict[str, Any]:
    dv = find_verification(emu, call.account, call.region, call.params["domainVerificationIdentifier"])
    return _view(dv)


def list_domain_verifications(emu: EmulationContext, call: Call) -> dict[str, Any]:
    mine = [
        dv
        for dv in emu.lattice.domain_verifications.values()
        if dv.account == call.account and dv.region == call.region
    ]
    page, token = page_of(call, mine, "ListDomainVerifications")
    return {"items": [_view(dv) for dv in page], "nextToken": token}


def delete_domain_verification(emu: EmulationContext, call: Call) -> dict[str, Any]:
    dv = find_verification(emu, call.account, call.region, call.params["domainVerificationIdentifier"])
    del emu.lattice.domain_verifications[dv.id]
    emu.datapath.refresh()
    return {}
