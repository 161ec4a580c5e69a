"""The locks agree with what the project declares.

Every environment installs from a hashed lock (``make venv``, ``samvenv``, ``checkovvenv``, ``build``), and a
dependency moves only through ``make lock`` / ``make upgrade``. So a declaration edited without re-locking
must fail here: a requirement the lock does not satisfy, or a lock entry whose declaring source no longer
asks for it. Offline: the check reads the files, it does not resolve.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LAYER_LOCK = ROOT / "layers/linkpilot/requirements.txt"
LOCAL_DISTS = {"linkpilot", "linkpilot-local"}


@dataclass
class Pin:
    version: str
    hashes: list[str] = field(default_factory=list)
    via: set[str] = field(default_factory=set)


def read_lock(path: Path) -> dict[str, list[Pin]]:
    """name -> its pins (a universal lock may pin one name twice, under different markers)."""
    pins: dict[str, list[Pin]] = {}
    current: Pin | None = None
    in_via = False
    for raw in path.read_text().splitlines():
        line = raw.strip()
        entry = re.match(r"^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", raw)
        if entry:
            current = Pin(entry[2])
            pins.setdefault(canonicalize_name(entry[1]), []).append(current)
            in_via = False
            continue
        if current is None:
            continue
        if line.startswith("--hash="):
            current.hashes.append(line.removeprefix("--hash=").rstrip(" \\"))
        elif line.startswith("# via"):
            rest = line.removeprefix("# via").strip()
            in_via = not rest
            if rest:
                current.via.add(rest)
        elif in_via and line.startswith("#   "):
            current.via.add(line.removeprefix("#   ").strip())
        else:
            in_via = False
    return pins


def requirements_in(path: Path) -> list[Requirement]:
    out = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            out.append(Requirement(line))
    return out


def pyproject_requirements(path: Path, *extras: str) -> list[Requirement]:
    project = tomllib.loads(path.read_text())["project"]
    names = list(project.get("dependencies", []))
    for extra in extras:
        names += project["optional-dependencies"][extra]
    return [Requirement(n) for n in names]


# lock -> {the "via" name the lock gives a source: what that source declares}
LOCKS: dict[str, dict[str, list[Requirement]]] = {
    "layers/linkpilot/requirements.txt": {
        "-r layers/linkpilot/requirements.in": requirements_in(ROOT / "layers/linkpilot/requirements.in")
    },
    "requirements/dev.txt": {
        "linkpilot": pyproject_requirements(ROOT / "pyproject.toml", "dev"),
        "linkpilot-local": pyproject_requirements(ROOT / "devtools/pyproject.toml"),
        "-r requirements/dev.in": requirements_in(ROOT / "requirements/dev.in"),
    },
    "requirements/cli.txt": {
        "linkpilot": pyproject_requirements(ROOT / "pyproject.toml"),
        "-r requirements/cli.in": requirements_in(ROOT / "requirements/cli.in"),
    },
    **{
        f"requirements/{env}.txt": {
            f"-r requirements/{env}.in": requirements_in(ROOT / f"requirements/{env}.in")
        }
        for env in ("sam", "checkov", "tools")
    },
}


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_pin_is_exact_and_hashed(lock: str) -> None:
    pins = read_lock(ROOT / lock)
    assert pins, f"{lock} pins nothing"
    unhashed = [name for name, versions in pins.items() for pin in versions if not pin.hashes]
    assert not unhashed, f"{lock}: pins without a hash: {unhashed}"
    text = (ROOT / lock).read_text()
    assert "\n-e " not in text, (
        f"{lock}: editable entries cannot be hash-checked; the Makefile installs those"
    )
    assert "#    make lock" in text, f"{lock} was not written by `make lock`"


def unsatisfied(pins: dict[str, list[Pin]], sources: dict[str, list[Requirement]]) -> list[str]:
    problems = []
    for source, declared in sources.items():
        for req in declared:
            name = canonicalize_name(req.name)
            if name in LOCAL_DISTS:
                continue
            versions = [p.version for p in pins.get(name, [])]
            if not versions:
                problems.append(f"{req} (declared by {source}) is not in the lock")
            elif not any(req.specifier.contains(v, prereleases=True) for v in versions):
                problems.append(f"{req} (declared by {source}) is locked at {versions}")
    return problems


def stale(pins: dict[str, list[Pin]], sources: dict[str, list[Requirement]]) -> list[str]:
    declared = {source: {canonicalize_name(r.name) for r in reqs} for source, reqs in sources.items()}
    return [
        f"{name} (the lock says: via {source})"
        for name, versions in pins.items()
        for pin in versions
        for source in pin.via
        if source in declared and name not in declared[source]
    ]


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_the_lock_satisfies_every_declared_requirement(lock: str) -> None:
    problems = unsatisfied(read_lock(ROOT / lock), LOCKS[lock])
    assert not problems, f"{lock} disagrees with the declarations; run `make lock`:\n" + "\n".join(problems)


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_direct_lock_entry_is_still_declared(lock: str) -> None:
    problems = stale(read_lock(ROOT / lock), LOCKS[lock])
    assert not problems, f"{lock} keeps what is no longer declared; run `make lock`:\n" + "\n".join(problems)


@pytest.mark.parametrize("lock", ["requirements/dev.txt", "requirements/cli.txt"])
def test_the_environment_runs_the_layers_versions(lock: str) -> None:
    layer = {name: {p.version for p in pins} for name, pins in read_lock(LAYER_LOCK).items()}
    env = {name: {p.version for p in pins} for name, pins in read_lock(ROOT / lock).items()}
    differ = {
        name: (versions, env[name])
        for name, versions in layer.items()
        if name in env and env[name] != versions
    }
    assert not differ, f"{lock} and the layer's lock pin different versions: {differ}"


def test_the_cli_framework_stays_out_of_the_layer() -> None:
    """click, rich and pyyaml are the CLI's: the functions never import them, the layer never ships them."""
    layer = read_lock(LAYER_LOCK)
    assert not {"click", "rich", "pyyaml"} & set(layer), "the Lambda layer's lock pins what only the CLI uses"
    assert {"click", "rich", "pyyaml"} <= set(read_lock(ROOT / "requirements/cli.txt"))


def test_a_declaration_edited_without_relocking_is_caught(tmp_path: Path) -> None:
    lock = tmp_path / "dev.txt"
    lock.write_text(
        "# This file was autogenerated by uv via the following command:\n#    make lock\n"
        "moto==5.2.5 \\\n    --hash=sha256:00\n    # via linkpilot-local\n"
        "ruff==0.9.0 \\\n    --hash=sha256:11\n    # via\n    #   linkpilot\n    #   other\n"
    )
    pins = read_lock(lock)
    assert pins["ruff"][0].via == {"linkpilot", "other"}
    assert not unsatisfied(pins, {"linkpilot-local": [Requirement("moto>=5.2.5,<5.3")]})
    assert unsatisfied(pins, {"linkpilot-local": [Requirement("moto>=5.3")]}) == [
        "moto>=5.3 (declared by linkpilot-local) is locked at ['5.2.5']"
    ]
    assert unsatisfied(pins, {"linkpilot": [Requirement("mypy")]}) == [
        "mypy (declared by linkpilot) is not in the lock"
    ]
    # ruff dropped from the project's declarations while the lock still installs it for the project
    assert stale(pins, {"linkpilot": [], "linkpilot-local": [Requirement("moto")]}) == [
        "ruff (the lock says: via linkpilot)"
    ]
