"""What ``linkpilot acceptance --aws`` makes on the provider side beyond the stack (the TCP and the network's
configurations, the service network, its resource association and its RAM share), their deletes and reads,
and the helpers every delete and wait of the run uses: ``gone`` ("not found" is done) and ``wait_for``.

``SharesAndNetworks`` is a part of ``acceptance_aws.Account`` (its clients, run id and tags)."""

from __future__ import annotations

import contextlib
import time
from typing import Any, Final

from botocore.exceptions import ClientError

from linkpilot_cli.acceptance.plan import TAG_KEY

# "not found" in each service's words (CloudFormation's ValidationError: the stack does not exist; EC2's
# Invalid<Thing>.NotFound codes end with NotFound and are matched so)
GONE: Final = frozenset(
    {"ParameterNotFound", "ResourceNotFoundException", "UnknownResourceException", "ValidationError"}
)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def gone(call: Any) -> None:
    """Runs a delete; "not found" is done, anything else propagates."""
    try:
        call()
    except ClientError as exc:
        if error_code(exc) not in GONE and not error_code(exc).endswith("NotFound"):
            raise


def wait_for(what: str, check: Any, *, timeout_s: float, every_s: float = 15, sleep: Any = None) -> Any:
    """Polls ``check`` until it returns something truthy, sleeping ``every_s`` between tries (``sleep``, else
    ``time.sleep``); ``TimeoutError`` naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not within {timeout_s:.0f} s")
        (sleep or time.sleep)(every_s)


class SharesAndNetworks:
    """The configurations, service network and shares the run makes (a part of ``Account``)."""

    c: Any  # the account's clients (``linkpilot_cli.aws.Clients``)
    run_id: str

    def lattice_tags(self) -> dict[str, str]:
        return {TAG_KEY: self.run_id}

    def make_configuration(self, name: str, ip: str, gateway: str, port: int, *, shareable: bool) -> str:
        """A SINGLE TCP configuration of ``ip:port`` on the stack's gateway, tagged; its ARN."""
        cfg = self.c("vpc-lattice").create_resource_configuration(
            name=f"lp-acc-{self.run_id}-{name}"[:40],
            type="SINGLE",
            protocol="TCP",
            portRanges=[str(port)],
            resourceGatewayIdentifier=gateway,
            resourceConfigurationDefinition={"ipResource": {"ipAddress": ip}},
            allowAssociationToShareableServiceNetwork=shareable,
            tags=self.lattice_tags(),
        )
        return str(cfg["arn"])

    def delete_configuration(self, arn: str) -> None:
        lattice = self.c("vpc-lattice")
        gone(lambda: lattice.delete_resource_configuration(resourceConfigurationIdentifier=arn))

    def add_to_share(self, share: str, arn: str) -> list[str]:
        """The statuses ``AssociateResourceShare`` answers for the resource."""
        answer = self.c("ram").associate_resource_share(resourceShareArn=share, resourceArns=[arn])
        return [str(a["status"]) for a in answer["resourceShareAssociations"]]

    def remove_from_share(self, share: str, *, resource: str = "", principal: str = "") -> None:
        ram = self.c("ram")
        which = {"resourceArns": [resource]} if resource else {"principals": [principal]}
        gone(lambda: ram.disassociate_resource_share(resourceShareArn=share, **which))
        if resource:  # asynchronous: the configuration can be deleted once it is out of the share
            wait_for(
                "the resource out of the share",
                lambda: self.resource_share_status(share, resource) in {"", "DISASSOCIATED"},
                timeout_s=300,
                every_s=10,
            )

    def make_network(self, configuration: str, consumer: str) -> tuple[str, str, str]:
        """A service network holding ``configuration``, shared with ``consumer``: (network ARN, resource
        association id, share ARN), all tagged."""
        lattice = self.c("vpc-lattice")
        network = lattice.create_service_network(name=f"lp-acc-{self.run_id}"[:40], tags=self.lattice_tags())
        association = ""
        try:
            association = str(
                lattice.create_service_network_resource_association(
                    serviceNetworkIdentifier=network["id"],
                    resourceConfigurationIdentifier=configuration,
                    tags=self.lattice_tags(),
                )["id"]
            )
            share = self.c("ram").create_resource_share(
                name=f"linkpilot-acc-{self.run_id}-network",
                resourceArns=[network["arn"]],
                principals=[consumer],
                allowExternalPrincipals=True,
                tags=[{"key": TAG_KEY, "value": self.run_id}],
            )
        except BaseException:  # half made (Ctrl-C too): the teardown knows nothing of it yet, so undo it here
            with contextlib.suppress(Exception):
                self.delete_network(str(network["arn"]), association, "")
            raise
        return str(network["arn"]), association, str(share["resourceShare"]["resourceShareArn"])

    def delete_network(self, network: str, association: str, share: str) -> None:
        """Deletes the share, the resource association and the network; an empty id: never made."""
        lattice = self.c("vpc-lattice")
        if share:
            gone(lambda: self.c("ram").delete_resource_share(resourceShareArn=share))
        if association:
            gone(
                lambda: lattice.delete_service_network_resource_association(
                    serviceNetworkResourceAssociationIdentifier=association
                )
            )
        wait_for(
            "the network's resource association deleted",
            lambda: (
                not lattice.list_service_network_resource_associations(serviceNetworkIdentifier=network)[
                    "items"
                ]
            ),
            timeout_s=600,
        )
        gone(lambda: lattice.delete_service_network(serviceNetworkIdentifier=network))

    def network_dns_entries(self, network: str) -> list[dict[str, Any]]:
        items = self.c("vpc-lattice").list_service_network_resource_associations(
            serviceNetworkIdentifier=network
        )
        return [dict(i.get("dnsEntry") or {}) for i in items.get("items", [])]

    def vpc_associations(self, vpc: str) -> list[dict[str, Any]]:
        found = self.c("vpc-lattice").list_service_network_vpc_associations(vpcIdentifier=vpc)
        return list(found.get("items", []))

    def resource_share_status(self, share: str, resource: str) -> str:
        rows = self.c("ram").get_resource_share_associations(
            associationType="RESOURCE", resourceShareArns=[share], resourceArn=resource
        )["resourceShareAssociations"]
        return str(rows[0]["status"]) if rows else ""
