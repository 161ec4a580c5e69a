"""Checks `sam build` output: every compiled extension in the built artifacts is aarch64 for CPython 3.13.

Usage: python scripts/check_build.py BUILD_DIR [BUILD_DIR ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

EM_AARCH64 = 183  # ELF e_machine for ARM64


def elf_machine(path: Path) -> int | None:
    head = path.read_bytes()[:20]
    if head[:4] != b"\x7fELF":
        return None
    byteorder = "little" if head[5] == 1 else "big"
    return int.from_bytes(head[18:20], byteorder)


def main(argv: list[str]) -> int:
    problems: list[str] = []
    extensions = 0
    for build_dir in map(Path, argv):
        if not build_dir.is_dir():
            problems.append(f"{build_dir}: no build output")
            continue
        for so in build_dir.rglob("*.so"):
            extensions += 1
            machine = elf_machine(so)
            if machine != EM_AARCH64:
                problems.append(f"{so}: ELF machine {machine}, expected aarch64 ({EM_AARCH64})")
            if "cpython-" in so.name and "cpython-313" not in so.name:
                problems.append(f"{so}: not built for CPython 3.13")
    if extensions == 0 and not problems:
        problems.append("no compiled extensions found: the layer should hold pydantic-core")
    for p in problems:
        print(f"check_build: {p}", file=sys.stderr)
    if not problems:
        print(f"check_build: {extensions} compiled extensions, all aarch64 / cpython-313")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
