"""hooks/code_tokens.py: name and whitespace spans leave code blocks; text and colours stay."""

import re
from types import SimpleNamespace

import pytest

from hooks.code_tokens import on_page_content

BLOCK = (
    '<pre><span></span><code><span class="k">def</span><span class="w"> </span>'
    '<span class="nf">f</span><span class="p">(</span><span class="n">X</span>'
    '<span class="p">):</span> <span class="n">X</span><span class="o">.</span>'
    '<span class="n">T</span></code></pre>'
)
PROSE = '<p><span class="n">kept outside code</span></p>'


def page(name):
    return SimpleNamespace(file=SimpleNamespace(src_uri=name))


def text_of(html):
    return re.sub(r"<[^>]+>", "", html)


def test_plain_spans_leave_and_the_text_is_the_same():
    out = on_page_content(BLOCK + PROSE, page("affine.md"), None, None)
    assert 'class="n"' not in out.replace(PROSE, "") and 'class="w"' not in out
    assert text_of(out) == text_of(BLOCK + PROSE)
    assert PROSE in out


@pytest.mark.parametrize("kept", ["k", "nf", "p", "o"])
def test_coloured_tokens_stay(kept):
    out = on_page_content(BLOCK, page("affine.md"), None, None)
    assert out.count(f'<span class="{kept}">') == BLOCK.count(f'<span class="{kept}">')


def test_notebook_pages_are_untouched():
    assert on_page_content(BLOCK, page("notebooks/rnn.ipynb"), None, None) == BLOCK
