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

from hooks.snippet_paths import INCLUDE, check_include

ROOT = Path(__file__).resolve().parent.parent
PYTHON_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,})[ \t]*(?:python3?|py)\b.*$", re.M)
BLOCK_TIMEOUT_SECONDS = 60


class PageError(Exception):
    """A page whose blocks cannot be expanded; the message names the page and the line."""


@dataclass(frozen=True)
class PageBlock:
    """One python block of a page: where its fence is, the code shown, the output shown."""

    source: str  # the page's path relative to the project, as errors name it
    line: int
    code: str
    expected_output: str | None
    origins: tuple[str, ...] = ()  # for each line of `code`, where it comes from

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"

    def origin(self, code_line: int) -> str:
        """'docs/p.md:12' or 'docs/p.md:12 (snippets/s.py:check, line 3)' for a line of code."""
        if 1 <= code_line <= len(self.origins):
            return self.origins[code_line - 1]
        return self.where


@cache
def snippet_settings(config_file: Path = ROOT / "mkdocs.yml") -> dict:
    return dict(load_config(str(config_file)).mdx_configs["pymdownx.snippets"])


def expand_lines(lines: list[str], root: Path = ROOT) -> list[str]:
    """``lines`` with every ``--8<--`` include replaced, as the build does it."""
    settings = snippet_settings(root / "mkdocs.yml")
    settings["base_path"] = [str(root / base) for base in settings.get("base_path", ["."])]
    md = markdown.Markdown(
        extensions=["pymdownx.snippets"], extension_configs={"pymdownx.snippets": settings}
    )
    return md.preprocessors["snippet"].run(lines)


def expand(page: Path, root: Path = ROOT) -> str:
    """The page's Markdown with every ``--8<--`` include replaced, as the build does it."""
    return "\n".join(expand_lines(page.read_text(encoding="utf-8").splitlines(), root)) + "\n"


def include_problems(page: Path, root: Path = ROOT) -> list[str]:
    """'docs/p.md:LINE: why' for every include of ``page`` that points nowhere."""
    bases = [str(root / base) for base in snippet_settings(root / "mkdocs.yml")["base_path"]]
    lines = page.read_text(encoding="utf-8").splitlines()
    return [
        f"{page.relative_to(root)}:{number}: {problem}"
        for number, line in enumerate(lines, 1)
        if (match := INCLUDE.match(line)) and (problem := check_include(match["target"], bases))
    ]


def line_origins(page: Path, fence_line: int, root: Path = ROOT) -> tuple[str, ...]:
    """For each line the block at ``fence_line`` expands to: its page line, and its snippet."""
    lines = page.read_text(encoding="utf-8").splitlines()
    source = str(page.relative_to(root))
    opening = lines[fence_line - 1]
    closing = opening[: len(opening) - len(opening.lstrip())] + opening.strip()[:3]
    origins: list[str] = []
    for number in range(fence_line + 1, len(lines) + 1):
        line = lines[number - 1]
        if line.rstrip() == closing:
            break
        match = INCLUDE.match(line)
        if match is None:
            origins.append(f"{source}:{number}")
            continue
        included = expand_lines([line.strip()], root)
        origins += [
            f"{source}:{number} ({match['target']}, line {k})" for k in range(1, 1 + len(included))
        ]
    return tuple(origins)


def normalise_fences(text: str) -> str:
    return PYTHON_FENCE.sub(lambda m: f"{m['indent']}{m['fence']}python", text)


def python_blocks(page: Path, root: Path = ROOT) -> list[PageBlock]:
    """Every python block of ``page``, expanded, with the source line of its fence."""
    page, root = page.resolve(), root.resolve()
    if problems := include_problems(page, root):
        raise PageError("\n".join(problems))
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
        PageBlock(
            str(page.relative_to(root)),
            fence.lineno,
            block.code,
            block.expected_output,
            line_origins(page, fence.lineno, root),
        )
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


STRING_LINE = re.compile(r'File "<string>", line (\d+)')


def failure(block: PageBlock, done: subprocess.CompletedProcess) -> str | None:
    """Why the block's run does not match the page, or None when it does."""
    if done.returncode != 0:
        lines = STRING_LINE.findall(done.stderr)
        at = f" at {block.origin(int(lines[-1]))}" if lines else ""
        printed = f"It printed:\n{done.stdout}" if done.stdout.strip() else "It printed nothing."
        return (
            f"{block.where}: the block raised (exit {done.returncode}){at}:\n{done.stderr}{printed}"
        )
    if block.expected_output is not None and done.stdout.rstrip() != block.expected_output.rstrip():
        return (
            f"{block.where}: the block printed\n{done.stdout}\n"
            f"but the page shows\n{block.expected_output}"
        )
    return None


def markdown_pages(docs: Path = ROOT / "docs") -> list[Path]:
    return sorted(docs.rglob("*.md"))


def collect_blocks(pages: list[Path], root: Path = ROOT) -> tuple[list[PageBlock], dict[str, str]]:
    """(every block of the pages that expand, {page: why} for those that do not)."""
    blocks, broken = [], {}
    for page in pages:
        try:
            blocks += python_blocks(page, root)
        except PageError as error:
            broken[str(page.relative_to(root))] = str(error)
    return blocks, broken
