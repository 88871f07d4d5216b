"""Every python block of every page runs alone, as copied, and prints what the page shows."""

import ast
import sys

import pytest

from tests.pages import ROOT, collect_blocks, failure, markdown_pages, run_block

BLOCKS, BROKEN = collect_blocks(markdown_pages())
ALLOWED_IMPORTS = {"numpy"} | set(sys.stdlib_module_names)


@pytest.mark.parametrize("page", [p.relative_to(ROOT) for p in markdown_pages()], ids=str)
def test_page_blocks_expand(page):
    """A page with an include that points nowhere fails here, alone; the others still run."""
    assert str(page) not in BROKEN, BROKEN.get(str(page))


@pytest.mark.parametrize("block", BLOCKS, ids=[block.where for block in BLOCKS])
def test_block_runs_alone_as_copied(block, tmp_path):
    problem = failure(block, run_block(block.code, cwd=tmp_path))
    assert problem is None, problem


@pytest.mark.parametrize("block", BLOCKS, ids=[block.where for block in BLOCKS])
def test_block_imports_numpy_and_the_standard_library_only(block):
    imported = set()
    for node in ast.walk(ast.parse(block.code)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= ALLOWED_IMPORTS, (
        f"{block.where}: imports {sorted(imported - ALLOWED_IMPORTS)}"
    )


def test_every_derivation_page_has_blocks():
    pages_with_snippets = {p.stem for p in (ROOT / "snippets").glob("*.py")} - {
        "__init__",
        "gradcheck",
        "figures",  # the Figure a page's structure_figure() returns; no page of its own
        "cheatsheet_rows",  # the Row of the cheat sheet a page's module declares; no page either
    }
    pages_with_blocks = {ROOT.joinpath(b.source).stem for b in BLOCKS}
    assert pages_with_snippets <= pages_with_blocks, (
        f"snippets without a page block: {sorted(pages_with_snippets - pages_with_blocks)}"
    )


SHARED = "snippets/gradcheck.py"
# Lines a reader passes before a block's own first line: `import numpy as np` and a blank line.
# It was 27 on every block when each opened with all of the shared helpers.
MOST_LINES_BEFORE_THE_POINT = 2


def lines_before_the_point(block) -> int:
    """How many lines of ``block`` come before the first one its page's own snippet gives."""
    own = [SHARED not in origin for origin in block.origins]
    return own.index(True) if True in own else len(own)


@pytest.mark.parametrize("block", BLOCKS, ids=[block.where for block in BLOCKS])
def test_block_shows_its_own_lines_first(block):
    before = lines_before_the_point(block)
    assert before <= MOST_LINES_BEFORE_THE_POINT, (
        f"{block.where}: {before} shared lines before the page's own; include "
        f'"{SHARED}:numpy" first and "{SHARED}:helpers" after the page\'s functions'
    )


def test_lines_before_the_point_counts_the_shared_preamble():
    shared = f"docs/p.md:3 ({SHARED}:helpers, line 1)"
    planted = type("Block", (), {"origins": (shared, shared, "docs/p.md:4 (snippets/p.py:f)")})
    assert lines_before_the_point(planted) == 2
    assert lines_before_the_point(type("Block", (), {"origins": (shared,)})) == 1


def test_the_shared_lines_fit_the_block_at_1280_px():
    """A code block shows about 83 columns at 1280 px; the helpers every block carries keep 80."""
    lines = (ROOT / SHARED).read_text(encoding="utf-8").splitlines()
    start = lines.index("# --8<-- [start:helpers]")
    end = lines.index("# --8<-- [end:helpers]")
    wide = [n for n, line in enumerate(lines[start:end], start + 1) if len(line) > 80]
    assert not wide, f"{SHARED}: lines {wide} are wider than 80 columns"
