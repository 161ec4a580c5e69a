"""Checks `sam build` output: the layer holds its packages, every compiled extension in the built artifacts
(if any: the layer's pinned requirements are pure Python today) is aarch64 for CPython 3.13, and no operator
CLI or development tooling was packaged (the layer holds only what the functions import).

Usage: python scripts/check_build.py BUILD_DIR [BUILD_DIR ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

EM_AARCH64 = 183  # ELF e_machine for ARM64
# never in a Lambda artifact: the operator CLI and the local AWS / demo tooling
NOT_SHIPPED = ("linkpilot_cli", "linkpilot_local", "linkpilot_demo", "linkpilot/commands", "linkpilot/cli.py")
# what the consumer build's layer must hold (layers/linkpilot/requirements.txt and the package itself)
LAYER_PACKAGES = ("linkpilot", "aws_lambda_powertools", "boto3", "botocore")


def elf_machine(path: Path) -> int | None:
    head = path.read_bytes()[:20]
    if head[:4] != b"\x7fELF":
        return None
    byteorder = "little" if head[5] == 1 else "big"
    return int.from_bytes(head[18:20], byteorder)


def main(argv: list[str]) -> int:
    problems: list[str] = []
    extensions = 0
    packages: set[str] = set()
    for build_dir in map(Path, argv):
        if not build_dir.is_dir():
            problems.append(f"{build_dir}: no build output")
            continue
        for path in build_dir.rglob("*"):
            rel = path.relative_to(build_dir).as_posix()
            if any(part in rel for part in NOT_SHIPPED):
                problems.append(f"{path}: operator or development code in a Lambda artifact")
                break
        packages.update(p.name for p in build_dir.glob("*/python/*") if p.is_dir())
        for so in build_dir.rglob("*.so"):
            extensions += 1
            machine = elf_machine(so)
            if machine != EM_AARCH64:
                problems.append(f"{so}: ELF machine {machine}, expected aarch64 ({EM_AARCH64})")
            if "cpython-" in so.name and "cpython-313" not in so.name:
                problems.append(f"{so}: not built for CPython 3.13")
    missing = [name for name in LAYER_PACKAGES if name not in packages]
    if missing:
        problems.append(f"no layer holds {', '.join(missing)} (expected BUILD_DIR/LAYER/python/PACKAGE)")
    for p in problems:
        print(f"check_build: {p}", file=sys.stderr)
    if not problems:
        print(f"check_build: {extensions} compiled extensions, all aarch64 / cpython-313")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
