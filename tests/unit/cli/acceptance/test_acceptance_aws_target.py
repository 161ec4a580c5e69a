"""The AWS target's control flow, with stand-in accounts and deployer (no AWS): it always tears down, in
reverse order, on a failed step and on Ctrl-C, and reports what it could not remove; the SAM command lines
carry the run's stack names, tag, profile and Region."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from linkpilot_cli.acceptance.aws_target import run_aws, sam_commands
from linkpilot_cli.acceptance.checks import Target
from linkpilot_cli.acceptance.plan import AcceptanceOptions, aws_plan
from linkpilot_cli.acceptance.run_steps import StepFailed, Steps, Teardown
from linkpilot_cli.adapters.recorder import Recorder

OPTIONS = AcceptanceOptions(aws=True, provider_profile="prov", consumer_profile="cons", yes=True)


class FakeAccount:
    def __init__(self, name: str, account_id: str, log: list[str], left: list[str] | None = None) -> None:
        self.name, self.id, self.log, self.left = name, account_id, log, left or []

    present: tuple[str, ...] = ()

    def linkpilot_already_here(self) -> list[str]:
        return list(self.present)

    def zone_ids(self) -> list[str]:
        return ["use1-az1", "use1-az2"]

    def make_vpc(self, cidr: str, zone_ids: list[str]) -> tuple[str, list[str], str]:
        self.log.append(f"make vpc {self.name}")
        return f"vpc-{self.name}", [f"subnet-{self.name}-a", f"subnet-{self.name}-b"], f"sg-{self.name}"

    def delete_vpc(self, vpc: str, subnets: list[str]) -> None:
        self.log.append(f"delete {vpc}")

    def stack_resource(self, name: str, logical: str) -> str:
        return f"{logical} of {name.rsplit('-', 1)[-1]}"

    def delete_directory(self) -> None:
        self.log.append("delete directory")

    def delete_stack_table(self, stack: str, logical: str) -> None:
        self.log.append(f"delete {self.stack_resource(stack, logical)}")

    def delete_stack(self, name: str) -> None:
        self.log.append(f"delete stack {name.rsplit('-', 1)[-1]}")

    def stack_outputs(self, name: str) -> dict[str, str]:
        return {
            "ResourceConfigurationArn": "arn:aws:vpc-lattice:us-east-1:111111111111:resourceconfiguration/r"
        }

    def put_parameter(self, name: str, value: str, kind: str = "String") -> None:
        self.log.append(f"put {name.rsplit('/', 1)[-1]}")

    def delete_parameter(self, name: str) -> None:
        self.log.append(f"delete {name.rsplit('/', 1)[-1]}")

    def tagged_left(self) -> list[str]:
        return self.left


def _run(
    deploy: Any,
    left: list[str] | None = None,
    *,
    present: tuple[str, ...] = (),
    tag_search: Any = None,
    sleep: Any = None,
) -> tuple[Any, list[str], str]:
    """``left``: what the consumer's tag search still finds (``tag_search``: its answers one after the other
    instead); ``present``: what Linkpilot has there already."""
    log: list[str] = []
    plan = aws_plan(OPTIONS, "r1")
    out = io.StringIO()
    accounts = (FakeAccount("p", "111111111111", log), FakeAccount("c", "222222222222", log, left))
    accounts[1].present = present
    if tag_search is not None:
        accounts[1].tagged_left = tag_search  # type: ignore[method-assign]
    result = run_aws(
        OPTIONS,
        plan,
        out,
        Recorder(Target.AWS, "r1"),
        accounts=lambda: accounts,
        deploy=deploy,
        sleep=sleep or (lambda s: None),
    )
    return result, log, out.getvalue()


def test_a_failed_step_stops_the_story_and_everything_made_is_undone_in_reverse() -> None:
    def deploy(which: str, template: str, stack: str, parameters: dict[str, str]) -> None:
        if which == "consumer":
            assert parameters["EndpointVpcId"] == "/linkpilot-acceptance/r1/endpoint-vpc-id"
            assert parameters["TrustedAccounts"] == "111111111111"
            raise StepFailed("deploy failed (1): CREATE_FAILED")

    result, log, out = _run(deploy)
    assert [(s.title.split(" ")[0], s.ok) for s in result.steps] == [("provider", True), ("consumer", False)]
    assert result.error == "deploy failed (1): CREATE_FAILED"
    made = log.index("put probe-security-group-ids")
    assert log[made + 1 :] == [
        "delete AuditTable of consumer",  # a failed create's rollback keeps it too (Retain)
        "delete stack consumer",
        "delete directory",  # what the controller published of the run's endpoints
        "delete probe-security-group-ids",
        "delete endpoint-subnet-ids",
        "delete endpoint-vpc-id",
        "delete vpc-c",
        "delete AuditTable of provider",
        "delete stack provider",
        "delete vpc-p",
    ]
    assert result.leftovers == [] and not result.interrupted
    assert "teardown: stack linkpilot-acc-r1-provider" in out


def test_ctrl_c_tears_down_too_and_what_is_left_is_reported() -> None:
    def deploy(which: str, template: str, stack: str, parameters: dict[str, str]) -> None:
        raise KeyboardInterrupt

    result, log, _ = _run(deploy, left=["arn:aws:ec2:us-east-1:222222222222:vpc/vpc-c"])
    assert result.interrupted
    assert [(s.ok, s.detail) for s in result.steps] == [(False, "interrupted (Ctrl-C)")]  # in the report
    assert log[-2:] == ["delete stack provider", "delete vpc-p"]
    assert result.leftovers == ["arn:aws:ec2:us-east-1:222222222222:vpc/vpc-c (consumer)"]


def test_the_same_account_twice_is_refused_before_anything_is_made() -> None:
    log: list[str] = []
    same = FakeAccount("p", "111111111111", log)
    result = run_aws(
        OPTIONS,
        aws_plan(OPTIONS, "r1"),
        io.StringIO(),
        Recorder(Target.AWS, "r1"),
        accounts=lambda: (same, same),
    )
    assert result.error == "both profiles name the same account" and log == []


def test_one_failed_undo_does_not_stop_the_others() -> None:
    done: list[str] = []
    teardown = Teardown()
    teardown.add("first", lambda: done.append("first"))

    def broken() -> None:
        raise RuntimeError("DependencyViolation")

    teardown.add("second", broken)
    teardown.add("third", lambda: done.append("third"))
    teardown.run(io.StringIO())
    assert done == ["third", "first"]
    assert teardown.failed == ["second: DependencyViolation"]


def test_an_undo_that_needs_a_later_one_first_is_tried_again_after_it() -> None:
    # the service network is deleted before the consumer stack, whose delete removes the endpoint that
    # still uses it: the first try is refused, the second goes through
    endpoint_left = [True]

    def delete_network() -> None:
        if endpoint_left[0]:
            raise RuntimeError("ConflictException")

    teardown = Teardown()
    teardown.add("consumer stack", lambda: endpoint_left.__setitem__(0, False))
    teardown.add("service network", delete_network)
    out = io.StringIO()
    teardown.run(out)
    assert teardown.failed == [] and "teardown, again: service network" in out.getvalue()


def test_an_undo_whose_wait_ran_out_is_not_waited_for_twice() -> None:
    tries: list[str] = []

    def vpc() -> None:
        tries.append("vpc")
        raise TimeoutError("vpc-1 deleted: not within 2700 s")

    teardown = Teardown()
    teardown.add("consumer VPC", vpc)
    teardown.run(io.StringIO())
    assert tries == ["vpc"] and teardown.failed == ["consumer VPC: vpc-1 deleted: not within 2700 s"]


def test_ctrl_c_in_the_teardown_names_everything_left() -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt

    def broken() -> None:
        raise RuntimeError("DependencyViolation")

    done: list[str] = []
    teardown = Teardown()
    teardown.add("vpc", lambda: done.append("vpc"))
    teardown.add("stack", interrupted)
    teardown.add("table", broken)
    teardown.run(io.StringIO())
    assert done == []
    assert teardown.failed == ["table", "stack (interrupted)", "vpc"]


def test_sam_commands_name_the_stack_the_tag_the_profile_and_the_region(tmp_path: Path) -> None:
    build, deploy = sam_commands(
        "sam",
        Path("provider/template.yaml"),
        tmp_path,
        stack="linkpilot-acc-r1-provider",
        profile="prov",
        region="eu-west-1",
        run_id="r1",
        parameters={"VpcId": "vpc-1", "CreateSampleTarget": "true", "ReconcileSchedule": "rate(1 minute)"},
    )
    assert build[:2] == ["sam", "build"] and build[-4:-2] == ["--profile", "prov"]
    assert deploy[deploy.index("--stack-name") + 1] == "linkpilot-acc-r1-provider"
    assert deploy[deploy.index("--tags") + 1] == "linkpilot:acceptance=r1"
    assert deploy[deploy.index("--region") + 1] == "eu-west-1"
    assert "--no-confirm-changeset" in deploy and "CAPABILITY_AUTO_EXPAND" in deploy
    assert deploy[-3:] == ["VpcId=vpc-1", "CreateSampleTarget=true", 'ReconcileSchedule="rate(1 minute)"']


def test_a_step_that_times_out_is_a_failed_step() -> None:
    steps = Steps(io.StringIO())
    with pytest.raises(StepFailed):
        steps.run("wait", lambda: (_ for _ in ()).throw(TimeoutError("ALARM: not within 720 s")))
    assert steps.results[0].detail == "ALARM: not within 720 s" and not steps.results[0].ok


def test_an_account_with_linkpilot_already_is_refused_before_anything_is_made() -> None:
    # its consumer stack would manage the installation's endpoints, and its delete remove them
    deployed: list[str] = []
    present = tuple(f"vpce-0{i}" for i in range(5))
    result, log, _ = _run(lambda which, *_: deployed.append(which), present=present)
    assert "already has what Linkpilot manages (vpce-00, vpce-01, vpce-02 and 2 more)" in result.error
    assert log == [] and deployed == [] and result.leftovers == []


def test_what_the_tag_search_lists_for_a_while_after_a_delete_is_not_reported_left() -> None:
    # the Resource Groups Tagging API lists a deleted resource for a while: asked again, it is gone
    answers = [["arn:aws:ec2:us-east-1:222222222222:vpc/vpc-c"]] * 2
    slept: list[float] = []

    def deploy(which: str, *_: Any) -> None:
        raise StepFailed("deploy failed (1)")

    result, _, _ = _run(deploy, tag_search=lambda: answers.pop() if answers else [], sleep=slept.append)
    assert result.leftovers == [] and slept == [30.0, 30.0]


def test_what_stays_listed_is_reported_after_ten_minutes_of_asking() -> None:
    result, _, out = _run(lambda *_: None, left=["arn:aws:ec2:us-east-1:222222222222:vpc/vpc-c"])
    assert result.leftovers == ["arn:aws:ec2:us-east-1:222222222222:vpc/vpc-c (consumer)"]
    assert out.count("still listed with the run's tag") == 20
