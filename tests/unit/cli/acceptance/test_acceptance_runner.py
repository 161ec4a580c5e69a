"""The runner's contract: the refusal without profiles, --plan calls nothing, the confirmation, the exit
codes, and the report of whatever the driver hands back."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from linkpilot_cli.acceptance.checks import Observation
from linkpilot_cli.acceptance.plan import AcceptanceOptions, aws_plan, new_run_id, render_plan
from linkpilot_cli.acceptance.report import RunResult, StepResult
from linkpilot_cli.acceptance.runner import run_acceptance


def _never(*_a: object) -> RunResult:
    raise AssertionError("the driver must not be called")


def _run(options: AcceptanceOptions, **kw: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_acceptance(options, out, err, **kw)  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


def test_aws_without_both_profiles_exits_2_with_one_line(tmp_path: Path) -> None:
    for options in (
        AcceptanceOptions(aws=True, report_root=tmp_path),
        AcceptanceOptions(aws=True, provider_profile="p", report_root=tmp_path),
        AcceptanceOptions(aws=True, consumer_profile="c", report_root=tmp_path),
    ):
        code, out, err = _run(options, aws_driver=_never, local_driver=_never)
        assert code == 2 and out == ""
        assert err == "linkpilot acceptance: --aws needs both --provider-profile and --consumer-profile\n"
    code, _, err = _run(AcceptanceOptions(provider_profile="p", report_root=tmp_path), local_driver=_never)
    assert code == 2 and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_plan_prints_resources_and_cost_and_calls_nothing(tmp_path: Path) -> None:
    options = AcceptanceOptions(
        aws=True, provider_profile="p", consumer_profile="c", plan=True, run_id="r1", report_root=tmp_path
    )
    code, out, _ = _run(options, aws_driver=_never, confirm=_never)
    assert code == 0
    assert "linkpilot-acc-r1-provider" in out and "linkpilot-acc-r1-consumer" in out
    assert "linkpilot:acceptance=r1" in out and "estimated cost: $" in out
    assert list(tmp_path.iterdir()) == []  # no report: nothing ran


def test_the_estimate_adds_up() -> None:
    plan = aws_plan(AcceptanceOptions(aws=True, provider_profile="p", consumer_profile="c"), "r1")
    hourly = sum(i.hourly_usd * i.units for i in plan.items)
    assert plan.total_usd == hourly * 2 + plan.fixed_usd
    assert 0.1 < plan.total_usd < 1.0  # about $0.40: the plan's figure, not a bill
    assert any(f"${plan.total_usd:.2f}" in line for line in render_plan(plan))
    lines = render_plan(plan)
    title = lines.index(f"What the run creates: {len(plan.items) + 1}")  # the one table style, its count
    assert lines[title + 1].split() == ["ACCOUNT", "RESOURCE", "EST.", "COST"]
    assert lines[title + 2].split()[0] == plan.items[0].account


def test_a_declined_confirmation_creates_nothing(tmp_path: Path) -> None:
    options = AcceptanceOptions(aws=True, provider_profile="p", consumer_profile="c", report_root=tmp_path)
    asked: list[str] = []
    code, _, err = _run(options, aws_driver=_never, confirm=lambda q: asked.append(q) or False)
    assert code == 1 and len(asked) == 1 and "nothing was created" in err


def test_yes_skips_the_question_and_the_report_is_written(tmp_path: Path) -> None:
    options = AcceptanceOptions(
        aws=True, provider_profile="p", consumer_profile="c", yes=True, run_id="r2", report_root=tmp_path
    )

    def driver(opts: object, plan: object, out: object, recorder: object) -> RunResult:
        return RunResult(
            [StepResult("deploy", True)], [Observation("endpoint-state-case", "Available", True)]
        )

    code, out, _ = _run(options, aws_driver=driver, confirm=_never)
    assert code == 0 and "1 verified" in out
    report = json.loads((tmp_path / "r2" / "report.json").read_text())
    assert report["target"] == "aws"
    assert {c["name"]: c["verdict"] for c in report["checks"]}["endpoint-state-case"] == "verified"


def test_interrupted_and_leftovers_are_reported(tmp_path: Path) -> None:
    options = AcceptanceOptions(
        aws=True, provider_profile="p", consumer_profile="c", yes=True, run_id="r3", report_root=tmp_path
    )
    result = RunResult([StepResult("deploy", True)], interrupted=True, leftovers=["vpc-1 (provider)"])
    code, out, _ = _run(options, aws_driver=lambda *a: result)
    assert code == 130
    assert "left behind: vpc-1 (provider)" in out
    assert json.loads((tmp_path / "r3" / "report.json").read_text())["passed"] is False


def test_a_failed_step_fails_the_local_run(tmp_path: Path) -> None:
    result = RunResult([StepResult("deploy", True), StepResult("probe", False, "probe ok")])
    code, out, _ = _run(
        AcceptanceOptions(run_id="l1", report_root=tmp_path), local_driver=lambda out, rec: result
    )
    assert code == 1 and "FAILED" in out and "0 verified" in out


def test_run_ids_are_unique_and_fit_a_stack_name() -> None:
    ids = {new_run_id() for _ in range(20)}
    assert len(ids) == 20
    assert all(len(f"linkpilot-acc-{i}-consumer") <= 128 for i in ids)


def test_the_cost_model_states_the_plans_estimate() -> None:
    plan = aws_plan(AcceptanceOptions(aws=True, provider_profile="p", consumer_profile="c"), "r1")
    cost_md = (Path(__file__).resolve().parents[4] / "docs" / "cost.md").read_text()
    assert f"**≈ ${plan.total_usd:.2f}**" in cost_md


def test_a_profile_that_does_not_exist_exits_2_with_one_line_before_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    config.write_text("[profile prov]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    options = AcceptanceOptions(
        aws=True, provider_profile="prov", consumer_profile="cons", yes=True, report_root=tmp_path / "r"
    )
    code, out, err = _run(options)  # the real driver: stopped before it is called
    assert code == 2 and out == ""
    assert err == (
        "linkpilot acceptance: --profile: profile 'cons' is not in the AWS config or credentials files\n"
    )
    assert not (tmp_path / "r").exists()
