"""A row of the cheat sheet, declared by the snippet module of the page that derives it.

A page's module lists its rows in ``CHEAT_SHEET`` and the text of the link to its page in
``CHEAT_SHEET_LINK``, both at module level and outside every ``--8<--`` section (page blocks run
with numpy alone). tools/cheatsheet.py (``make cheatsheet``) renders every module's rows into the
tables of docs/cheatsheet.md, page by page in the order of the nav; tests/test_cheatsheet.py fails
when the page is not what it renders. No page of its own: a helper of every page's module.
"""

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Row:
    """One row of a cheat-sheet table; every cell is Markdown with LaTeX, as the page shows it.

    table: the heading of its table, "Core", "Layers" or "Identities and modes";
    operation: the first cell, what is differentiated;
    jacobian, vjp: the two formula cells of the Core and Layers tables;
    derivative: the one formula cell of the Identities and modes table;
    functions: the module's functions that compute it, as the code cell names them;
    anchor: the id of the heading of the page the row links to, or "" for the page itself.
    """

    table: str
    operation: str
    functions: tuple[str, ...]
    jacobian: str = ""
    vjp: str = ""
    derivative: str = ""
    anchor: str = ""
