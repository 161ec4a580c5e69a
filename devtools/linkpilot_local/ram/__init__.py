"""AWS RAM across accounts: shares of resource configurations, invitations, the consumer's view.

moto's RAM keeps shares per owner with no receiving side and refuses vpc-lattice ARNs, so the
share lifecycle operations are answered here; the rest (ListPermissions, ListResourceTypes,
EnableSharingWithAwsOrganization, ...) fall through to moto.

Semantics (see linkpilot_local/README.md for the sources and what is a guess):
- sharing with an account outside the owner's organization (or with organization sharing off)
  puts the principal association in ASSOCIATING and a PENDING invitation in the receiver's
  account; accepting makes it ASSOCIATED, rejecting or expiry (12 h) makes it FAILED;
- inside one organization with organization sharing on there is no invitation: ASSOCIATED at once;
- a receiver sees a share and its resources (GetResourceShares / ListResources with
  resourceOwner=OTHER-ACCOUNTS) only while the share is ACTIVE and its principal association is
  ASSOCIATED; disassociating or deleting removes that at once;
- accepted, rejected and expired invitations are purged 7 days after they stopped being pending.
"""

from .invitations import (
    accept_resource_share_invitation,
    get_resource_share_invitations,
    list_pending_invitation_resources,
    reject_resource_share_invitation,
)
from .reads import get_resource_share_associations, get_resource_shares, list_principals, list_resources
from .shares import (
    associate_resource_share,
    create_resource_share,
    delete_resource_share,
    disassociate_resource_share,
    update_resource_share,
)
from .store import INVITATION_TTL, PURGE_AFTER, Association, Invitation, RamStore, Share

__all__ = ["HANDLERS", "INVITATION_TTL", "PURGE_AFTER", "Association", "Invitation", "RamStore", "Share"]

HANDLERS = {
    "CreateResourceShare": create_resource_share,
    "UpdateResourceShare": update_resource_share,
    "AssociateResourceShare": associate_resource_share,
    "DisassociateResourceShare": disassociate_resource_share,
    "DeleteResourceShare": delete_resource_share,
    "GetResourceShares": get_resource_shares,
    "GetResourceShareAssociations": get_resource_share_associations,
    "ListResources": list_resources,
    "ListPrincipals": list_principals,
    "GetResourceShareInvitations": get_resource_share_invitations,
    "AcceptResourceShareInvitation": accept_resource_share_invitation,
    "RejectResourceShareInvitation": reject_resource_share_invitation,
    "ListPendingInvitationResources": list_pending_invitation_resources,
}
