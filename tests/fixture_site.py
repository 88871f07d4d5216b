"""A tiny project that inherits the real mkdocs.yml, for tests that must see a build fail.

It shares the real hooks, theme overrides and snippet helpers, so a fault planted in it meets
exactly the checks the real site has, without building the whole site.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

from tests.pages import ROOT


def make_project(root: Path, pages: dict[str, str], snippets: dict[str, str] | None = None) -> Path:
    """Write ``pages`` (path under docs/ → text) and ``snippets`` into a project at ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for shared in ("hooks", "overrides"):
        (root / shared).symlink_to(ROOT / shared)
    (root / "snippets").mkdir()
    shutil.copy(ROOT / "snippets" / "gradcheck.py", root / "snippets" / "gradcheck.py")
    for name, text in (snippets or {}).items():
        (root / "snippets" / name).write_text(text)
    for name, text in pages.items():
        path = root / "docs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    nav = [{Path(name).stem: name} for name in pages]
    config = {"INHERIT": str(ROOT / "mkdocs.yml"), "nav": nav}
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root


def notebook(*cells: str) -> str:
    """A notebook whose cells are code, except those starting with '#' (Markdown)."""
    book = nbformat.v4.new_notebook()
    book.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    book.cells = [
        nbformat.v4.new_markdown_cell(c) if c.startswith("#") else nbformat.v4.new_code_cell(c)
        for c in cells
    ]
    return nbformat.writes(book)


def build(project: Path) -> subprocess.CompletedProcess:
    """``mkdocs build --strict`` in ``project``; output and exit code."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=project,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "VERIFICATION_RECORD"}
        | {"NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
        check=False,
    )
