"""``linkpilot acceptance`` as a command: the refusal without profiles is one line and exit 2, and --plan
prints the plan and calls nothing."""

from __future__ import annotations

from linkpilot_cli import main as cli


def test_aws_without_both_profiles_is_one_line_and_exit_2(capsys, tmp_path) -> None:
    assert cli.main(["acceptance", "--aws", "--provider-profile", "p", "--report-dir", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == [
        "linkpilot acceptance: --aws needs both --provider-profile and --consumer-profile"
    ]


def test_plan_prints_and_calls_nothing(capsys, tmp_path, monkeypatch) -> None:
    import linkpilot_cli.acceptance.aws_target as aws_target

    def never(*_a, **_k):  # type: ignore[no-untyped-def]
        raise AssertionError("--plan must call nothing")

    monkeypatch.setattr(aws_target, "run_aws", never)
    argv = ["acceptance", "--aws", "--provider-profile", "p", "--consumer-profile", "c", "--plan"]
    assert cli.main([*argv, "--report-dir", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "estimated cost: $" in out and "linkpilot:acceptance=" in out
    assert not (tmp_path / "r").exists()


def test_a_region_aws_does_not_have_is_refused_before_anything(capsys, tmp_path) -> None:
    argv = ["acceptance", "--aws", "--provider-profile", "p", "--consumer-profile", "c", "--plan"]
    assert cli.main([*argv, "--region", "us-est-1", "--report-dir", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith(
        "linkpilot acceptance: Invalid value for '--region': 'us-est-1' is not a Region"
    )


def test_a_record_folder_that_cannot_be_made_stops_the_run_before_it_starts(
    capsys, tmp_path, monkeypatch
) -> None:
    import linkpilot_cli.acceptance.runner as runner

    def never(*_a, **_k):  # type: ignore[no-untyped-def]
        raise AssertionError("the run started")

    monkeypatch.setattr(runner, "load_local_driver", never)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    argv = ["acceptance", "--record", str(blocker / "rec"), "--report-dir", str(tmp_path / "r")]
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith(f"linkpilot acceptance: --record {blocker / 'rec'}: cannot create it")
