"""The python blocks of the Markdown pages, as a reader sees them, and a way to run one.

A page's blocks are read twice: from the source, for the line of each fence, and from the
text pymdownx.snippets expands (with the site's own settings), for the code a reader copies.
pytest-codeblocks collects a fence only when its info string is exactly ``python``, so the
expanded text is normalised first: ``python title="…"``, ``py hl_lines="…"`` and the like
all become ``python``.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import markdown
from mkdocs.config import load_config
from pytest_codeblocks import extract_from_buffer

ROOT = Path(__file__).resolve().parent.parent
PYTHON_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,})[ \t]*(?:python3?|py)\b.*$", re.M)
BLOCK_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class PageBlock:
    """One python block of a page: where its fence is, the code shown, the output shown."""

    source: str  # the page's path relative to the project, as errors name it
    line: int
    code: str
    expected_output: str | None

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"


@cache
def snippet_settings(config_file: Path = ROOT / "mkdocs.yml") -> dict:
    return dict(load_config(str(config_file)).mdx_configs["pymdownx.snippets"])


def expand(page: Path, root: Path = ROOT) -> str:
    """The page's Markdown with every ``--8<--`` include replaced, as the build does it."""
    settings = snippet_settings(root / "mkdocs.yml")
    settings["base_path"] = [str(root / base) for base in settings.get("base_path", ["."])]
    md = markdown.Markdown(
        extensions=["pymdownx.snippets"], extension_configs={"pymdownx.snippets": settings}
    )
    lines = page.read_text(encoding="utf-8").splitlines()
    return "\n".join(md.preprocessors["snippet"].run(lines)) + "\n"


def normalise_fences(text: str) -> str:
    return PYTHON_FENCE.sub(lambda m: f"{m['indent']}{m['fence']}python", text)


def python_blocks(page: Path, root: Path = ROOT) -> list[PageBlock]:
    """Every python block of ``page``, expanded, with the source line of its fence."""
    page, root = page.resolve(), root.resolve()
    normalised_source = normalise_fences(page.read_text(encoding="utf-8"))
    fences = [
        b for b in extract_from_buffer(io.StringIO(normalised_source)) if b.syntax == "python"
    ]
    expanded = extract_from_buffer(io.StringIO(normalise_fences(expand(page, root))))
    blocks = [b for b in expanded if b.syntax == "python"]
    if len(fences) != len(blocks):
        raise AssertionError(
            f"{page}: {len(fences)} python fences but {len(blocks)} after expansion"
        )
    return [
        PageBlock(str(page.relative_to(root)), fence.lineno, block.code, block.expected_output)
        for fence, block in zip(fences, blocks, strict=True)
    ]


def run_block(code: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh, isolated interpreter (no project on the path), as pasted."""
    return subprocess.run(
        [sys.executable, "-I", "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT_SECONDS,
        env={"PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"},
        check=False,
    )


def failure(block: PageBlock, done: subprocess.CompletedProcess) -> str | None:
    """Why the block's run does not match the page, or None when it does."""
    if done.returncode != 0:
        return f"{block.where}: the block raised (exit {done.returncode}):\n{done.stderr}"
    if block.expected_output is not None and done.stdout.rstrip() != block.expected_output.rstrip():
        return (
            f"{block.where}: the block printed\n{done.stdout}\n"
            f"but the page shows\n{block.expected_output}"
        )
    return None


def markdown_pages(docs: Path = ROOT / "docs") -> list[Path]:
    return sorted(docs.rglob("*.md"))
