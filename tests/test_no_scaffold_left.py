"""No placeholder of `make new` reaches the site: each one left is named with its file and line."""

import pytest

from tests.pages import ROOT

MARK = "SCAFF" + "OLD:"  # spelt in two so that this file does not carry the mark
CHECKED = ["docs/**/*.md", "snippets/*.py", "tests/test_*.py", "mkdocs.yml"]


def marks(root=ROOT):
    """'path:line: text' for every line under `root` that still carries the mark."""
    files = sorted({path for pattern in CHECKED for path in root.glob(pattern)})
    return [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if MARK in line
    ]


@pytest.mark.parametrize("root", [ROOT], ids=["project"])
def test_no_placeholder_left(root):
    left = marks(root)
    assert not left, "placeholders of `make new` left, replace them:\n" + "\n".join(left)
