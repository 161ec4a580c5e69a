import pytest

from linkpilot_cli import main as cli


def test_no_command_prints_help_and_fails(capsys):
    assert cli.main([]) == 2
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
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
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and code == 1


def test_commands_with_subcommands_still_parse(capsys):
    try:
        cli.main(["local", "--help"])
    except SystemExit as exc:  # argparse's --help
        assert exc.code == 0
    assert "serve" in capsys.readouterr().out
