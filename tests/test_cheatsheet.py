"""docs/cheatsheet.md: every function it names exists in the snippet module of the page it links."""

import ast
import re

import pytest

from tests.pages import ROOT

ROW = re.compile(r"^\|.*\[[^\]]+\]\((?P<page>\w+)\.md[^)]*\) · (?P<code>.+?) \|$", re.M)
CHEATSHEET = (ROOT / "docs" / "cheatsheet.md").read_text(encoding="utf-8")
ROWS = [
    (m["page"], name)
    for m in ROW.finditer(CHEATSHEET)
    for name in re.findall(r"`(\w+)`", m["code"])
]


def functions_of(page: str) -> set[str]:
    tree = ast.parse((ROOT / "snippets" / f"{page}.py").read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_every_row_names_code():
    rows = [line for line in CHEATSHEET.splitlines() if line.startswith("| ") and ".md" in line]
    assert len(ROW.findall(CHEATSHEET)) == len(rows) >= 25


@pytest.mark.parametrize(("page", "function"), ROWS, ids=[f"{p}:{f}" for p, f in ROWS])
def test_named_function_is_in_the_pages_snippet(page, function):
    assert function in functions_of(page), (
        f"cheatsheet.md names {function}, not in snippets/{page}.py"
    )


def test_every_derivation_page_is_on_the_cheat_sheet():
    shared = {"__init__", "gradcheck", "figures"}  # helpers of every page, no page of their own
    derivations = {p.stem for p in (ROOT / "snippets").glob("*.py")} - shared
    listed = {page for page, _ in ROWS} | {"conventions", "three_ways", "pitfalls"}
    assert derivations <= listed, f"missing from the cheat sheet: {sorted(derivations - listed)}"
