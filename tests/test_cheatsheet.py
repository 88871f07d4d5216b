"""docs/cheatsheet.md: its tables are the rows the snippet modules declare, as `make cheatsheet`
writes them; every function a row names is a function of its page's module; every derivation
page has a row."""

import dataclasses
import inspect

import pytest

from snippets.cheatsheet_rows import Row
from tests.pages import ROOT
from tools.cheatsheet import (
    END,
    PAGE,
    START,
    collect,
    generate,
    nav_pages,
    out_of_date,
    problems_of,
    replace_region,
    snippet_module,
)

PLACED = collect(ROOT)
NAMED = [(p.page, name) for p in PLACED for name in p.row.functions]
# Modules with no page of their own, helpers of every page's module.
SHARED = {"__init__", "gradcheck", "figures", "cheatsheet_rows"}
# Derivation pages whose module derives nothing the cheat sheet lists: each one's functions are
# there under another page (conventions: the affine layer's; three_ways: the network's; pitfalls:
# the mistakes, beside the right forms).
NO_ROW = {"conventions", "three_ways", "pitfalls"}
ROWS_BEFORE_GENERATION = 57  # the hand-written tables had 57; a row dropped by mistake fails here


def test_page_is_what_make_cheatsheet_writes():
    current = (ROOT / PAGE).read_text(encoding="utf-8")
    problem = out_of_date(current, generate(ROOT))
    assert problem is None, problem


def test_a_stale_page_fails_with_its_diff(tmp_path):
    expected = generate(ROOT)
    row = next(line for line in expected.splitlines() if "`affine_vjp`" in line)
    stale = tmp_path / "cheatsheet.md"
    stale.write_text(expected.replace(row, row.replace("W^\\top", "W"), 1), encoding="utf-8")
    problem = out_of_date(stale.read_text(encoding="utf-8"), expected)
    assert problem is not None
    assert problem.startswith("docs/cheatsheet.md is out of date: run `make cheatsheet`\n")
    assert f"\n+{row}\n" in problem + "\n" and "\n-| $r = xW + b$, input | $W$ |" in problem
    assert len(problem.splitlines()) < 12, "the diff is short: the changed row and its context"


def test_every_table_row_of_the_page_is_a_declared_row():
    text = (ROOT / PAGE).read_text(encoding="utf-8")
    region = text[text.index(START) : text.index(END)]
    rows = [line for line in text.splitlines() if line.startswith("| ") and ".md" in line]
    assert all(f"\n{row}\n" in region for row in rows)
    assert len(rows) == len(PLACED) >= ROWS_BEFORE_GENERATION


def test_rows_follow_the_nav_then_their_declaration():
    nav = nav_pages((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    order = [nav.index(p.page) for p in PLACED]
    assert order == sorted(order)
    declared = [p.row for p in PLACED if p.page == "traces_norms"]
    assert declared == snippet_module(ROOT, "traces_norms").CHEAT_SHEET


@pytest.mark.parametrize(("page", "function"), NAMED, ids=[f"{p}:{f}" for p, f in NAMED])
def test_named_function_is_a_function_of_the_pages_snippet(page, function):
    module = snippet_module(ROOT, page)
    found = getattr(module, function, None)
    assert inspect.isfunction(found) and found.__module__ == module.__name__, (
        f"snippets/{page}.py declares a cheat-sheet row naming {function}, "
        "which is not a function defined there"
    )


def test_every_derivation_page_declares_a_row():
    derivations = {p.stem for p in (ROOT / "snippets").glob("*.py")} - SHARED
    listed = {p.page for p in PLACED} | NO_ROW
    assert derivations <= listed, (
        f"no CHEAT_SHEET row in snippets/PAGE.py for: {sorted(derivations - listed)}"
    )


def test_a_row_the_tables_cannot_show_is_refused():
    good = Row(table="Layers", operation="$y$", jacobian="$J$", vjp="$gJ$", functions=("f",))
    assert problems_of("p", good, Row) == []
    bad = {
        "no table 'Misc'": dataclasses.replace(good, table="Misc"),
        "vjp is empty": dataclasses.replace(good, vjp=" "),
        "derivative is not a column": dataclasses.replace(good, derivative="$A$"),
        "operation holds '|'": dataclasses.replace(good, operation=r"$\|x\|$"),
        "functions must be a tuple": dataclasses.replace(good, functions="f"),
        "is not a snippets.cheatsheet_rows.Row": {"table": "Layers"},
    }
    for words, row in bad.items():
        (problem,) = problems_of("p", row, Row)
        assert problem.startswith("snippets/p.py: CHEAT_SHEET row ") and words in problem, problem


def test_the_generated_region_needs_both_markers():
    text = f"# Cheat sheet\n\n{START}\n\nold\n\n{END}\n\nhand-written\n"
    assert replace_region(text, "new") == text.replace("old", "new")
    for broken in (text.replace(START, ""), text.replace(END, ""), f"{END}\n{START}\n"):
        with pytest.raises(ValueError, match="needs the lines"):
            replace_region(broken, "new")


def test_nav_pages_are_the_markdown_pages_in_order():
    config = "site_name: x\nnav:\n  - Home: index.md\n  - Part:\n      - B: b.md\n      - a.md\n"
    config += "      - Book: notebooks/n.ipynb\n"
    assert nav_pages(config) == ["index", "b", "a"]
