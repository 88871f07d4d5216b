"""hooks/search_text.py: code blocks and notebook code cells leave the search index, prose stays."""

from hooks.search_text import on_page_content

PAGE = (
    '<p>The VJP.</p>\n<div class="language-python highlight"><pre>x = 1</pre></div>\n'
    '<div class="language-text highlight"><pre>matches</pre></div>\n'
    '<div class="jp-Cell jp-CodeCell jp-Notebook-cell"><pre>y = 2</pre></div>\n'
    '<div class="jp-Cell jp-MarkdownCell jp-Notebook-cell"><p>Prose.</p></div>\n'
)


def test_code_is_excluded_and_prose_kept():
    out = on_page_content(PAGE, None, None, None)
    assert out.count(" data-search-exclude>") == 3
    assert "<p>The VJP.</p>" in out and 'jp-MarkdownCell jp-Notebook-cell">' in out
