"""An AWS answer botocore cannot parse is "reading AWS failed" (exit 3), never an unexpected error (exit 1).

botocore raises ``ResponseParserError`` for XML that does not parse (EC2, CloudFormation: the query
protocols), which is neither a ``ClientError`` nor a ``BotoCoreError``; for a JSON answer of the wrong shape
its parser raises a plain ``TypeError``/``AttributeError``. No network: a ``before-send`` handler answers
every request with the given body before botocore opens a connection.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from linkpilot.aws.ec2_endpoints import Ec2Endpoints
from linkpilot.aws.errors import translates_errors, unparseable_answer
from linkpilot.errors import Transient
from linkpilot_cli import aws as cli_aws
from linkpilot_cli import main as cli

NOT_XML = b"<<garbage, not XML"
WRONG_SHAPE_JSON = b'{"resources": 5, "resourceShares": 5, "resourceShareInvitations": 5}'


class _Body:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def _answering(body: bytes) -> Any:
    def before_send(request: Any, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, 200, {"content-type": "application/json"}, _Body(body))

    return before_send


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``answers(body)``: every AWS call of the CLI's session gets ``body`` with HTTP 200."""

    def use(body: bytes) -> None:
        real = cli_aws.session_from

        def session_from(args: Any, env: Any = None) -> Any:
            session = real(args, env)
            session.events.register("before-send", _answering(body))
            return session

        monkeypatch.setattr(cli_aws, "session_from", session_from)

    return use


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and "unexpected error" not in err, err
    return lines[0]


def test_status_on_an_unparseable_ec2_answer_is_read_failed(answers, capsys):
    answers(NOT_XML)
    assert cli.main(["status", "--output", "json", "--quiet"]) == 3
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("linkpilot status: reading AWS failed:") and "cannot parse" in line, line


def test_reconcile_on_an_unparseable_answer_is_read_failed(answers, tmp_path, capsys):
    answers(NOT_XML)
    policy = tmp_path / "policy.json"
    endpoint = {"vpc_id": "vpc-0123456789abcdef0", "subnet_ids": ["subnet-0123456789abcdef0"]}
    policy.write_text(json.dumps({"trusted_accounts": ["111111111111"], "endpoint": endpoint}))
    assert cli.main(["reconcile", "--policy", str(policy), "--output", "json", "--quiet"]) == 3
    captured = capsys.readouterr()
    assert "reading AWS failed, nothing changed" in _one_line(captured.err)
    assert json.loads(captured.out)["error"] == "aws"


def test_cleanup_on_an_unparseable_answer_is_exit_3(answers, capsys):
    answers(NOT_XML)
    assert cli.main(["cleanup", "--dry-run", "--quiet"]) == 3
    assert "cannot parse" in _one_line(capsys.readouterr().err)


def test_stackset_on_an_unparseable_answer_before_any_change_is_read_failed(answers, tmp_path, capsys):
    answers(NOT_XML)
    template = tmp_path / "template.json"
    template.write_text(json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}))
    argv = ["stackset", "deploy", "--template", str(template), "--name", "n", "--ou-ids", "r-ab12"]
    assert cli.main([*argv, "--regions", "us-east-1", "--output", "json", "--quiet"]) == 3
    assert "reading the StackSet failed, nothing changed" in _one_line(capsys.readouterr().err)


def test_provider_status_on_a_json_answer_of_the_wrong_shape_is_read_failed(answers, capsys):
    answers(WRONG_SHAPE_JSON)
    assert cli.main(["provider", "status", "--output", "json", "--quiet"]) == 3
    assert "reading AWS failed" in _one_line(capsys.readouterr().err)


def _garbage_client(service: str, body: bytes) -> Any:
    session = boto3.Session(region_name="us-east-1")
    session.events.register("before-send", _answering(body))
    return session.client(service)


def test_adapters_translate_an_unparseable_answer_into_transient():
    with pytest.raises(Transient) as raised:
        Ec2Endpoints(_garbage_client("ec2", NOT_XML)).managed_endpoints()
    assert raised.value.code == "UnparseableAnswer" and "cannot parse" in raised.value.message
    assert len(raised.value.message) < 500  # the body is quoted, not all of it


def test_a_json_answer_of_the_wrong_shape_is_an_unparseable_answer():
    ram = _garbage_client("ram", WRONG_SHAPE_JSON)
    with pytest.raises(TypeError) as raised:
        ram.get_resource_share_invitations()
    assert unparseable_answer(raised.value)


def test_our_own_type_errors_stay_bugs():
    @translates_errors
    class Buggy:
        def read(self) -> None:
            raise TypeError("a bug of ours")

    with pytest.raises(TypeError):
        Buggy().read()
    try:
        len(5)  # type: ignore[arg-type]
    except TypeError as exc:
        assert not unparseable_answer(exc)
