"""hooks/code_focus.py: each code block of a Markdown page can take the focus; notebooks as made."""

from types import SimpleNamespace

import pytest

from hooks.code_focus import on_page_content


def page(name):
    return SimpleNamespace(file=SimpleNamespace(src_uri=name))


@pytest.mark.parametrize(
    "block",
    ["<pre><span></span><code>x = 1\n</code></pre>", '<pre id="p"><code>x = 1\n</code></pre>'],
)
def test_each_code_block_takes_the_focus(block):
    out = on_page_content(
        f"<p><code>inline</code></p>{block}{block}", page("affine.md"), None, None
    )
    assert out.count('<code tabindex="0">') == 2
    assert "<p><code>inline</code></p>" in out


def test_notebook_pages_are_left_as_jupyter_made_them():
    block = "<pre><code>x = 1\n</code></pre>"
    assert on_page_content(block, page("notebooks/rnn.ipynb"), None, None) == block
