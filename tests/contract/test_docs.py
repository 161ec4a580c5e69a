"""The README and the guides in docs/ link only to what exists: every relative link names an existing file,
every `#anchor` names a heading of the file it points at, every guide is reachable from the README, and no
page shows a path of the machine it was written on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# Guides written on another branch at the same time; their links are checked as soon as the file exists.
WRITTEN_ELSEWHERE = {ROOT / "docs" / "aws-behaviour.md"}

_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|root|home|Users|tmp|private/var)/")


def _prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks (what a reader sees rendered as text)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup and punctuation dropped, lower case, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading anchors on its text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    result = set()
    for line in _prose_lines(page.read_text()):
        match = _HEADING.match(line)
        if match:
            base = slug(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            result.add(base if count == 0 else f"{base}-{count}")  # GitHub numbers repeated headings
    return result


def links(page: Path) -> list[str]:
    found = []
    for line in _prose_lines(page.read_text()):
        # a code span cannot hold a link, but a link's text can hold a code span: blank the spans' contents
        found.extend(_LINK.findall(_CODE_SPAN.sub("`code`", line)))
    return found


def _relative(target: str) -> bool:
    return re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) is None  # no scheme: http:, mailto:, ...


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    problems = []
    for target in filter(_relative, links(page)):
        path_part, _, fragment = target.partition("#")
        file = (page.parent / path_part).resolve() if path_part else page
        if not file.is_relative_to(ROOT):
            problems.append(f"{target}: outside the repository")
        elif not file.exists():
            if file not in WRITTEN_ELSEWHERE:
                problems.append(f"{target}: no such file")
        elif fragment and file.suffix == ".md" and fragment not in anchors(file):
            problems.append(f"{target}: no heading with the anchor #{fragment} in {file.relative_to(ROOT)}")
    assert not problems, f"{page.relative_to(ROOT)}: " + "; ".join(problems)


def test_every_guide_is_linked_from_the_readme() -> None:
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in links(ROOT / "README.md") if _relative(t)}
    for guide in PAGES[1:]:
        assert guide in linked, f"README.md does not link {guide.relative_to(ROOT)}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_machine_paths(page: Path) -> None:
    hits = [line.strip() for line in page.read_text().splitlines() if _MACHINE_PATH.search(line)]
    assert not hits, f"{page.relative_to(ROOT)} shows paths of a machine: {hits}"


def test_the_checker_reads_markdown_as_github_renders_it(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n"
        "## Never what the policy forbids — property-based tests\n"
        "### The benchmark report (`make bench`)\n"
        "## Errors\n"
        "## Errors\n"
        "See [`linkpilot probe`](other.md#linkpilot-probe) and ![a diagram](img.png).\n"
        "In code, `[not](a-link.md)` is text.\n"
        "```sh\n"
        "# a comment, not a heading\n"
        "echo [not](a-link-either.md)\n"
        "```\n"
    )
    assert anchors(page) == {
        "title",
        "never-what-the-policy-forbids--property-based-tests",
        "the-benchmark-report-make-bench",
        "errors",
        "errors-1",
    }
    assert links(page) == ["other.md#linkpilot-probe"]


def test_the_readme_layout_matches_the_folders() -> None:
    """Every path the README's repository layout names exists (the diagram follows the folders)."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Repository layout", 1)[1].split("```text", 1)[1].split("```", 1)[0]
    parents: list[tuple[int, str]] = []
    checked = 0
    for line in block.splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        first = line.strip().split()[0]
        if not (first.endswith("/") or first.endswith((".py", ".yaml", ".py,"))):
            continue
        parents = [(i, p) for i, p in parents if i < indent]
        base = parents[-1][1] if parents else ""
        names = [n.strip(",") for n in line.strip().split("  ")[0].split()]
        for name in names:
            path = base + name
            assert (ROOT / path).exists(), f"the README layout names {path}, which does not exist"
            checked += 1
        if first.endswith("/"):
            parents.append((indent, base + first))
    assert checked >= 20
