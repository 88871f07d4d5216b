"""Fail the build on an include that points nowhere, naming the page and the line.

pymdownx.snippets (``check_paths: true``) already refuses a missing file, but its error names
neither the page nor the line. This hook checks every one-line include,
``--8<-- "path"`` or ``--8<-- "path:section"``, before the page is converted. MkDocs hands it
the Markdown without the page's front matter, so line numbers are counted from the file itself.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from mkdocs.exceptions import PluginError

INCLUDE = re.compile(r'^\s*-{1,}8<-{1,}\s+"(?P<target>[^"]+)"\s*$')


def on_page_markdown(markdown, page, config, files):
    bases = config.mdx_configs.get("pymdownx.snippets", {}).get("base_path", ["."])
    source = (
        os.path.relpath(page.file.abs_src_path) if page.file.abs_src_path else page.file.src_uri
    )
    offset = front_matter_lines(page.file.abs_src_path, markdown)
    problems = [
        f"{source}:{number + offset}: {problem}"
        for number, line in enumerate(markdown.splitlines(), 1)
        if (match := INCLUDE.match(line)) and (problem := check_include(match["target"], bases))
    ]
    if problems:
        raise PluginError("Snippet includes that point nowhere:\n  " + "\n  ".join(problems))
    return markdown


def front_matter_lines(path: str | None, markdown: str) -> int:
    """How many lines of the file at ``path`` come before ``markdown`` (its front matter)."""
    if not path or not Path(path).is_file():
        return 0
    text = Path(path).read_text(encoding="utf-8")
    body = markdown.rstrip("\n")
    start = text.find(body) if body else -1
    return text.count("\n", 0, start) if start > 0 else 0


def check_include(target: str, bases: list[str]) -> str | None:
    """Why ``path[:section | :start:end]`` cannot be included, or None when it can."""
    path, _, selector = target.partition(":")
    found = next((Path(base) / path for base in bases if (Path(base) / path).is_file()), None)
    if found is None:
        return f"snippet file {path!r} not found"
    section = selector.split(":")[0]
    if section and not section.isdigit():
        marker = f"--8<-- [start:{section}]"
        if marker not in found.read_text(encoding="utf-8"):
            return f"section {section!r} not found in {path}"
    return None
