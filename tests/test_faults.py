"""Bad input from a contributor fails the build or the suite, naming the file and the line.

Each case plants one fault in a tiny project that inherits the real mkdocs.yml, hooks and
helpers (tests/fixture_site.py), and checks what a contributor would read.
"""

import re

import pytest

from tests.fixture_site import build, make_project, notebook
from tests.pages import collect_blocks, failure, python_blocks, run_block
from tests.site_checks import remote_resources

HOME = "# Home\n\nText with $x W + b$.\n"
# Real pages open with front matter, which MkDocs strips before hooks see the page: every
# fixture page has some, so a line number counted without it is caught (4 lines here).
FRONT = "---\ndescription: A fixture page.\n---\n\n"

BUILD_FAULTS = {
    "malformed LaTeX": (
        {"bad.md": FRONT + "# Bad\n\nFine $x$.\n\nBroken $\\frac{a}{$ here.\n"},
        ["docs/bad.md:9", "\\\\frac{a}{", "KaTeX"],
    ),
    "missing snippet": (
        {"bad.md": FRONT + '# Bad\n\n```python\n--8<-- "snippets/nowhere.py"\n```\n'},
        ["docs/bad.md:8: snippet file 'snippets/nowhere.py' not found"],
    ),
    "unknown snippet section": (
        {"bad.md": FRONT + '# Bad\n\n```python\n--8<-- "snippets/gradcheck.py:nope"\n```\n'},
        ["docs/bad.md:8: section 'nope' not found in snippets/gradcheck.py"],
    ),
    "broken link": (
        {"bad.md": FRONT + "# Bad\n\nSee [the missing page](missing.md).\n"},
        ["Doc file 'bad.md' contains a link 'missing.md'"],
    ),
    "missing anchor": (
        {"bad.md": FRONT + "# Bad\n\nSee [home](index.md#no-such-heading).\n"},
        ["Doc file 'bad.md' contains a link 'index.md#no-such-heading'"],
    ),
    "notebook link to a missing page": (
        {
            "notebooks/bad.ipynb": notebook(
                "# Bad", "x = 1", "# See [the page](../missing.md#here)."
            )
        },
        ["docs/notebooks/bad.ipynb: cell 3: link '../missing.md' points to no page"],
    ),
    "raising notebook cell": (
        {"notebooks/bad.ipynb": notebook("# Bad", "x = 1", "raise ValueError('planted')")},
        ["docs/notebooks/bad.ipynb: cell 3 raised ValueError: planted"],
    ),
}


@pytest.mark.parametrize("fault", BUILD_FAULTS)
def test_build_fails_naming_the_place(fault, tmp_path):
    pages, expected = BUILD_FAULTS[fault]
    done = build(make_project(tmp_path, {"index.md": HOME, **pages}))
    log = done.stdout + done.stderr
    assert done.returncode != 0, f"{fault}: the build passed\n{log}"
    for words in expected:
        assert words in log, f"{fault}: {words!r} not in the build log:\n{log}"


def test_notebook_links_to_pages_are_resolved(tmp_path):
    book = notebook("# Links", "# See [home](../index.md) and [its math](../index.md#home).")
    project = make_project(tmp_path, {"index.md": HOME, "notebooks/links.ipynb": book})
    done = build(project)
    assert done.returncode == 0, done.stdout + done.stderr
    html = (project / "site" / "notebooks" / "links" / "index.html").read_text()
    assert 'href="../../"' in html and 'href="../../#home"' in html
    assert not re.search(r'href="[^"]*\.md[#"]', html), "a link to a .md file is left"


def test_clean_fixture_builds(tmp_path):
    """The control case: the same fixture without a fault builds."""
    done = build(make_project(tmp_path, {"index.md": HOME}))
    assert done.returncode == 0, done.stdout + done.stderr


def test_remote_script_or_font_in_a_page_is_named(tmp_path):
    page = (
        "# Bad\n\n<script src='https://cdn.example.org/x.js'></script>\n\n"
        '<link rel="stylesheet" href="//fonts.example.org/css?family=X">\n'
    )
    project = make_project(tmp_path, {"index.md": HOME, "bad.md": page})
    assert build(project).returncode == 0
    found = remote_resources(project / "site" / "bad" / "index.html")
    assert len(found) == 2
    assert all("site/bad/index.html:" in finding for finding in found)
    assert "https://cdn.example.org/x.js" in found[0] and "//fonts.example.org" in found[1]


AFFINE_VJP = '''
import numpy as np

# --8<-- [start:functions]
def affine_input_vjp(W, g):
    """gx = g Wᵀ for r = xW + b; g is 1×m, W is n×m."""
    return g @ W{transpose}
# --8<-- [end:functions]
'''
AFFINE_PAGE = (
    FRONT
    + """# Affine

Check:

```python title="the input VJP"
--8<-- "snippets/gradcheck.py:numpy"
--8<-- "snippets/affine_fixture.py:functions"
--8<-- "snippets/gradcheck.py:helpers"
rng = np.random.default_rng(0)
x, W, g = rng.standard_normal((1, 3)), rng.standard_normal((3, 3)), rng.standard_normal((1, 3))
numeric = g @ numerical_jacobian(lambda x: x @ W, x)
assert compare("gx", affine_input_vjp(W, g), numeric)
```
"""
)

# fault: (snippet, what the message must say: the error, where, what the block printed)
BLOCK_FAULTS = {
    "gradient off by a transpose": (
        AFFINE_VJP.format(transpose=""),
        ["AssertionError", "at docs/affine.md:16:", "gx: DIFFERS"],
    ),
    "snippet with a syntax error": (
        AFFINE_VJP.format(transpose=".T)"),
        ["SyntaxError", "at docs/affine.md:11 (snippets/affine_fixture.py:functions, line 3)"],
    ),
    "correct gradient (control)": (AFFINE_VJP.format(transpose=".T"), None),
}


@pytest.mark.parametrize("fault", BLOCK_FAULTS)
def test_page_block_fails_naming_page_and_line(fault, tmp_path):
    snippet, said = BLOCK_FAULTS[fault]
    project = make_project(tmp_path, {"affine.md": AFFINE_PAGE}, {"affine_fixture.py": snippet})
    [block] = python_blocks(project / "docs" / "affine.md", root=project)
    problem = failure(block, run_block(block.code, cwd=tmp_path))
    if said is None:
        assert problem is None, problem
    else:
        assert problem is not None and problem.startswith("docs/affine.md:9: the block raised")
        for words in said:
            assert words in problem, f"{words!r} not in:\n{problem}"


def test_missing_section_is_named_and_the_other_blocks_still_run(tmp_path):
    good = FRONT + "# Good\n\n```python\nprint('ran')\n```\n"
    bad = FRONT + '# Bad\n\n```python\n--8<-- "snippets/gradcheck.py:chek"\n```\n'
    project = make_project(tmp_path, {"good.md": good, "bad.md": bad})
    pages = sorted((project / "docs").glob("*.md"))
    blocks, broken = collect_blocks(pages, root=project)
    assert [block.where for block in blocks] == ["docs/good.md:7"]
    assert broken == {
        "docs/bad.md": "docs/bad.md:8: section 'chek' not found in snippets/gradcheck.py"
    }


def test_raising_page_block_is_named(tmp_path):
    page = FRONT + "# P\n\nText.\n\n```python\nimport numpy as np\nnp.ones(3) @ np.ones(4)\n```\n"
    project = make_project(tmp_path, {"p.md": page})
    [block] = python_blocks(project / "docs" / "p.md", root=project)
    problem = failure(block, run_block(block.code, cwd=tmp_path))
    assert problem.startswith("docs/p.md:9: the block raised (exit 1) at docs/p.md:11:")
    assert "ValueError" in problem


def test_printed_output_must_match_the_page(tmp_path):
    page = FRONT + (
        "# P\n\n```python\nprint('matches')\n```\n\n"
        "<!--pytest-codeblocks:expected-output-->\n```text\nDIFFERS\n```\n"
    )
    project = make_project(tmp_path, {"p.md": page})
    [block] = python_blocks(project / "docs" / "p.md", root=project)
    problem = failure(block, run_block(block.code, cwd=tmp_path))
    assert problem.startswith("docs/p.md:7: the block printed")
