"""Rewrite the printed outputs that pages show under their python blocks, from a run of each block.

Usage: python tools/update_examples.py [NAME ...]    (or: make examples [NAME=…]; all pages if none)
Each block that is followed by `<!--pytest-codeblocks:expected-output-->` and a text fence is run
alone, as the suite runs it; the fence's lines are replaced by what it printed. A block that
raises is reported and its output left as it was. The suite still fails on any output that
differs: this is how a contributor asks for the update, on purpose.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pages import collect_blocks, run_block  # noqa: E402

MARKER = "<!--pytest-codeblocks:expected-output-->"


def output_fence(lines: list[str], fence_line: int) -> tuple[int, int, str]:
    """(first, end, indent): lines[first:end] are the output shown for the block at fence_line."""
    opening = lines[fence_line - 1]
    closing = opening[: len(opening) - len(opening.lstrip())] + opening.strip()[:3]
    end_of_block = next(i for i in range(fence_line, len(lines)) if lines[i].rstrip() == closing)
    marker = next(i for i in range(end_of_block + 1, len(lines)) if lines[i].strip())
    if lines[marker].strip() != MARKER:
        raise LookupError("no expected output")
    start = marker + 1
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    fence = lines[start].strip()[:3]
    end = next(i for i in range(start + 1, len(lines)) if lines[i].strip() == fence)
    return start + 1, end, indent


def update(page: Path, root: Path = ROOT) -> list[str]:
    """Rewrite the outputs of `page` in place; what changed or failed, one line each."""
    blocks, broken = collect_blocks([page], root)
    said = list(broken.values())
    lines = page.read_text(encoding="utf-8").splitlines()
    with tempfile.TemporaryDirectory() as folder:
        for block in reversed(blocks):  # from the bottom, so earlier line numbers hold
            if block.expected_output is None:
                continue
            done = run_block(block.code, Path(folder))
            if done.returncode != 0:
                said.append(f"{block.where}: the block raised; its output is left as it was")
                continue
            first, end, indent = output_fence(lines, block.line)
            printed = [indent + line if line else "" for line in done.stdout.rstrip().split("\n")]
            if lines[first:end] != printed:
                lines[first:end] = printed
                said.append(f"{block.where}: output rewritten")
    page.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return said


def main(argv: list[str]) -> int:
    docs = ROOT / "docs"
    pages = [docs / f"{name}.md" for name in argv] if argv else sorted(docs.rglob("*.md"))
    said = [line for page in pages for line in update(page)]
    print("\n".join(said) or "every output already as printed")
    return 1 if any("raised" in line or "not found" in line for line in said) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
