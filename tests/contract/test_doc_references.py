"""Every page and section the stacks, samconfig.toml and the `linkpilot` command send a reader to exists: a
`docs/….md` path (its `#anchor`, if any, must be a heading of that page), a `README.md#…` section, and a
section named in prose (`README, "Title"`, `docs/x.md, "Title"`). The command's texts are its rendered
`--help` (every command and subcommand) and every string literal of cli/linkpilot_cli (error messages,
descriptions). Links inside the Markdown pages themselves are test_docs.py's business."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from test_docs import anchors, slug

from linkpilot_cli.main import ROOT as LINKPILOT
from linkpilot_cli.main import commands
from linkpilot_cli.registry import load

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "cli" / "linkpilot_cli"

# docs/x.md or README.md, optionally ../-relative (the provider template sits in provider/), optionally with
# an anchor, optionally followed by a section title in quotes: `docs/x.md, "Title"`.
_PAGE = re.compile(
    r"(?<![\w/.-])(?:\.\./)?(?P<page>docs/[\w.-]+\.md|README\.md)(?:#(?P<anchor>[\w-]+))?"
    r"(?:\)?,?\s*[\"“](?P<title>[^\"”]+)[\"”])?"
)
# The README named in prose, with a section title: README, "Title" / the README's "Title" / README: 'Title'.
_README_SECTION = re.compile(r"\bREADME(?:'s)?[,:]?\s+[\"'“](?P<title>[^\"'”]+)[\"'”]")


def references(text: str) -> Iterator[tuple[str, str | None, str | None]]:
    """(page, anchor, section title) for each page the text names."""
    text = re.sub(r"\n[ \t]*#+[ \t]*", " ", text)  # a comment continued on the next line (YAML, TOML)
    text = re.sub(r"\s+", " ", text)  # help text wrapped by click
    for match in _PAGE.finditer(text):
        yield match["page"], match["anchor"], match["title"]
    for match in _README_SECTION.finditer(text):
        yield "README.md", None, match["title"]


def problems(source: str, text: str) -> list[str]:
    found = []
    for page, anchor, title in references(text):
        path = ROOT / page
        if not path.is_file():
            found.append(f"{source}: {page} does not exist")
            continue
        if anchor and anchor not in anchors(path):
            found.append(f"{source}: {page} has no heading #{anchor}")
        if title and slug(title) not in anchors(path):
            found.append(f"{source}: {page} has no section {title!r}")
    return found


def _help_texts() -> Iterator[tuple[str, str]]:
    """Every command's and subcommand's rendered ``--help``, by its whole name."""
    top = click.Context(LINKPILOT, info_name="linkpilot")
    yield "linkpilot --help", LINKPILOT.get_help(top)
    todo = [(top, name, load(name)) for name in commands()]
    while todo:
        parent, name, command = todo.pop(0)
        ctx = click.Context(command, info_name=name, parent=parent)
        yield f"{ctx.command_path} --help", command.get_help(ctx)
        if isinstance(command, click.Group):
            todo += [(ctx, sub, c) for sub, c in command.commands.items()]


def _string_literals() -> Iterator[tuple[str, str]]:
    for path in sorted(CLI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield f"{path.relative_to(ROOT)}:{node.lineno}", node.value


@pytest.mark.parametrize("name", ["template.yaml", "provider/template.yaml", "samconfig.toml"])
def test_the_templates_and_samconfig_name_only_existing_pages(name: str) -> None:
    text = (ROOT / name).read_text()
    assert list(references(text)), f"{name}: no reference found (did the layout change?)"
    found = problems(name, text)
    assert not found, "\n".join(found)


def test_every_help_text_names_only_existing_pages() -> None:
    texts = dict(_help_texts())
    assert {"linkpilot stackset deploy --help", "linkpilot provider status --help"} <= set(texts)
    found = [problem for source, text in texts.items() for problem in problems(source, text)]
    assert not found, "\n".join(found)
    assert any(list(references(text)) for text in texts.values()), "no help text names a page"


def test_every_string_of_the_cli_names_only_existing_pages() -> None:
    literals = list(_string_literals())
    named = [(source, text) for source, text in literals if "docs/" in text or "README" in text]
    assert named, "no string of the CLI names a page (did the layout change?)"
    found = [problem for source, text in named for problem in problems(source, text)]
    assert not found, "\n".join(found)


def test_the_checker_finds_stale_references() -> None:
    stale = {
        "see docs/stackset.md": "docs/stackset.md does not exist",
        "(README, 'Account baseline')": "README.md has no section 'Account baseline'",
        'see the README, "Trust policy reference"': "README.md has no section 'Trust policy reference'",
        '# (README,\n  # "Account baseline")': "README.md has no section 'Account baseline'",
        "docs/deploy.md#no-such-heading": "docs/deploy.md has no heading #no-such-heading",
        '(docs/sam-workflows.md, "Gone")': "docs/sam-workflows.md has no section 'Gone'",
        "README.md#no-such-section": "README.md has no heading #no-such-section",
        "../docs/nope.md": "docs/nope.md does not exist",
    }
    for text, expected in stale.items():
        assert problems("t", text) == [f"t: {expected}"], text
    fine = (
        "docs/deploy.md#account-baseline-the-per-account-values",
        '(docs/sam-workflows.md, "Production deploy")',
        "README.md#quickstart-two-commands",
        "ReadmeUrl: ../docs/sar-readme.md",
        'the README, "Architecture"',
        "devtools/linkpilot_local/README.md",
    )
    for text in fine:
        assert list(references(text)) or text.startswith("devtools"), text
        assert problems("t", text) == [], text
