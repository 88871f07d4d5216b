"""tools/update_examples.py (`make examples`): printed outputs rewritten from a run, on request."""

from tests.fixture_site import make_project
from tests.pages import failure, python_blocks, run_block
from tools.update_examples import update

FRONT = "---\ndescription: A fixture page.\n---\n\n"
PAGE = FRONT + (
    "# P\n\n```python\nprint('first')\nprint('second')\n```\n\n"
    "<!--pytest-codeblocks:expected-output-->\n```text\nstale\n```\n\n"
    "!!! failure \"Indented\"\n\n    ```python\n    print('inside')\n    ```\n\n"
    "    <!--pytest-codeblocks:expected-output-->\n    ```text\n    old\n    ```\n\n"
    "```python\nraise ValueError('planted')\n```\n\n"
    "<!--pytest-codeblocks:expected-output-->\n```text\nkept\n```\n"
)


def test_outputs_are_rewritten_and_a_raising_block_is_left(tmp_path):
    project = make_project(tmp_path / "p", {"p.md": PAGE})
    page = project / "docs" / "p.md"
    said = update(page, root=project)
    assert said == [
        "docs/p.md:28: the block raised; its output is left as it was",
        "docs/p.md:19: output rewritten",
        "docs/p.md:7: output rewritten",
    ]
    text = page.read_text()
    assert "```text\nfirst\nsecond\n```" in text and "    ```text\n    inside\n    ```" in text
    assert "```text\nkept\n```" in text
    first, inside, _ = python_blocks(page, root=project)
    assert [failure(b, run_block(b.code, cwd=tmp_path)) for b in (first, inside)] == [None, None]
    again = ["docs/p.md:29: the block raised; its output is left as it was"]  # one line more above
    assert update(page, root=project) == again, "a second run rewrites nothing"
