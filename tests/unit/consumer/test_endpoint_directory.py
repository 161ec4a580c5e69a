"""The endpoint directory: the pure plan (SSM parameters and state-change events), the reconcile's use of it
over fakes, and the SSM and EventBridge adapters' contracts (Stubber)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

import boto3
import pytest
from botocore.stub import Stubber
from consumer_fakes import NOW, TRUSTED, VPC, FakeAccount, client_error, make_policy

from linkpilot.aws.events import EventBridgeEvents
from linkpilot.aws.ssm_directory import SsmEndpointDirectory
from linkpilot.consumer.directory import (
    EVENT_DETAIL_TYPE,
    EVENT_SOURCE,
    PREFIX,
    AssociationRecord,
    directory_digest,
    plan_directory,
    records_from_endpoints,
)
from linkpilot.consumer.memory import ControllerMemory
from linkpilot.consumer.models import (
    CONFIGURATION_TAG,
    MANAGED_TAG,
    SERVICE_NETWORK_TAG,
    Endpoint,
    EndpointAssociation,
)
from linkpilot.consumer.ports import Controller, Ports, RunClock
from linkpilot.consumer.reconcile import reconcile
from linkpilot.errors import Transient
from linkpilot.outcome import Retry

CFG = "arn:aws:vpc-lattice:us-east-1:111111111111:resourceconfiguration/rcfg-07129f3acded87625"
CHILD = "arn:aws:vpc-lattice:us-east-1:111111111111:resourceconfiguration/rcfg-0child00000000001"


def record(**kw: object) -> AssociationRecord:
    base: dict[str, object] = {
        "endpoint_id": "vpce-019b90d6f16d4f958",
        "endpoint_state": "available",
        "configuration_arn": CFG,
        "association_id": "vpce-rsc-asc-0a810ca6ac8866bf9",
        "associated_resource_arn": CFG,
        "dns_name": "vpce-019b90d6f16d4f958.rcfg-07129f3acded87625.4232ccc.vpc-lattice-rsc.us-east-2.on.aws",
        "accessibility": "accessible",
    }
    return AssociationRecord(**(base | kw))  # type: ignore[arg-type]


def detail(event: Mapping[str, str]) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(event["Detail"])
    return loaded


# --- the pure plan ---------------------------------------------------------------------------------------
def test_a_new_association_is_published_and_announced_available() -> None:
    r = record()
    plan = plan_directory([r], {})
    assert list(plan.puts) == [f"{PREFIX}/vpce-019b90d6f16d4f958/vpce-rsc-asc-0a810ca6ac8866bf9"]
    value = json.loads(plan.puts[r.parameter])
    assert value["dns_name"] == r.dns_name and value["state"] == "available"
    assert value["accessibility"] == "accessible" and value["resource_configuration_arn"] == CFG
    (event,) = plan.events
    entry = event.entry()
    assert entry["Source"] == EVENT_SOURCE and entry["DetailType"] == EVENT_DETAIL_TYPE
    body = detail(entry)
    assert (body["state"], body["previous_state"], body["endpoint_id"]) == ("available", "", r.endpoint_id)
    assert body["parameter"] == r.parameter and body["dns_name"] == r.dns_name
    assert plan.deletes == ()


def test_an_unchanged_directory_writes_nothing() -> None:
    r = record()
    assert plan_directory([r], {r.parameter: r.value()}).empty


def test_a_changed_name_is_rewritten_without_an_event() -> None:
    r = record()
    plan = plan_directory([replace(r, private_dns_name="db.provider.example")], {r.parameter: r.value()})
    assert list(plan.puts) == [r.parameter] and plan.events == ()


def test_an_inaccessible_association_is_degraded_then_available_again() -> None:
    r = record()
    down = replace(r, accessibility="inaccessible")
    plan = plan_directory([down], {r.parameter: r.value()})
    assert [(e.state, e.previous) for e in plan.events] == [("degraded", "available")]
    back = plan_directory([r], {r.parameter: down.value()})
    assert [(e.state, e.previous) for e in back.events] == [("available", "degraded")]


def test_a_failed_endpoint_is_degraded_and_a_pending_one_is_not_published() -> None:
    assert record(endpoint_state="failed").state == "degraded"
    pending = record(endpoint_state="pending")
    assert plan_directory([pending], {}).empty
    # a pending endpoint's old parameter stays (it is not gone)
    assert plan_directory([pending], {pending.parameter: record().value()}).empty


def test_a_removed_association_is_deleted_and_announced_gone() -> None:
    r = record()
    plan = plan_directory([], {r.parameter: r.value(), "/linkpilot/endpointsX/other": "x"})
    assert plan.deletes == (r.parameter,)
    assert [(e.state, e.previous, e.detail["endpoint_id"]) for e in plan.events] == [
        ("gone", "available", r.endpoint_id)
    ]


def test_only_what_the_directory_wrote_is_deleted() -> None:
    """Issue 22.2: pruning never touches a parameter the directory did not write, whatever its name."""
    stale = record()
    policy = json.dumps({"trusted_accounts": [TRUSTED], "endpoint": {"vpc_id": VPC}})
    legacy = json.loads(record(endpoint_id="vpce-0legacy000000001", association_id="vpce-rsc-asc-2").value())
    del legacy["service_network_arn"]  # written before that key existed: still the directory's
    rowless = record(endpoint_id="vpce-0rowless00000001", association_id="")
    unnamed = record(endpoint_id="vpce-0unnamed00000001", association_id="", associated_resource_arn="")
    legacy_name = f"{PREFIX}/vpce-0legacy000000001/vpce-rsc-asc-2"
    published = {
        stale.parameter: stale.value(),
        legacy_name: json.dumps(legacy, sort_keys=True),
        rowless.parameter: rowless.value(),
        unnamed.parameter: unnamed.value(),
        # not the directory's:
        f"{PREFIX}/policy": policy,  # a stack named "endpoints" under the old naming
        f"{PREFIX}/vpce-0aaaaaaaaaaaaaaaa/readme": json.dumps({"owner": "team-db"}),
        f"{PREFIX}/vpce-0aaaaaaaaaaaaaaaa/x/y": stale.value(),  # three segments
        # a record's value under a name its ids do not give
        f"{PREFIX}/vpce-0other00000000001/vpce-rsc-asc-0a810ca6ac8866bf9": stale.value(),
        f"{PREFIX}/vpce-019b90d6f16d4f958/vpce-rsc-asc-other": stale.value(),
        f"{PREFIX}/vpce-019b90d6f16d4f958/extra": json.dumps({**json.loads(stale.value()), "extra": "x"}),
        f"{PREFIX}/vpce-019b90d6f16d4f958/number": json.dumps({**json.loads(stale.value()), "state": 1}),
        "/linkpilot/stacks/endpoints/policy": policy,  # outside the prefix
        "/linkpilot/endpointsX/other": stale.value(),
    }
    plan = plan_directory([], published)
    assert plan.deletes == tuple(sorted([stale.parameter, legacy_name, rowless.parameter, unnamed.parameter]))
    assert unnamed.parameter.endswith("/endpoint") and rowless.parameter.endswith("/rcfg-07129f3acded87625")
    assert {e.parameter for e in plan.events} == set(plan.deletes)
    assert set(plan.left_alone) == {n for n in published if n.startswith(PREFIX + "/")} - set(plan.deletes)


def test_the_ssm_adapter_refuses_names_outside_the_directory(
    ssm: tuple[SsmEndpointDirectory, Stubber],
) -> None:
    adapter, _stub = ssm  # no response queued: any call would fail the test
    for name in (
        "/linkpilot/stacks/lp/policy",
        PREFIX,
        f"{PREFIX}X/a",
        f"{PREFIX}/../stacks/p",
        f"{PREFIX}//a",
    ):
        with pytest.raises(ValueError, match="outside the endpoint directory"):
            adapter.delete(name)
        with pytest.raises(ValueError, match="outside the endpoint directory"):
            adapter.put(name, "{}")


def test_group_children_get_one_parameter_each() -> None:
    a = record(association_id="vpce-rsc-asc-1", associated_resource_arn=CHILD, group_arn=CFG)
    b = record(association_id="vpce-rsc-asc-2", associated_resource_arn=CFG + "2", group_arn=CFG)
    plan = plan_directory([a, b], {})
    assert len(plan.puts) == 2 and len(plan.events) == 2
    assert json.loads(plan.puts[a.parameter])["group_arn"] == CFG


def test_without_an_association_id_the_configuration_names_the_parameter() -> None:
    r = record(association_id="")
    assert r.parameter == f"{PREFIX}/vpce-019b90d6f16d4f958/rcfg-07129f3acded87625"


def test_digest_follows_content() -> None:
    r = record()
    assert directory_digest([r]) == directory_digest([replace(r)])
    assert directory_digest([r]) != directory_digest([replace(r, accessibility="inaccessible")])


def test_records_skip_unmanaged_deleted_and_deleting_endpoints() -> None:
    tags = {MANAGED_TAG: "true", CONFIGURATION_TAG: CFG}
    endpoints = [
        Endpoint("vpce-1", VPC, "available", CFG, tags, associations=(row("vpce-1", "a.on.aws"),)),
        Endpoint("vpce-2", VPC, "deleting", CFG, tags),
        Endpoint("vpce-3", VPC, "available", CFG, {}),
        Endpoint("vpce-4", VPC, "available", CFG, tags),
    ]
    records = records_from_endpoints(endpoints, without=["vpce-4"])
    assert [(r.endpoint_id, r.dns_name) for r in records] == [("vpce-1", "a.on.aws")]


def row(endpoint_id: str, dns_name: str, **fields: str) -> EndpointAssociation:
    return EndpointAssociation(
        association_id=f"vpce-rsc-asc-{endpoint_id[5:]}",
        endpoint_id=endpoint_id,
        associated_resource_arn=CFG,
        dns_name=dns_name,
        accessibility="accessible",
        **fields,
    )


def test_an_endpoint_without_association_rows_is_published_under_its_configuration() -> None:
    """No rows read (none listed yet): one record named by the configuration id, no names, accessibility
    unknown (published as such, so the state stays ``available`` only by the endpoint's own state)."""
    tags = {MANAGED_TAG: "true", CONFIGURATION_TAG: CFG}
    (record,) = records_from_endpoints([Endpoint("vpce-1", VPC, "available", CFG, tags)])
    assert record.parameter == f"{PREFIX}/vpce-1/{CFG.rsplit('/', 1)[-1]}"
    assert (record.dns_name, record.accessibility, record.state) == ("", "", "available")
    assert '"accessibility":"unknown"' in record.value()


NETWORK = "arn:aws:vpc-lattice:us-east-1:111111111111:servicenetwork/sn-0a1b2c3d4e5f60718"
GROUP = "arn:aws:vpc-lattice:us-east-1:111111111111:resourceconfiguration/rcfg-0group0000000001"


def test_a_service_network_endpoint_row_names_the_configuration_it_reaches() -> None:
    """A ServiceNetwork endpoint's managed ARN is the network's: each row's record names the configuration
    the row reaches (a GROUP's child: the group) and the network, one parameter per row; without rows, the
    one record names the network only (no configuration is claimed)."""
    tags = {MANAGED_TAG: "true", SERVICE_NETWORK_TAG: NETWORK}
    rows = (
        replace(row("vpce-1", "a.on.aws"), association_id="vpce-rsc-asc-1"),
        replace(
            row("vpce-1", "b.on.aws"),
            association_id="vpce-rsc-asc-2",
            associated_resource_arn=CHILD,
            group_arn=GROUP,
        ),
    )
    served = Endpoint("vpce-1", VPC, "available", "", tags, associations=rows, service_network_arn=NETWORK)
    records = records_from_endpoints([served])
    assert [(r.parameter, r.configuration_arn, r.service_network_arn) for r in records] == [
        (f"{PREFIX}/vpce-1/vpce-rsc-asc-1", CFG, NETWORK),
        (f"{PREFIX}/vpce-1/vpce-rsc-asc-2", GROUP, NETWORK),
    ]
    value = json.loads(records[1].value())
    assert (value["resource_configuration_arn"], value["associated_resource_arn"]) == (GROUP, CHILD)
    assert value["service_network_arn"] == NETWORK

    (bare,) = records_from_endpoints([replace(served, associations=())])
    assert bare.parameter == f"{PREFIX}/vpce-1/{NETWORK.rsplit('/', 1)[-1]}"
    value = json.loads(bare.value())
    assert (value["resource_configuration_arn"], value["service_network_arn"]) == ("", NETWORK)
    assert value["associated_resource_arn"] == NETWORK
    assert json.loads(record().value())["service_network_arn"] == ""


# --- the reconcile over fakes ----------------------------------------------------------------------------
class FakeDirectory:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.calls: list[str] = []
        self.fail_put = False

    def published(self) -> dict[str, str]:
        self.calls.append("published")
        return dict(self.values)

    def put(self, name: str, value: str) -> None:
        self.calls.append("put")
        if self.fail_put:
            raise client_error("ThrottlingException")
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.calls.append("delete")
        self.values.pop(name, None)


class FakeEvents:
    def __init__(self, log: list[str]) -> None:
        self.sent: list[Mapping[str, str]] = []
        self._log = log

    def put(self, entries: Sequence[Mapping[str, str]]) -> None:
        self._log.append("events")
        self.sent.extend(entries)


@pytest.fixture
def directory() -> FakeDirectory:
    return FakeDirectory()


@pytest.fixture
def wired(account: FakeAccount, directory: FakeDirectory) -> tuple[Controller, FakeEvents]:
    events = FakeEvents(directory.calls)
    return Controller(
        Ports(ram=account, ec2=account, memory=ControllerMemory(), directory=directory, events=events),
        clock=RunClock(lambda: NOW),
    ), events


def test_reconcile_publishes_available_endpoints_and_removes_deleted_ones(account, directory, wired):  # type: ignore[no-untyped-def]
    controller, events = wired
    policy = make_policy(unshare_grace_minutes=0)  # the unshared endpoint goes in the next run
    share = account.invite(TRUSTED, 1)
    reconcile(policy, controller)  # accepts; the endpoint waits until RAM lists the share
    account.settle()
    first = reconcile(policy, controller)
    assert [r.action.kind.value for r in first.results] == ["create-endpoint"]
    assert directory.values == {} and first.directory.status == "unchanged"  # pending: not published yet
    account.make_available()
    second = reconcile(policy, controller)
    assert second.directory.status == "updated" and second.directory.written == 1
    (name,) = directory.values
    (endpoint,) = account.endpoints.values()
    assert json.loads(directory.values[name])["dns_name"] == endpoint.dns_name
    assert [detail(e)["state"] for e in events.sent] == ["available"]
    assert directory.calls.index("events") < directory.calls.index("put")  # at least once: events first

    # A warm run with nothing new reads nothing from SSM.
    directory.calls.clear()
    assert reconcile(policy, controller).directory.status == "unchanged"
    assert directory.calls == []

    # Unshared: the controller deletes the endpoint and its parameter goes in the same run.
    del account.shares[share.arn]
    cleanup = reconcile(policy, controller)
    assert [r.action.kind.value for r in cleanup.results] == ["delete-endpoint"]
    assert directory.values == {}
    assert [detail(e)["state"] for e in events.sent] == ["available", "gone"]
    assert cleanup.to_json()["endpoint_directory"]["deleted"] == 1


def test_a_directory_failure_is_retryable_and_repeated_next_run(policy, account, directory, wired):  # type: ignore[no-untyped-def]
    controller, events = wired
    account.invite(TRUSTED, 1)
    reconcile(policy, controller)
    account.settle()
    reconcile(policy, controller)
    account.make_available()
    directory.fail_put = True
    report = reconcile(policy, controller)
    assert report.directory.status == "failed" and isinstance(report.outcome, Retry)
    assert any(e.startswith("endpoint directory:") for e in report.side_errors)
    directory.fail_put = False
    again = reconcile(policy, controller)
    assert again.directory.status == "updated" and len(directory.values) == 1
    # the event was sent again: at least once
    assert [detail(e)["state"] for e in events.sent] == ["available", "available"]


def test_without_a_directory_nothing_is_published(policy, account, controller):  # type: ignore[no-untyped-def]
    account.invite(TRUSTED, 1)
    reconcile(policy, controller)
    account.settle()
    reconcile(policy, controller)
    account.make_available()
    assert reconcile(policy, controller).directory.status == "not-configured"


# --- adapters --------------------------------------------------------------------------------------------
@pytest.fixture
def ssm() -> Iterator[tuple[SsmEndpointDirectory, Stubber]]:
    client = boto3.client("ssm", region_name="us-east-1")
    with Stubber(client) as stub:
        yield SsmEndpointDirectory(client, PREFIX), stub
        stub.assert_no_pending_responses()


def test_ssm_reads_every_page_recursively(ssm: tuple[SsmEndpointDirectory, Stubber]) -> None:
    adapter, stub = ssm
    base = {"Path": PREFIX, "Recursive": True}
    stub.add_response(
        "get_parameters_by_path",
        {"Parameters": [{"Name": f"{PREFIX}/a/b", "Value": "1"}], "NextToken": "t"},
        base,
    )
    stub.add_response(
        "get_parameters_by_path",
        {"Parameters": [{"Name": f"{PREFIX}/c/d", "Value": "2"}]},
        base | {"NextToken": "t"},
    )
    assert adapter.published() == {f"{PREFIX}/a/b": "1", f"{PREFIX}/c/d": "2"}


def test_ssm_put_overwrites_and_delete_tolerates_a_missing_parameter(
    ssm: tuple[SsmEndpointDirectory, Stubber],
) -> None:
    adapter, stub = ssm
    stub.add_response(
        "put_parameter",
        {"Version": 2, "Tier": "Standard"},
        {
            "Name": f"{PREFIX}/a/b",
            "Value": "{}",
            "Type": "String",
            "Overwrite": True,
            "Description": stub_any(),
        },
    )
    stub.add_client_error(
        "delete_parameter", "ParameterNotFound", "gone", 400, expected_params={"Name": f"{PREFIX}/a/b"}
    )
    adapter.put(f"{PREFIX}/a/b", "{}")
    adapter.delete(f"{PREFIX}/a/b")


def test_ssm_throttling_is_transient(ssm: tuple[SsmEndpointDirectory, Stubber]) -> None:
    adapter, stub = ssm
    stub.add_client_error("delete_parameter", "ThrottlingException", "slow", 400)
    with pytest.raises(Transient):
        adapter.delete(f"{PREFIX}/a/b")


def stub_any() -> object:
    from botocore.stub import ANY

    return ANY


def test_events_go_to_the_default_bus_in_batches_of_ten() -> None:
    client = boto3.client("events", region_name="us-east-1")
    entries = [{"Source": EVENT_SOURCE, "DetailType": EVENT_DETAIL_TYPE, "Detail": "{}"} for _ in range(12)]
    with Stubber(client) as stub:
        for batch in (entries[:10], entries[10:]):
            stub.add_response(
                "put_events",
                {"FailedEntryCount": 0, "Entries": [{"EventId": "e"}] * len(batch)},
                {"Entries": [e | {"EventBusName": "default"} for e in batch]},
            )
        EventBridgeEvents(client).put(entries)
        stub.assert_no_pending_responses()


def test_a_failed_event_entry_is_transient() -> None:
    client = boto3.client("events", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response(
            "put_events",
            {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "x"}]},
        )
        with pytest.raises(Transient, match="InternalFailure"):
            EventBridgeEvents(client).put(
                [{"Source": EVENT_SOURCE, "DetailType": EVENT_DETAIL_TYPE, "Detail": "{}"}]
            )


def test_the_directory_is_wired_only_when_the_setting_says_true() -> None:
    from linkpilot.runtime.controller import ControllerSettings, build_controller

    session = boto3.Session(region_name="us-east-1")
    off = build_controller(ControllerSettings.from_env({}), session)
    on = build_controller(ControllerSettings.from_env({"LINKPILOT_PUBLISH_ENDPOINTS": "true"}), session)
    assert off.ports.directory is None and off.ports.events is None
    assert isinstance(on.ports.directory, SsmEndpointDirectory) and isinstance(
        on.ports.events, EventBridgeEvents
    )


def test_records_follow_the_association_rows_an_endpoint_carries() -> None:
    """Endpoints that carry their DescribeVpcEndpointAssociations rows (field names of those rows: Id,
    AssociatedResourceArn, ResourceConfigurationGroupArn, DnsEntry, PrivateDnsEntry, accessibility) get one
    record per row, the private DNS name and accessibility included."""
    rows = (
        EndpointAssociation(
            association_id="vpce-rsc-asc-1",
            endpoint_id="vpce-1",
            associated_resource_arn=CHILD,
            group_arn=CFG,
            dns_name="a.on.aws",
            private_dns_name="db.provider.example",
            accessibility="accessible",
        ),
        EndpointAssociation(
            association_id="vpce-rsc-asc-2",
            endpoint_id="vpce-1",
            associated_resource_arn=CFG + "2",
            group_arn=CFG,
            dns_name="b.on.aws",
            private_dns_name="",
            accessibility="inaccessible",
        ),
    )
    tags = {MANAGED_TAG: "true", CONFIGURATION_TAG: CFG}
    endpoint = Endpoint("vpce-1", VPC, "available", CFG, tags, associations=rows)
    records = records_from_endpoints([endpoint])
    assert [(r.parameter, r.private_dns_name, r.state) for r in records] == [
        (f"{PREFIX}/vpce-1/vpce-rsc-asc-1", "db.provider.example", "available"),
        (f"{PREFIX}/vpce-1/vpce-rsc-asc-2", "", "degraded"),
    ]
