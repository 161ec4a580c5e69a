"""RAM across accounts through boto3: shares, invitations, the consumer's view, events."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of, make_provider, new_account

RC_TYPE = "vpc-lattice:ResourceConfiguration"


def _share(aws, provider, principals, **kwargs):
    return (
        aws.session(provider.account)
        .client("ram")
        .create_resource_share(
            name=kwargs.pop("name", "hello-share"),
            resourceArns=[provider.configuration["arn"]],
            principals=principals,
            **kwargs,
        )["resourceShare"]
    )


def _invitation(aws, consumer, share_arn):
    invs = aws.session(consumer).client("ram").get_resource_share_invitations(resourceShareArns=[share_arn])
    return invs["resourceShareInvitations"][0]


def test_invitation_pagination_and_filters(aws_any):
    provider = make_provider(aws_any)
    consumer = new_account()
    shares = [_share(aws_any, provider, [consumer], name=f"share-{i}") for i in range(3)]
    ram = aws_any.session(consumer).client("ram")
    first = ram.get_resource_share_invitations(maxResults=2)
    assert len(first["resourceShareInvitations"]) == 2 and first["nextToken"]
    second = ram.get_resource_share_invitations(maxResults=2, nextToken=first["nextToken"])
    assert len(second["resourceShareInvitations"]) == 1 and "nextToken" not in second
    seen = {
        i["resourceShareArn"] for i in first["resourceShareInvitations"] + second["resourceShareInvitations"]
    }
    assert seen == {s["resourceShareArn"] for s in shares}
    inv = first["resourceShareInvitations"][0]
    assert inv["receiverAccountId"] == consumer and inv["status"] == "PENDING"
    assert inv["resourceShareInvitationArn"].startswith(
        f"arn:aws:ram:us-east-1:{provider.account}:resource-share-invitation/"
    )
    by_arn = ram.get_resource_share_invitations(
        resourceShareInvitationArns=[inv["resourceShareInvitationArn"]]
    )
    assert [i["resourceShareArn"] for i in by_arn["resourceShareInvitations"]] == [inv["resourceShareArn"]]
    # the provider receives no invitation, and a third account sees nothing
    assert (
        aws_any.session(provider.account)
        .client("ram")
        .get_resource_share_invitations()["resourceShareInvitations"]
        == []
    )
    for kwargs, expected in [
        ({"nextToken": "bogus"}, "InvalidNextTokenException"),
        ({"maxResults": 501}, "InvalidMaxResultsException"),
        ({"resourceShareInvitationArns": ["not-an-arn"]}, "MalformedArnException"),
        (
            {"resourceShareInvitationArns": [inv["resourceShareInvitationArn"][:-12] + "000000000000"]},
            "ResourceShareInvitationArnNotFoundException",
        ),
    ]:
        with pytest.raises(ClientError) as exc:
            ram.get_resource_share_invitations(**kwargs)
        assert error_of(exc)[0] == expected, kwargs
    with pytest.raises(ClientError) as exc:
        aws_any.session(new_account()).client("ram").get_resource_share_invitations(
            resourceShareInvitationArns=[inv["resourceShareInvitationArn"]]
        )
    assert error_of(exc)[0] == "ResourceShareInvitationArnNotFoundException"


def test_accept_client_token_semantics(aws_any):
    provider = make_provider(aws_any)
    consumer = new_account()
    share = _share(aws_any, provider, [consumer])
    ram = aws_any.session(consumer).client("ram")
    arn = _invitation(aws_any, consumer, share["resourceShareArn"])["resourceShareInvitationArn"]
    first = ram.accept_resource_share_invitation(resourceShareInvitationArn=arn, clientToken="accept-A")
    assert first["resourceShareInvitation"]["status"] == "ACCEPTED" and first["clientToken"] == "accept-A"
    again = ram.accept_resource_share_invitation(resourceShareInvitationArn=arn, clientToken="accept-A")
    assert again["resourceShareInvitation"]["status"] == "ACCEPTED"  # same token: the same success
    with pytest.raises(ClientError) as exc:
        ram.accept_resource_share_invitation(resourceShareInvitationArn=arn, clientToken="accept-B")
    assert error_of(exc) == ("ResourceShareInvitationAlreadyAcceptedException", 400)
    with pytest.raises(ClientError) as exc:
        ram.reject_resource_share_invitation(resourceShareInvitationArn=arn, clientToken="accept-A")
    assert error_of(exc) == ("IdempotentParameterMismatchException", 400)
    with pytest.raises(ClientError) as exc:
        ram.reject_resource_share_invitation(resourceShareInvitationArn=arn, clientToken="reject-A")
    assert error_of(exc)[0] == "ResourceShareInvitationAlreadyAcceptedException"
    aws_any.clock.advance(seconds=30)  # RAM completes the accept asynchronously
    shares = ram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]
    assert [s["resourceShareArn"] for s in shares] == [share["resourceShareArn"]]
    assert shares[0]["owningAccountId"] == provider.account
    prov = aws_any.session(provider.account).client("ram")
    assoc = prov.get_resource_share_associations(associationType="PRINCIPAL", principal=consumer)
    assert [a["status"] for a in assoc["resourceShareAssociations"]] == ["ASSOCIATED"]
    principals = prov.list_principals(resourceOwner="SELF")["principals"]
    assert [p["id"] for p in principals] == [consumer] and principals[0]["external"] is True
    owners = ram.list_principals(resourceOwner="OTHER-ACCOUNTS")["principals"]
    assert [p["id"] for p in owners] == [provider.account]


def test_reject_gives_no_access(aws_any):
    provider = make_provider(aws_any)
    consumer = new_account()
    share = _share(aws_any, provider, [consumer])
    ram = aws_any.session(consumer).client("ram")
    arn = _invitation(aws_any, consumer, share["resourceShareArn"])["resourceShareInvitationArn"]
    rejected = ram.reject_resource_share_invitation(resourceShareInvitationArn=arn, clientToken="r-1")
    assert rejected["resourceShareInvitation"]["status"] == "REJECTED"
    for call in (ram.accept_resource_share_invitation, ram.reject_resource_share_invitation):
        with pytest.raises(ClientError) as exc:
            call(resourceShareInvitationArn=arn, clientToken="other")
        assert error_of(exc)[0] == "ResourceShareInvitationAlreadyRejectedException"
    with pytest.raises(ClientError) as exc:
        ram.list_pending_invitation_resources(resourceShareInvitationArn=arn)
    assert error_of(exc)[0] == "ResourceShareInvitationAlreadyRejectedException"
    assert ram.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"] == []
    prov = aws_any.session(provider.account).client("ram")
    assoc = prov.get_resource_share_associations(associationType="PRINCIPAL")["resourceShareAssociations"]
    assert [(a["associatedEntity"], a["status"]) for a in assoc] == [(consumer, "FAILED")]


def test_invitation_expires_after_12_hours_and_reshare_invites_again(aws_any):
    provider = make_provider(aws_any)
    consumer = new_account()
    share = _share(aws_any, provider, [consumer])
    ram = aws_any.session(consumer).client("ram")
    arn = _invitation(aws_any, consumer, share["resourceShareArn"])["resourceShareInvitationArn"]
    aws_any.clock.advance(hours=11, minutes=59)
    assert _invitation(aws_any, consumer, share["resourceShareArn"])["status"] == "PENDING"
    aws_any.clock.advance(minutes=2)
    assert _invitation(aws_any, consumer, share["resourceShareArn"])["status"] == "EXPIRED"
    with pytest.raises(ClientError) as exc:
        ram.accept_resource_share_invitation(resourceShareInvitationArn=arn, clientToken="late")
    assert error_of(exc) == ("ResourceShareInvitationExpiredException", 400)
    with pytest.raises(ClientError) as exc:
        ram.list_pending_invitation_resources(resourceShareInvitationArn=arn)
    assert error_of(exc)[0] == "ResourceShareInvitationExpiredException"
    prov = aws_any.session(provider.account).client("ram")
    prov.associate_resource_share(resourceShareArn=share["resourceShareArn"], principals=[consumer])
    statuses = sorted(
        i["status"]
        for i in ram.get_resource_share_invitations(resourceShareArns=[share["resourceShareArn"]])[
            "resourceShareInvitations"
        ]
    )
    assert statuses == ["EXPIRED", "PENDING"]
    aws_any.clock.advance(days=8)  # finished invitations are purged after about 7 days
    remaining = ram.get_resource_share_invitations(resourceShareArns=[share["resourceShareArn"]])
    assert [i["status"] for i in remaining["resourceShareInvitations"]] == []


def test_accept_reject_errors(aws_any):
    provider = make_provider(aws_any)
    consumer = new_account()
    share = _share(aws_any, provider, [consumer])
    arn = _invitation(aws_any, consumer, share["resourceShareArn"])["resourceShareInvitationArn"]
    ram = aws_any.session(consumer).client("ram")
    cases = [
        ("arn:aws:ram:us-east-1:123:nope", "MalformedArnException"),
        (arn[:-12] + "000000000000", "ResourceShareInvitationArnNotFoundException"),
    ]
    for bad, expected in cases:
        for call in (
            ram.accept_resource_share_invitation,
            ram.reject_resource_share_invitation,
        ):
            with pytest.raises(ClientError) as exc:
                call(resourceShareInvitationArn=bad, clientToken="x")
            assert error_of(exc)[0] == expected
        with pytest.raises(ClientError) as exc:
            ram.list_pending_invitation_resources(resourceShareInvitationArn=bad)
        assert error_of(exc)[0] == expected
    # the sender cannot accept its own invitation: for the provider it does not exist
    with pytest.raises(ClientError) as exc:
        aws_any.session(provider.account).client("ram").accept_resource_share_invitation(
            resourceShareInvitationArn=arn, clientToken="x"
        )
    assert error_of(exc)[0] == "ResourceShareInvitationArnNotFoundException"
    with pytest.raises(ClientError) as exc:
        ram.accept_resource_share_invitation(resourceShareInvitationArn=arn, clientToken="x" * 65)
    assert error_of(exc)[0] == "InvalidClientTokenException"
    assert _invitation(aws_any, consumer, share["resourceShareArn"])["status"] == "PENDING"


def test_share_validation_leaves_nothing_half_created(aws_any):
    provider = make_provider(aws_any)
    prov = aws_any.session(provider.account).client("ram")
    cfg_arn = provider.configuration["arn"]
    unknown_cfg = cfg_arn[:-17] + "0123456789abcdef0"
    cases = [
        ({"resourceArns": ["not-an-arn"], "principals": [new_account()]}, "MalformedArnException"),
        (
            {"resourceArns": [f"arn:aws:ec2:us-east-1:{provider.account}:subnet/subnet-1"], "principals": []},
            "MalformedArnException",
        ),
        ({"resourceArns": [unknown_cfg], "principals": [new_account()]}, "UnknownResourceException"),
        ({"resourceArns": [cfg_arn], "principals": ["12345"]}, "InvalidParameterException"),
        ({"resourceArns": [cfg_arn], "principals": [provider.account]}, "InvalidParameterException"),
        (
            {"resourceArns": [cfg_arn], "principals": [new_account()], "allowExternalPrincipals": False},
            "OperationNotPermittedException",
        ),
    ]
    for kwargs, expected in cases:
        with pytest.raises(ClientError) as exc:
            prov.create_resource_share(name="bad", **kwargs)
        assert error_of(exc)[0] == expected, kwargs
    assert prov.get_resource_shares(resourceOwner="SELF")["resourceShares"] == []
    # another account cannot share the provider's configuration
    with pytest.raises(ClientError) as exc:
        aws_any.session(new_account()).client("ram").create_resource_share(
            name="steal", resourceArns=[cfg_arn]
        )
    assert error_of(exc)[0] == "UnknownResourceException"
    for kwargs, expected in [
        ({"resourceOwner": "EVERYONE"}, "InvalidParameterException"),
        ({"resourceOwner": "SELF", "resourceShareArns": ["bad"]}, "MalformedArnException"),
        ({"resourceOwner": "SELF", "nextToken": "bad"}, "InvalidNextTokenException"),
    ]:
        with pytest.raises(ClientError) as exc:
            prov.get_resource_shares(**kwargs)
        assert error_of(exc)[0] == expected
    with pytest.raises(ClientError) as exc:
        prov.list_resources(resourceOwner="OTHER-ACCOUNTS", resourceType="vpc-lattice:Nonsense")
    assert error_of(exc)[0] == "InvalidResourceTypeException"
    with pytest.raises(ClientError) as exc:
        unknown_share = f"arn:aws:ram:us-east-1:{provider.account}:resource-share/{uuid.UUID(int=0)}"
        prov.delete_resource_share(resourceShareArn=unknown_share)
    assert error_of(exc)[0] == "UnknownResourceException"


def test_organization_sharing_needs_no_invitation(aws_any):
    provider = make_provider(aws_any)
    consumer = new_account()
    aws_any.set_organization_sharing([provider.account, consumer], enabled=True)
    share = _share(aws_any, provider, [consumer], allowExternalPrincipals=False)
    aws_any.clock.advance(seconds=1)  # RAM associates the configuration asynchronously (ASSOCIATING)
    ram = aws_any.session(consumer).client("ram")
    assert ram.get_resource_share_invitations()["resourceShareInvitations"] == []
    resources = ram.list_resources(resourceOwner="OTHER-ACCOUNTS", resourceType=RC_TYPE)["resources"]
    assert [(r["arn"], r["resourceShareArn"]) for r in resources] == [
        (provider.configuration["arn"], share["resourceShareArn"])
    ]
    other = new_account()
    aws_any.set_organization_sharing([provider.account, other], enabled=False)
    share2 = _share(aws_any, provider, [other], name="outside")
    assert _invitation(aws_any, other, share2["resourceShareArn"])["status"] == "PENDING"


def test_disassociate_and_delete_remove_access(aws_any):
    provider = make_provider(aws_any)
    consumer = new_account()
    share = _share(aws_any, provider, [consumer])
    ram = aws_any.session(consumer).client("ram")
    arn = _invitation(aws_any, consumer, share["resourceShareArn"])["resourceShareInvitationArn"]
    ram.accept_resource_share_invitation(resourceShareInvitationArn=arn, clientToken="a")
    aws_any.clock.advance(seconds=30)
    prov = aws_any.session(provider.account).client("ram")
    out = prov.disassociate_resource_share(
        resourceShareArn=share["resourceShareArn"], resourceArns=[provider.configuration["arn"]]
    )
    assert [a["status"] for a in out["resourceShareAssociations"]] == ["DISASSOCIATING"]
    assert ram.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"] == []
    added = prov.associate_resource_share(
        resourceShareArn=share["resourceShareArn"], resourceArns=[provider.configuration["arn"]]
    )
    assert [a["status"] for a in added["resourceShareAssociations"]] == ["ASSOCIATING"]
    assert ram.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"] == []  # not yet associated
    aws_any.clock.advance(seconds=1)
    assert len(ram.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"]) == 1
    with pytest.raises(ClientError) as exc:
        prov.disassociate_resource_share(
            resourceShareArn=share["resourceShareArn"], principals=[new_account()]
        )
    assert error_of(exc)[0] == "UnknownResourceException"
    assert prov.delete_resource_share(resourceShareArn=share["resourceShareArn"])["returnValue"] is True
    assert ram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"] == []
    assert ram.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"] == []
    mine = prov.get_resource_shares(resourceOwner="SELF", resourceShareStatus="DELETED")["resourceShares"]
    assert [s["status"] for s in mine] == ["DELETED"]
    with pytest.raises(ClientError) as exc:
        prov.associate_resource_share(resourceShareArn=share["resourceShareArn"], principals=[consumer])
    assert error_of(exc)[0] == "InvalidStateTransitionException"


def test_update_and_self_views(aws_any):
    provider = make_provider(aws_any)
    consumer = new_account()
    share = _share(aws_any, provider, [consumer], tags=[{"key": "team", "value": "net"}])
    aws_any.clock.advance(seconds=1)  # the configuration's association completes (ASSOCIATING first)
    prov = aws_any.session(provider.account).client("ram")
    updated = prov.update_resource_share(resourceShareArn=share["resourceShareArn"], name="renamed")
    assert updated["resourceShare"]["name"] == "renamed"
    tagged = prov.get_resource_shares(
        resourceOwner="SELF", tagFilters=[{"tagKey": "team", "tagValues": ["net"]}]
    )
    assert [s["name"] for s in tagged["resourceShares"]] == ["renamed"]
    res = prov.list_resources(resourceOwner="SELF", principal=consumer)["resources"]
    assert [r["type"] for r in res] == [RC_TYPE]
    assoc = prov.get_resource_share_associations(associationType="PRINCIPAL")["resourceShareAssociations"]
    assert [(a["associatedEntity"], a["status"]) for a in assoc] == [(consumer, "ASSOCIATING")]
    with pytest.raises(ClientError) as exc:
        prov.get_resource_share_associations(
            associationType="PRINCIPAL", resourceArn=provider.configuration["arn"]
        )
    assert error_of(exc)[0] == "InvalidParameterException"


def test_ram_events_reach_eventbridge_targets(aws_any):
    provider = make_provider(aws_any)
    consumer = new_account()
    queues = {}
    for account in (provider.account, consumer):
        session = aws_any.session(account)
        sqs = session.client("sqs")
        url = sqs.create_queue(QueueName="ram-events")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events = session.client("events")
        events.put_rule(Name="ram", EventPattern=json.dumps({"source": ["aws.ram"]}))
        events.put_targets(Rule="ram", Targets=[{"Id": "q", "Arn": queue_arn}])
        queues[account] = (sqs, url)
    share = _share(aws_any, provider, [consumer])
    arn = _invitation(aws_any, consumer, share["resourceShareArn"])["resourceShareInvitationArn"]
    aws_any.session(consumer).client("ram").accept_resource_share_invitation(
        resourceShareInvitationArn=arn, clientToken="a"
    )
    aws_any.clock.advance(seconds=30)
    aws_any.session(consumer).client("ram").get_resource_share_invitations()  # the accept completes

    def drain(account):
        sqs, url = queues[account]
        out = []
        while msgs := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for m in msgs:
                out.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return out

    consumer_events = drain(consumer)
    assert {(e["detail"]["event"], e["detail"]["status"]) for e in consumer_events} >= {
        ("Resource Share Invitation", "pending"),
        ("Resource Share Invitation", "accepted"),
        ("Resource Share Association", "associated"),
    }
    for event in consumer_events:
        assert event["source"] == "aws.ram"
        assert event["detail-type"] == "Resource Sharing State Change"
        assert event["account"] == consumer
        assert share["resourceShareArn"] in event["resources"]
    pending = next(e for e in consumer_events if e["detail"]["status"] == "pending")
    assert pending["detail"]["resourceShareInvitationArn"] == arn
    assert pending["detail"]["senderAccountId"] == provider.account
    provider_events = drain(provider.account)
    assert ("Resource Share Invitation", "accepted") in {
        (e["detail"]["event"], e["detail"]["status"]) for e in provider_events
    }
