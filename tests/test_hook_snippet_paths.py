"""hooks/snippet_paths.py: an include that points nowhere is named with its page and line."""

from types import SimpleNamespace

import pytest
from mkdocs.exceptions import PluginError

from hooks.snippet_paths import check_include, on_page_markdown


@pytest.fixture
def base(tmp_path):
    (tmp_path / "s.py").write_text("# --8<-- [start:body]\nx = 1\n# --8<-- [end:body]\n")
    return [str(tmp_path)]


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("s.py", None),
        ("s.py:body", None),
        ("s.py:1:2", None),
        ("t.py", "snippet file 't.py' not found"),
        ("s.py:head", "section 'head' not found in s.py"),
    ],
)
def test_check_include(base, target, problem):
    assert check_include(target, base) == problem


def test_page_names_the_line(base, tmp_path):
    config = SimpleNamespace(mdx_configs={"pymdownx.snippets": {"base_path": base}})
    page = SimpleNamespace(
        file=SimpleNamespace(src_uri="p.md", abs_src_path=str(tmp_path / "p.md"))
    )
    markdown = '# P\n\n```python\n--8<-- "s.py:body"\n--8<-- "s.py:head"\n```\n'
    with pytest.raises(PluginError, match=r"p\.md:5: section 'head' not found"):
        on_page_markdown(markdown, page, config, None)
    assert on_page_markdown(markdown.replace("head", "body"), page, config, None)


def test_line_counts_the_front_matter(base, tmp_path):
    """MkDocs strips the front matter before hooks see the page; the line is the file's."""
    config = SimpleNamespace(mdx_configs={"pymdownx.snippets": {"base_path": base}})
    front = "---\ndescription: A page.\nsearch:\n  boost: 2\n---\n\n"
    body = '# P\n\n```python\n--8<-- "s.py:chek"\n```\n'
    (tmp_path / "p.md").write_text(front + body)
    page = SimpleNamespace(
        file=SimpleNamespace(src_uri="p.md", abs_src_path=str(tmp_path / "p.md"))
    )
    with pytest.raises(PluginError, match=r"p\.md:10: section 'chek' not found"):
        on_page_markdown(body, page, config, None)
