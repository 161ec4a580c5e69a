import pytest

from linkpilot_cli import main as cli


def test_no_command_prints_help_and_fails(capsys):
    assert cli.main([]) == 2
    out = capsys.readouterr().out
    for name in cli.commands():
        assert name in out


def test_unknown_command_is_an_error(capsys):
    assert cli.main(["nope"]) == 2
    assert "unknown command 'nope'" in capsys.readouterr().err


@pytest.mark.network
def test_options_may_stand_between_urls(capsys):
    # both URLs are refused on loopback port 9 (discard, closed): the point is that parsing accepts the order
    code = cli.main(
        [
            "probe",
            "http://a:9/",
            "--timeout",
            "0.2",
            "http://b:9/",
            "--resolve",
            "a:127.0.0.1",
            "--resolve",
            "b:127.0.0.1",
        ]
    )
    results = json.loads(capsys.readouterr().out)["results"]
    assert [r["target"] for r in results] == ["http://a:9/", "http://b:9/"] and code == 1


def test_commands_with_subcommands_still_parse(capsys):
    assert cli.main(["local", "--help"]) == 0
    assert "serve" in capsys.readouterr().out


# -- conventions (issue 16) ------------------------------------------------------------------------------
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from importlib.metadata import version  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import click  # noqa: E402

from linkpilot_cli.output import Output, Table  # noqa: E402
from linkpilot_cli.registry import load  # noqa: E402


def _commands() -> list[tuple[str, click.Command]]:
    """Every command and subcommand, by its whole name ("linkpilot provider status")."""
    found = [("linkpilot", cli.ROOT)]
    todo = [(f"linkpilot {name}", load(name)) for name in cli.commands()]
    while todo:
        name, command = todo.pop()
        found.append((name, command))
        if isinstance(command, click.Group):
            todo.extend((f"{name} {sub}", c) for sub, c in command.commands.items())
    return found


def _leaves() -> dict[str, click.Command]:
    return {name: c for name, c in _commands() if not isinstance(c, click.Group)}


AWS_COMMANDS = [n for n, c in _leaves().items() if any(p.name == "profile" for p in c.params)]


def _help(name: str, capsys) -> str:
    assert cli.main([*name.split()[1:], "--help"]) == 0, name
    return capsys.readouterr().out


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_version_is_the_package_version(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"linkpilot {version('linkpilot')}"


def test_version_loads_no_command_no_rich_and_no_boto3():
    """What keeps ``linkpilot --version`` within its 0.3 s (the time itself is a benchmark:
    ``python -m bench --only cli``): a fresh interpreter answering it imports no command module, no rich,
    no boto3 and no click extras it does not need."""
    snippet = (
        "import sys\n"
        "from linkpilot_cli.main import main\n"
        "try:\n"
        "    code = main(['--version'])\n"
        "except SystemExit as exit_:\n"
        "    code = exit_.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'rich', 'boto3', 'botocore', 'yaml'}\n"
        "               or m.startswith('linkpilot_cli.commands.'))\n"
        "print(code, ','.join(heavy) or '-')\n"
    )
    out = (
        subprocess.run(
            [sys.executable, "-c", snippet], check=True, capture_output=True, text=True, timeout=60
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    assert out == "0 -", out


def test_top_level_help_is_written_for_people(capsys):
    out = _help("linkpilot", capsys)
    assert "``" not in out  # not a module docstring
    assert out.startswith("Usage: linkpilot") and "PrivateLink resource endpoints" in " ".join(out.split())
    for name in cli.commands():
        summary = load(name).get_short_help_str(200)
        assert f"  {name}" in out and " ".join(summary.split()[:3]) in " ".join(out.split()), name
    for code in ("0", "1", "2", "3", "4", "130"):
        assert f"\n    {code} " in out.split("Exit status:")[1]


def test_every_option_of_every_command_has_help_text():
    missing = [
        f"{name} {'/'.join(p.opts)}"
        for name, command in _commands()
        for p in command.params
        if isinstance(p, click.Option) and not (p.help or "").strip()
    ]
    assert missing == []
    assert len(_commands()) >= 14  # the top, 11 commands, `provider status`, `stackset deploy`, `policy ...`


@pytest.mark.parametrize("name", sorted(n for n, _ in _commands()))
def test_every_help_states_examples_and_exit_codes(name, capsys):
    text = _help(name, capsys)
    assert "Examples:" in text, name
    examples = text.split("Examples:")[1].split("Exit status:")[0]
    assert examples.strip().startswith("linkpilot") or "linkpilot " in examples, name
    codes = [line.split()[0] for line in text.split("Exit status:")[1].splitlines() if line.strip()]
    assert {"0", "2", "130"} <= set(codes), (name, codes)
    assert text.split("\n\n", 2)[1].strip(), f"{name} has no description"


def test_stackset_deploy_has_a_description(capsys):
    text = _help("linkpilot stackset deploy", capsys)
    assert "StackSet" in text and "progress" in text


def test_aws_commands_take_region_and_profile_and_the_others_do_not():
    for name, command in _leaves().items():
        options = {o for p in command.params for o in p.opts}
        takes_aws = name.split()[1] in {"reconcile", "status", "cleanup", "provider", "stackset", "doctor"}
        assert ({"--region", "--profile"} <= options) == takes_aws, name
        assert "--debug" in options and "--quiet" in options and "--no-color" in options


def _valid_argv(name: str, tmp_path) -> list[str]:
    """Arguments with which ``name`` gets as far as choosing its AWS session."""
    if name == "reconcile":
        policy = tmp_path / "policy.json"
        endpoint = {"vpc_id": "vpc-0123456789abcdef0", "subnet_ids": ["subnet-0123456789abcdef0"]}
        policy.write_text(json.dumps({"trusted_accounts": ["111111111111"], "endpoint": endpoint}))
        return ["reconcile", "--policy", str(policy)]
    if name == "provider":
        return ["provider", "status"]
    if name == "stackset":
        template = tmp_path / "template.json"
        template.write_text(json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}))
        return [
            "stackset",
            "deploy",
            "--template",
            str(template),
            "--name",
            "n",
            "--ou-ids",
            "ou-ab12-abcdefgh",
            "--regions",
            "us-east-1",
        ]
    if name == "cleanup":
        return ["cleanup", "--dry-run"]
    return [name]


TOP_AWS = sorted({n.split()[1] for n in AWS_COMMANDS})


def _whole(name: str) -> str:
    return {"provider": "provider status", "stackset": "stackset deploy"}.get(name, name)


@pytest.mark.parametrize("name", TOP_AWS)
def test_bad_region_is_one_line_naming_the_whole_command_and_exit_2(name, tmp_path, capsys):
    assert cli.main([*_valid_argv(name, tmp_path), "--region", "bad region!"]) == 2
    assert _one_line(capsys.readouterr().err) == (
        f"linkpilot {_whole(name)}: --region: 'bad region!' is not a Region name (like us-east-1)"
    )
    assert cli.main([*_valid_argv(name, tmp_path), "--region", "us-east-7"]) == 2
    assert _one_line(capsys.readouterr().err).startswith(
        f"linkpilot {_whole(name)}: --region: 'us-east-7' is not a Region AWS has (did you mean 'us-east-"
    )


@pytest.mark.parametrize("name", TOP_AWS)
def test_unknown_profile_is_one_line_and_exit_2(name, tmp_path, monkeypatch, capsys):
    assert cli.main([*_valid_argv(name, tmp_path), "--profile", "nope"]) == 2
    assert _one_line(capsys.readouterr().err) == (
        f"linkpilot {_whole(name)}: --profile: profile 'nope' is not in the AWS config or credentials files"
    )
    monkeypatch.setenv("AWS_PROFILE", "gone")
    assert cli.main(_valid_argv(name, tmp_path)) == 2
    assert _one_line(capsys.readouterr().err) == (
        f"linkpilot {_whole(name)}: AWS_PROFILE: profile 'gone' is not in the AWS config or credentials files"
    )


def test_region_before_the_command_is_the_same(capsys):
    assert cli.main(["--region", "bad region!", "status"]) == 2
    assert "'bad region!'" in _one_line(capsys.readouterr().err)


def test_region_for_a_command_without_aws_is_refused(capsys):
    assert cli.main(["--region", "us-east-1", "probe", "http://a.example/"]) == 2
    assert _one_line(capsys.readouterr().err) == (
        "linkpilot probe: --region does not apply to this command (`linkpilot probe --help` for usage)"
    )


def test_aws_region_is_honoured_and_comes_before_aws_default_region():
    from linkpilot_cli.aws import session_from

    args = SimpleNamespace(region=None, profile=None)
    env = {"AWS_REGION": "eu-west-1"}
    assert session_from(args, env).region_name == "eu-west-1"  # AWS_DEFAULT_REGION=us-east-1 in the tests
    args.region = "ap-south-1"
    assert session_from(args, env).region_name == "ap-south-1"  # --region wins


def test_no_region_anywhere_is_one_line_and_exit_2(monkeypatch, capsys):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    assert cli.main(["status"]) == 2
    assert "no AWS Region: pass --region, set AWS_REGION" in _one_line(capsys.readouterr().err)


def test_profile_from_the_config_file_is_used(tmp_path, monkeypatch):
    from linkpilot_cli.aws import session_from

    config = tmp_path / "config"
    config.write_text("[profile ops]\nregion = eu-central-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    session = session_from(SimpleNamespace(region=None, profile="ops"))
    assert session.profile_name == "ops" and session.region_name == "eu-central-1"


@pytest.mark.parametrize("name", ["reconcile", "status"])
def test_a_policy_that_is_not_utf8_is_exit_2_naming_the_file(name, tmp_path, capsys):
    bad = tmp_path / "latin1.json"
    bad.write_bytes('{"trusted_accounts": ["111111111111"], "note": "caf\u00e9"}'.encode("latin-1"))
    assert cli.main([name, "--policy", str(bad), "--output", "table"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    line = _one_line(captured.err)
    assert line.startswith(f"linkpilot {name}: {bad} is invalid") and "not UTF-8" in line


def test_stackset_files_that_are_not_utf8_are_exit_2_naming_the_file(tmp_path, capsys):
    bad = tmp_path / "t.json"
    bad.write_bytes(b'{"Resources": {"\xff": {}}}')
    argv = [
        "stackset",
        "deploy",
        "--template",
        str(bad),
        "--name",
        "n",
        "--ou-ids",
        "r-ab12",
        "--regions",
        "us-east-1",
    ]
    assert cli.main(argv) == 2
    assert _one_line(capsys.readouterr().err) == f"linkpilot stackset deploy: {bad}: not UTF-8 text (byte 16)"


def _failing(exc):
    def fail(*args, **kwargs):
        raise exc

    return fail


def test_ctrl_c_is_one_line_and_exit_130(monkeypatch, capsys):
    from linkpilot_cli.commands import status

    monkeypatch.setattr(status, "collect_status", _failing(KeyboardInterrupt()))
    assert cli.main(["status"]) == 130
    assert _one_line(capsys.readouterr().err) == "linkpilot status: interrupted"


def test_an_unexpected_error_is_one_line_naming_the_command_and_exit_1(monkeypatch, capsys):
    from linkpilot_cli.commands import provider

    monkeypatch.setattr(provider, "collect_view", _failing(ValueError("boom")))
    assert cli.main(["provider", "status"]) == 1
    assert _one_line(capsys.readouterr().err) == (
        "linkpilot provider status: unexpected error: ValueError: boom (run with --debug for the traceback)"
    )
    for argv in (["provider", "status", "--debug"], ["--debug", "provider", "status"]):
        assert cli.main(argv) == 1
        err = capsys.readouterr().err
        assert "Traceback (most recent call last)" in err and "ValueError: boom" in err
        assert err.strip().splitlines()[-1] == "linkpilot provider status: unexpected error: ValueError: boom"


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["status", "--output", "yaml"],
            "linkpilot status: Invalid value for '--output': 'yaml' is not one of",
        ),
        (
            ["status", "--window", "x"],
            "linkpilot status: Invalid value for '--window': 'x' is not a valid integer",
        ),
        (["status", "--windw", "3"], "linkpilot status: No such option '--windw'. Did you mean '--window'?"),
        (["probe", "http://a/", "--timeout", "abc"], "linkpilot probe: Invalid value for '--timeout'"),
        (
            ["provider", "status", "--shar-arn", "x"],
            "linkpilot provider status: No such option '--shar-arn'.",
        ),
        (["provider", "stats"], "linkpilot provider: unknown command 'stats' (did you mean 'status'?)"),
        (["stauts"], "linkpilot: unknown command 'stauts' (did you mean 'status'?)"),
        (["stackset", "deploy"], "linkpilot stackset deploy: Missing option '--template'."),
    ],
)
def test_usage_errors_are_one_line_with_a_did_you_mean_and_exit_2(argv, line, capsys):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert _one_line(captured.err).startswith(line), captured.err
    assert captured.out == ""


def test_a_usage_error_points_to_the_commands_help(capsys):
    assert cli.main(["status", "--output", "yaml"]) == 2
    assert _one_line(capsys.readouterr().err).endswith("(`linkpilot status --help` for usage)")


def test_status_json_flag_is_kept_as_an_alias(monkeypatch, capsys):
    from linkpilot_cli.commands import status
    from linkpilot_cli.status_report import StatusReport

    monkeypatch.setattr(status, "collect_status", lambda *a, **k: StatusReport((), ()))
    assert cli.main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["managed_endpoints"] == 0
    assert cli.main(["status", "--output", "text"]) == 0
    assert capsys.readouterr().out == ""


def test_completion_scripts_for_bash_zsh_and_fish(capsys):
    for shell, marker in (("bash", "complete -o"), ("zsh", "compdef"), ("fish", "complete --no-files")):
        assert cli.main(["completion", shell]) == 0
        script = capsys.readouterr().out
        assert marker in script and "_LINKPILOT_COMPLETE" in script, shell
    assert cli.main(["completion", "tcsh"]) == 2
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish'" in _one_line(capsys.readouterr().err)


def test_completion_completes_commands_and_options():
    env = {
        **os.environ,
        "_LINKPILOT_COMPLETE": "bash_complete",
        "COMP_WORDS": "linkpilot prov",
        "COMP_CWORD": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", "from linkpilot_cli.main import main; main()"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert "plain,provider" in done.stdout.splitlines()
    env.update(COMP_WORDS="linkpilot status --win", COMP_CWORD="2")
    done = subprocess.run(
        [sys.executable, "-c", "from linkpilot_cli.main import main; main()"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert "plain,--window" in done.stdout.splitlines()


# -- the output module ----------------------------------------------------------------------------------
class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


TABLES = [Table("endpoint", "Endpoints", ("ENDPOINT", "PROBE"), (("vpce-1", "ok"), ("vpce-2", "failing")))]
DATA = {
    "endpoints": [{"endpoint_id": "vpce-1", "probe": "ok"}, {"endpoint_id": "vpce-2", "probe": "failing"}]
}


def test_default_output_is_a_table_on_a_terminal_and_json_otherwise():
    tty, pipe = Tty(), io.StringIO()
    Output("status", stdout=tty, stderr=io.StringIO(), env={}).document(DATA, TABLES)
    Output("status", stdout=pipe, stderr=io.StringIO(), env={}).document(DATA, TABLES)
    assert "ENDPOINT" in tty.getvalue() and "\033[32mok" in tty.getvalue()
    assert json.loads(pipe.getvalue()) == DATA


def test_colour_never_with_no_color_nor_off_a_terminal():
    for env, stream, no_colour in (
        ({"NO_COLOR": "1"}, Tty(), False),
        ({}, io.StringIO(), False),
        ({}, Tty(), True),
    ):
        Output("status", "table", stdout=stream, stderr=io.StringIO(), env=env, no_colour=no_colour).document(
            DATA, TABLES
        )
        assert "\033[" not in stream.getvalue() and "vpce-2    failing" in stream.getvalue()


def test_text_output_is_tab_separated_rows_without_a_header():
    out = io.StringIO()
    Output("status", "text", stdout=out, stderr=io.StringIO(), env={}).document(DATA, TABLES)
    assert out.getvalue().splitlines() == ["endpoint\tvpce-1\tok", "endpoint\tvpce-2\tfailing"]


def test_records_are_one_pretty_json_document_and_an_aligned_table():
    rows = [{"target": "http://a/", "verdict": "ok"}, {"target": "http://bb/", "verdict": "connect"}]
    out = io.StringIO()
    Output("probe", "json", stdout=out, stderr=io.StringIO(), env={}).records(
        "result", "Results", ["target", "verdict"], rows
    )
    assert json.loads(out.getvalue()) == {"results": rows}
    assert out.getvalue().startswith('{\n  "results": [')  # pretty, like every other command's JSON
    out = io.StringIO()
    Output("probe", "table", stdout=out, stderr=io.StringIO(), env={}).records(
        "result", "Results", ["target", "verdict"], rows
    )
    assert out.getvalue().splitlines() == [
        "Results: 2",
        "  TARGET      VERDICT",
        "  http://a/   ok",
        "  http://bb/  connect",
    ]


def test_tables_show_short_ids_and_json_the_full_arns():
    from linkpilot_cli.output import short_id

    arn = "arn:aws:vpc-lattice:us-east-1:111111111111:resourceconfiguration/rcfg-0123"
    assert short_id(arn) == "rcfg-0123" and short_id("vpce-1") == "vpce-1"


def test_progress_and_errors_go_to_stderr_and_quiet_silences_progress():
    out, err = io.StringIO(), io.StringIO()
    o = Output("stackset", "json", stdout=out, stderr=err, env={})
    o.progress("waiting")
    o.error("it broke")
    assert out.getvalue() == "" and err.getvalue() == "… waiting\nlinkpilot stackset: it broke\n"
    err = io.StringIO()
    Output("stackset", "json", stdout=out, stderr=err, env={}, quiet=True).progress("waiting")
    assert err.getvalue() == ""


# -- through a real process: terminals, NO_COLOR, Ctrl-C ------------------------------------------------
def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child closed its end of the pseudo-terminal
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode()


def _run_with_tty(*argv: str, tty: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run ``linkpilot`` in a child process; ``tty`` names the streams ("out", "err") on a pseudo-terminal."""
    import pty

    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    full_env.update(env or {})
    ends: dict[str, tuple[int, int]] = {name: pty.openpty() for name in ("out", "err") if name in tty}
    proc = subprocess.Popen(
        [sys.executable, "-m", "linkpilot_cli.main", *argv],
        stdout=ends["out"][1] if "out" in ends else subprocess.PIPE,
        stderr=ends["err"][1] if "err" in ends else subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=full_env,
    )
    for _master, child_end in ends.values():
        os.close(child_end)
    texts = {}
    for name, pipe in (("out", proc.stdout), ("err", proc.stderr)):
        if name in ends:
            texts[name] = _read_all(ends[name][0])
            os.close(ends[name][0])
        else:
            texts[name] = pipe.read().decode() if pipe else ""
    return proc.wait(60), texts["out"], texts["err"]


def test_error_prefix_is_red_on_a_terminal_only_and_never_with_no_color(tmp_path):
    missing = str(tmp_path / "missing.json")
    code, _, err = _run_with_tty("reconcile", "--policy", missing, tty="err")
    assert code == 2 and "\033[31mlinkpilot reconcile:\033[0m" in err
    code, _, err = _run_with_tty("reconcile", "--policy", missing, tty="err", env={"NO_COLOR": "1"})
    assert code == 2 and "\033[" not in err and err.startswith("linkpilot reconcile:")
    code, _, err = _run_with_tty("reconcile", "--policy", missing, tty="")
    assert code == 2 and "\033[" not in err


def test_schema_on_a_terminal_is_still_json(tmp_path):
    code, out, _ = _run_with_tty("reconcile", "--print-schema", tty="out")
    assert code == 0 and "trusted_accounts" in json.loads(out)["properties"]


@pytest.mark.network
def test_ctrl_c_in_a_real_process_is_one_line_and_exit_130():
    """A probe that waits on a loopback server that never answers; SIGINT arrives while it waits."""
    import signal
    import socket
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "linkpilot_cli.main",
                "probe",
                f"http://127.0.0.1:{port}/",
                "--timeout",
                "30",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        conn, _ = server.accept()  # the probe is connected and waiting for a reply
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        conn.close()
    finally:
        server.close()
    assert proc.returncode == 130
    assert out == ""
    assert _one_line(err) == "linkpilot probe: interrupted"
