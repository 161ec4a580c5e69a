"""Issue 3 Done-when: provider shares, consumer accepts and connects through an endpoint; unshare cuts it."""

from __future__ import annotations

import socket

import pytest

from .conftest import association_dns_name, http_get, make_provider, make_vpc, new_account


def test_cross_account_share_accept_endpoint_traffic_and_unshare(aws_any, target):
    aws = aws_any
    provider = make_provider(aws)
    consumer = new_account()
    prov_ram = aws.session(provider.account).client("ram")
    share = prov_ram.create_resource_share(
        name="hello-share", resourceArns=[provider.configuration["arn"]], principals=[consumer]
    )["resourceShare"]

    ram = aws.session(consumer).client("ram")
    invitations = ram.get_resource_share_invitations()["resourceShareInvitations"]
    assert [i["status"] for i in invitations] == ["PENDING"]
    assert invitations[0]["senderAccountId"] == provider.account
    arn = invitations[0]["resourceShareInvitationArn"]
    pending = ram.list_pending_invitation_resources(resourceShareInvitationArn=arn)["resources"]
    assert [r["arn"] for r in pending] == [provider.configuration["arn"]]
    assert ram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"] == []

    accepted = ram.accept_resource_share_invitation(resourceShareInvitationArn=arn, clientToken="tok-1")
    assert accepted["resourceShareInvitation"]["status"] == "ACCEPTED"
    # asynchronous, like RAM: the share is not visible until the accept completes
    assert ram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"] == []
    aws.clock.advance(seconds=30)
    resources = ram.list_resources(
        resourceOwner="OTHER-ACCOUNTS", resourceType="vpc-lattice:ResourceConfiguration"
    )["resources"]
    assert [r["arn"] for r in resources] == [provider.configuration["arn"]]

    cons = aws.session(consumer)
    vpc_id, subnets = make_vpc(cons, "10.1.0.0/16")
    ec2 = cons.client("ec2")
    endpoint = ec2.create_vpc_endpoint(
        VpcEndpointType="Resource",
        VpcId=vpc_id,
        SubnetIds=subnets,
        ResourceConfigurationArn=provider.configuration["arn"],
        PrivateDnsEnabled=False,
        ClientToken="create-1",
        TagSpecifications=[
            {"ResourceType": "vpc-endpoint", "Tags": [{"Key": "linkpilot:managed", "Value": "true"}]}
        ],
    )["VpcEndpoint"]
    assert endpoint["State"].lower() == "pending"
    assert endpoint["ResourceConfigurationArn"] == provider.configuration["arn"]
    assert "DnsEntries" not in endpoint or endpoint["DnsEntries"] == []
    dns_name = association_dns_name(ec2, endpoint["VpcEndpointId"])
    with pytest.raises(socket.gaierror):
        aws.resolve(dns_name)  # not available yet
    aws.clock.advance(seconds=1)
    described = ec2.describe_vpc_endpoints(Filters=[{"Name": "tag:linkpilot:managed", "Values": ["true"]}])
    assert [e["State"].lower() for e in described["VpcEndpoints"]] == ["available"]

    aws.map_target("hello.internal.example", 8080, ("127.0.0.1", target.port))
    ip = aws.resolve(dns_name)
    assert ip.startswith("127.") and ip != "127.0.0.1"
    reply = http_get(ip, 8080, dns_name)
    assert reply.startswith(b"HTTP/1.1 200 OK\n")
    assert reply.endswith(b"Hello, World!")
    assert target.hosts[-1] == dns_name

    prov_ram.disassociate_resource_share(resourceShareArn=share["resourceShareArn"], principals=[consumer])
    assert ram.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"] == []
    assert ram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"] == []
    assert http_get(ip, 8080, dns_name) == b""  # the endpoint no longer carries traffic
    assoc = ec2.describe_vpc_endpoint_associations(VpcEndpointIds=[endpoint["VpcEndpointId"]])
    assert assoc["VpcEndpointAssociations"][0]["AssociatedResourceAccessibility"] == "Inaccessible"
