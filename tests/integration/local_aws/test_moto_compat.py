"""Contract test of ``linkpilot_local.moto_compat``: each moto internal the local AWS uses, called once, with
the shape the emulation relies on. Run it first against a new moto release (the module's docstring says why
each internal is needed); the version guard's own behaviour is here too."""

from __future__ import annotations

import ipaddress
import json
import sys
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore import xform_name
from botocore.parsers import create_parser
from moto import mock_aws
from werkzeug.test import Client, EnvironBuilder

from linkpilot_local import LocalAws, moto_compat
from linkpilot_local.errors import AwsError
from linkpilot_local.moto_compat import UnsupportedMotoVersion
from linkpilot_local.server import LocalAwsServer

pytestmark = pytest.mark.integration

REGION = "us-east-1"
MOTO_DEFAULT_ACCOUNT = "123456789012"
CONFIG_ARN = "arn:aws:vpc-lattice:us-east-1:111111111111:resourceconfiguration/rcfg-0123456789abcdef0"


class _Sent(Exception):
    def __init__(self, request: Any) -> None:
        super().__init__("sent")
        self.request = request


def botocore_request(service: str, operation: str, **params: Any) -> moto_compat.Request:
    """The request a real boto3 client builds and signs for ``operation``, stopped before it is sent, as
    moto's ``Request`` (``normalize_request``: what the botocore stubber hands the emulation)."""
    client = boto3.client(
        service, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )

    def stop(request: Any, **_: Any) -> None:
        raise _Sent(request)

    client.meta.events.register("before-send", stop)
    with pytest.raises(_Sent) as sent:
        getattr(client, xform_name(operation))(**params)
    request = moto_compat.normalize_request(sent.value.request)
    assert isinstance(request, moto_compat.Request)
    return request


def botocore_parse(protocol: str, operation: Any, response: moto_compat.Response) -> dict[str, Any]:
    """What botocore makes of a serialized answer (the shape a client sees)."""
    status, headers, body = response
    raw = body.encode() if isinstance(body, str) else body
    parsed: dict[str, Any] = create_parser(protocol).parse(
        {"status_code": status, "headers": headers, "body": raw}, operation.output_shape
    )
    parsed.pop("ResponseMetadata", None)
    return parsed


def sts_client(**credentials: str) -> Any:
    credentials = credentials or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.client("sts", region_name=REGION, **credentials)


# ------------------------------------------------------------------------------------- version guard


@pytest.mark.parametrize("version", ["5.3.0", "5.3.0rc1", "5.2.4", "6.0.0", "4.2.14", "not-a-version"])
def test_version_guard_refuses_unchecked_versions(version):
    with pytest.raises(UnsupportedMotoVersion) as exc:
        moto_compat.check_version(version)
    message = str(exc.value)
    assert message == (
        f"linkpilot local AWS: moto {version} is not supported (checked: >=5.2.5,<5.3); "
        "install from the lock: make venv"
    )
    assert "\n" not in message
    assert exc.value.exit_code == 1  # a CliError: the CLI prints the one line, no traceback


@pytest.mark.parametrize("version", ["5.2.5", "5.2.6", "5.2.6.post1"])
def test_version_guard_accepts_checked_versions(version):
    assert moto_compat.check_version(version) == version


def test_checked_versions_are_in_the_supported_range_and_the_installed_one_passes():
    assert moto_compat.SUPPORTED == ">=5.2.5,<5.3"
    assert moto_compat.CHECKED == ("5.2.5", "5.2.6")
    assert all(moto_compat.is_supported(v) for v in moto_compat.CHECKED)
    installed = moto_compat.installed_version()
    assert installed == sys.modules["moto"].__version__
    assert moto_compat.check_version() == installed


def test_local_aws_refuses_to_start_on_an_unsupported_moto(monkeypatch):
    monkeypatch.setattr(moto_compat, "installed_version", lambda: "5.3.0")
    with pytest.raises(UnsupportedMotoVersion, match=r"^linkpilot local AWS: moto 5\.3\.0 is not supported"):
        LocalAws().start()
    monkeypatch.undo()
    with LocalAws() as aws:  # the refusal left nothing active behind
        assert aws.session("111111111111").client("sts").get_caller_identity()["Account"] == "111111111111"


def test_server_refuses_to_start_on_an_unsupported_moto(monkeypatch):
    monkeypatch.setattr(moto_compat, "installed_version", lambda: "5.3.0")
    server = LocalAwsServer(port=0)
    with pytest.raises(UnsupportedMotoVersion, match=r"^linkpilot local AWS: moto 5\.3\.0 is not supported"):
        server.start()
    assert server._server is None  # refused before listening
    server.stop()


def test_cli_serve_prints_one_line_on_an_unsupported_moto(monkeypatch, capsys):
    from linkpilot_cli.main import main

    monkeypatch.setattr(moto_compat, "installed_version", lambda: "5.3.0")
    assert main(["local", "serve", "--port", "0"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1  # no traceback
    assert lines[0].endswith(moto_compat.unsupported_message("5.3.0"))


# --------------------------------------------------------------------- routing, protocols and parsing


def test_request_protocol_hides_the_signature_change():
    # 5.2.5: determine_request_protocol(service_model, content_type); 5.2.6: (service_model, request)
    release = tuple(int(p) for p in moto_compat.installed_version().split(".")[:3])
    assert moto_compat._PROTOCOL_TAKES_REQUEST is (release >= (5, 2, 6))
    expected = {
        ("vpc-lattice", "ListResourceGateways"): "rest-json",
        ("ram", "GetResourceShareInvitations"): "rest-json",
        ("ec2", "DescribeVpcs"): "ec2",
        ("sts", "GetCallerIdentity"): "query",
        ("sqs", "ListQueues"): "json",
        ("events", "ListRules"): "json",
    }
    for (service, operation), protocol in expected.items():
        request = botocore_request(service, operation)
        assert moto_compat.request_protocol(moto_compat.service_model(service), request) == protocol


def test_lattice_request_routes_and_parses():
    request = botocore_request(
        "vpc-lattice",
        "CreateResourceGateway",
        name="provider-gw",
        vpcIdentifier="vpc-1",
        subnetIds=["subnet-1", "subnet-2"],
        tags={"k": "v"},
        clientToken="token-1",
    )
    operation, uri_params = moto_compat.match_operation("vpc-lattice", request)
    assert (operation, uri_params) == ("CreateResourceGateway", {})
    model = moto_compat.service_model("vpc-lattice")
    params = moto_compat.parse_request(
        model.operation_model(operation), moto_compat.request_protocol(model, request), request, uri_params
    )
    assert params == {
        "name": "provider-gw",
        "vpcIdentifier": "vpc-1",
        "subnetIds": ["subnet-1", "subnet-2"],
        "tags": {"k": "v"},
        "clientToken": "token-1",
    }

    request = botocore_request(
        "vpc-lattice", "GetResourceGateway", resourceGatewayIdentifier="rgw-0123456789abcdef0"
    )
    operation, uri_params = moto_compat.match_operation("vpc-lattice", request)
    assert (operation, uri_params) == (
        "GetResourceGateway",
        {"resourceGatewayIdentifier": "rgw-0123456789abcdef0"},
    )
    params = moto_compat.parse_request(model.operation_model(operation), "rest-json", request, uri_params)
    assert params == {"resourceGatewayIdentifier": "rgw-0123456789abcdef0"}


def test_ec2_request_routes_and_parses():
    request = botocore_request(
        "ec2",
        "CreateVpcEndpoint",
        VpcEndpointType="Resource",
        VpcId="vpc-1",
        SubnetIds=["subnet-1", "subnet-2"],
        ResourceConfigurationArn=CONFIG_ARN,
        PrivateDnsEnabled=False,
        TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": [{"Key": "k", "Value": "v"}]}],
        DnsOptions={"PrivateDnsPreference": "VERIFIED_DOMAINS_ONLY"},
    )
    operation, uri_params = moto_compat.match_operation("ec2", request)
    assert (operation, uri_params) == ("CreateVpcEndpoint", {})
    model = moto_compat.service_model("ec2")
    params = moto_compat.parse_request(model.operation_model(operation), "ec2", request, uri_params)
    assert params == {
        "VpcEndpointType": "Resource",
        "VpcId": "vpc-1",
        "SubnetIds": ["subnet-1", "subnet-2"],
        "ResourceConfigurationArn": CONFIG_ARN,
        "PrivateDnsEnabled": False,
        "TagSpecifications": [{"ResourceType": "vpc-endpoint", "Tags": [{"Key": "k", "Value": "v"}]}],
        "DnsOptions": {"PrivateDnsPreference": "VERIFIED_DOMAINS_ONLY"},
    }


def test_an_unroutable_request_raises_and_a_request_builds_from_a_wsgi_environ():
    environ = EnvironBuilder(
        path="/nothing/here", method="GET", headers={"Host": "vpc-lattice.us-east-1.amazonaws.com"}
    ).get_environ()
    request = moto_compat.Request(environ)  # as the server builds it
    assert request.path == "/nothing/here"
    with pytest.raises(Exception):  # noqa: B017 - werkzeug's NotFound today; identify() treats any as "moto's"
        moto_compat.match_operation("vpc-lattice", request)


# ------------------------------------------------------------------------------------- serialization


def test_lattice_answer_and_error_serialize_as_botocore_parses_them():
    model = moto_compat.service_model("vpc-lattice")
    operation = model.operation_model("GetResourceGateway")
    created = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    result = {"id": "rgw-1", "name": "provider-gw", "status": "ACTIVE", "createdAt": created}
    answer = moto_compat.serialize_response(operation, "rest-json", result, request_id="rid-1")
    status, headers, body = answer
    assert status == 200
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
    assert json.loads(body)["id"] == "rgw-1"
    parsed = botocore_parse("rest-json", operation, answer)
    assert parsed == {"id": "rgw-1", "name": "provider-gw", "status": "ACTIVE", "createdAt": created}

    error = AwsError("ResourceNotFoundException", "gone", resourceId="rgw-1", resourceType="RESOURCE_GATEWAY")
    assert isinstance(error, moto_compat.ServiceException)
    assert (error.code, error.message) == ("ResourceNotFoundException", "gone")
    answer = moto_compat.serialize_response(operation, "rest-json", error, request_id="rid-2")
    assert answer[0] == 404  # the modelled error's status
    assert json.loads(answer[2])["resourceId"] == "rgw-1"
    assert botocore_parse("rest-json", operation, answer)["Error"] == {
        "Code": "ResourceNotFoundException",
        "Message": "gone",
    }


def test_ec2_answer_and_error_serialize_as_botocore_parses_them():
    operation = moto_compat.service_model("ec2").operation_model("CreateVpcEndpoint")
    transformers = moto_compat.ec2_response_transformers()
    assert transformers and all(callable(t) for t in transformers.values())
    transformers.clear()
    assert moto_compat.ec2_response_transformers()  # a copy: moto's own stays intact
    result = {"VpcEndpoint": {"VpcEndpointId": "vpce-1", "VpcEndpointType": "Resource", "SubnetIds": ["s-1"]}}
    answer = moto_compat.serialize_response(
        operation, "ec2", result, request_id="rid-3", transformers=moto_compat.ec2_response_transformers()
    )
    assert answer[0] == 200
    assert "<requestId>rid-3</requestId>" in str(answer[2])
    assert botocore_parse("ec2", operation, answer) == result

    answer = moto_compat.serialize_response(
        operation, "ec2", AwsError("InvalidParameter", "bad", status=400), request_id="rid-4"
    )
    assert answer[0] == 400  # EC2 models no errors: dispatch applies AwsError.status on top
    assert botocore_parse("ec2", operation, answer)["Error"] == {"Code": "InvalidParameter", "Message": "bad"}


# ----------------------------------------------------------------- accounts and botocore interception


def test_access_keys_map_to_accounts():
    with mock_aws():
        creds = sts_client().assume_role(
            RoleArn="arn:aws:iam::111111111111:role/linkpilot-local", RoleSessionName="contract"
        )["Credentials"]
        assert moto_compat.account_for_access_key(creds["AccessKeyId"]) == "111111111111"
        assert moto_compat.account_for_access_key("AKIANOTAKEYOFANYONE") == MOTO_DEFAULT_ACCOUNT


def test_intercepting_botocore_answers_first_else_moto():
    seen: list[tuple[str, str]] = []

    def answer(request: moto_compat.Request) -> Any:
        operation, _ = moto_compat.match_operation("sts", request)
        seen.append((type(request).__name__, operation))
        if operation != "GetCallerIdentity":
            return None
        op_model = moto_compat.service_model("sts").operation_model(operation)
        result = {"Account": "999999999999", "Arn": "arn:aws:iam::999999999999:user/x", "UserId": "x"}
        return moto_compat.serialize_response(op_model, "query", result, request_id="intercepted")

    with mock_aws():
        moto_compat.intercept_botocore(answer)
        try:
            assert sts_client().get_caller_identity()["Account"] == "999999999999"
            role = sts_client().assume_role(
                RoleArn="arn:aws:iam::111111111111:role/r", RoleSessionName="contract"
            )
            assert role["AssumedRoleUser"]["Arn"].startswith("arn:aws:sts::111111111111:")  # moto's answer
        finally:
            moto_compat.release_botocore()
        assert seen == [("Request", "GetCallerIdentity"), ("Request", "AssumeRole")]
        assert sts_client().get_caller_identity()["Account"] == MOTO_DEFAULT_ACCOUNT  # released
        assert len(seen) == 2


def test_wrapping_botocore_answers_sees_every_answer_until_released():
    wrapped: list[int] = []

    def wrap(answer: Any) -> Any:
        status, headers, body = answer
        wrapped.append(int(status))
        return status, {**headers, "x-wrapped": "yes"}, body

    with mock_aws():
        moto_compat.intercept_botocore(lambda request: None)  # moto answers everything
        moto_compat.wrap_botocore_answers(wrap)
        try:
            answer = sts_client().get_caller_identity()
            assert answer["Account"] == MOTO_DEFAULT_ACCOUNT
            assert answer["ResponseMetadata"]["HTTPHeaders"]["x-wrapped"] == "yes"
        finally:
            moto_compat.release_botocore()
        assert wrapped == [200]
        assert "x-wrapped" not in sts_client().get_caller_identity()["ResponseMetadata"]["HTTPHeaders"]
        assert wrapped == [200]


# ----------------------------------------------------------------------------------------------- EC2


def test_ec2_backend_holds_an_endpoint_built_with_the_constructor_we_use():
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc_id = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
        subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.7.1.0/24")["Subnet"]["SubnetId"]
        backend = moto_compat.ec2_backend(MOTO_DEFAULT_ACCOUNT, REGION)
        assert backend.region_name == REGION
        assert vpc_id in backend.vpcs
        subnet = backend.get_subnet(subnet_id)
        default_sg = backend.get_default_security_group(vpc_id)
        assert backend.get_security_group_from_id(default_sg.id) is default_sg

        address = moto_compat.random_private_ip(subnet.cidr_block)
        assert ipaddress.ip_address(address) in ipaddress.ip_network("10.7.1.0/24")
        eni = backend.create_network_interface(
            subnet, address, group_ids=[default_sg.id], description="VPC Endpoint Interface vpce-0abc"
        )
        assert eni.id in backend.enis

        endpoint = moto_compat.VpcEndpointModel(
            backend,
            endpoint_id="vpce-0123456789abcdef0",
            vpc_id=vpc_id,
            endpoint_type="Resource",
            subnet_ids=[subnet_id],
            network_interface_ids=[eni.id],
            client_token="token-1",
            security_group_ids=[default_sg.id],
            tags={"k": "v"},
            private_dns_enabled=False,
        )
        assert (endpoint.id, endpoint.vpc_id, endpoint.vpc_endpoint_type) == (
            "vpce-0123456789abcdef0",
            vpc_id,
            "Resource",
        )
        assert endpoint.service_name is None
        assert endpoint.dns_entries == []
        assert endpoint.route_table_ids == []
        assert endpoint.network_interface_ids == [eni.id]
        assert endpoint.security_group_ids == [default_sg.id]
        assert (endpoint.client_token, endpoint.private_dns_enabled, endpoint.state) == (
            "token-1",
            False,
            "available",
        )
        assert endpoint.owner_id == MOTO_DEFAULT_ACCOUNT
        assert endpoint.get_filter_value("vpc-id") == vpc_id

        assert moto_compat.ec2_resource_type(endpoint.id) == "vpc-endpoint"
        assert backend.tags[endpoint.id] == {"k": "v"}
        assert moto_compat.TaggedEC2Resource.get_tags(endpoint) == [
            {"resource_id": endpoint.id, "key": "k", "value": "v", "resource_type": "vpc-endpoint"}
        ]

        backend.vpc_end_points[endpoint.id] = endpoint  # stored as the emulation stores its endpoints
        described = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint.id])["VpcEndpoints"]
        assert [(e["VpcEndpointId"], e["VpcEndpointType"], e["Tags"]) for e in described] == [
            (endpoint.id, "Resource", [{"Key": "k", "Value": "v"}])
        ]
        backend.vpc_end_points.pop(endpoint.id)
        assert ec2.describe_vpc_endpoints()["VpcEndpoints"] == []


# --------------------------------------------------------------------------------------- EventBridge


def test_events_reach_the_enabled_rules_of_the_default_bus():
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        events = boto3.client("events", region_name=REGION)
        queues = {}
        for name, state in (("enabled", "ENABLED"), ("disabled", "DISABLED")):
            url = sqs.create_queue(QueueName=name)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            queues[name] = url
            events.put_rule(Name=name, EventPattern=json.dumps({"source": ["aws.ram"]}), State=state)
            events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn}])
        event = {
            "version": "0",
            "id": "event-1",
            "detail-type": "Resource Sharing State Change",
            "source": "aws.ram",
            "account": MOTO_DEFAULT_ACCOUNT,
            "time": 1767322800.0,
            "ingestion-time": 1767322800.0,
            "region": REGION,
            "resources": ["arn:aws:ram:us-east-1:123456789012:resource-share/x"],
            "detail": {"event": "Resource Share Association"},
        }
        moto_compat.deliver_to_default_bus(MOTO_DEFAULT_ACCOUNT, REGION, event)
        messages = sqs.receive_message(QueueUrl=queues["enabled"], WaitTimeSeconds=0)["Messages"]
        delivered = json.loads(messages[0]["Body"])
        assert (delivered["id"], delivered["detail-type"], delivered["account"]) == (
            "event-1",
            "Resource Sharing State Change",
            MOTO_DEFAULT_ACCOUNT,
        )
        assert delivered["detail"] == {"event": "Resource Share Association"}
        assert "Messages" not in sqs.receive_message(QueueUrl=queues["disabled"], WaitTimeSeconds=0)


# -------------------------------------------------------------------------------------------- server


def test_moto_wsgi_app_answers_a_signed_request_and_the_backends_warm_up():
    request = botocore_request("sts", "GetCallerIdentity")
    response = Client(moto_compat.moto_wsgi_app()).open(
        path=request.path,
        method=request.method,
        headers=list(request.headers.items()),
        data=request.get_data(),
        base_url="https://sts.us-east-1.amazonaws.com",
    )
    assert response.status_code == 200
    assert b"<Account>" in response.get_data()
    assert moto_compat.warm_up_backends() == []
    assert all(module in sys.modules for module in moto_compat.WARM_UP_MODULES)


def test_the_local_aws_starts_moto_without_its_public_ami_catalogue(monkeypatch):
    """``apply_settings``: moto's documented ``MOTO_EC2_LOAD_DEFAULT_AMIS`` is off (each EC2 backend would
    otherwise build ~1,300 AMIs), and a value the environment already sets is kept."""
    monkeypatch.delenv("MOTO_EC2_LOAD_DEFAULT_AMIS", raising=False)
    with LocalAws(region="us-east-1") as aws:
        ec2 = aws.session("222222222222").client("ec2")
        assert ec2.describe_images(Owners=["amazon"])["Images"] == []
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "true")
    moto_compat.apply_settings()
    with LocalAws(region="us-east-1") as aws:
        ec2 = aws.session("222222222222").client("ec2")
        assert ec2.describe_images(Owners=["amazon"])["Images"]


def test_sqs_timers_run_on_the_emulations_clock_and_the_message_times_read_them():
    """``sqs_on_clock`` (moto.sqs.models.unix_time/unix_time_millis) and ``sqs_message_times`` (its queues'
    messages): a delayed message becomes receivable when the emulation's clock says so, not the host's."""
    with LocalAws(region="us-east-1") as aws:
        account = "222222222222"
        sqs = aws.session(account).client("sqs")
        url = sqs.create_queue(QueueName="follow-ups")["QueueUrl"]
        sent_at = aws.clock.advance(hours=2)  # hours away from the host's clock
        sqs.send_message(QueueUrl=url, MessageBody="{}", DelaySeconds=30)
        (due,) = moto_compat.sqs_message_times(account, "us-east-1", "follow-ups")
        assert abs(due - (sent_at.timestamp() + 30)) < 2
        assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
        aws.clock.advance(seconds=31)
        assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1
        assert moto_compat.sqs_message_times(account, "us-east-1", "nowhere") == []
