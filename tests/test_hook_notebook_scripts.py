"""hooks/notebook_scripts.py: the MathJax loader and the CDN Mermaid import leave notebook pages."""

from types import SimpleNamespace

from hooks.notebook_scripts import on_post_page

NOTEBOOK_HEAD = (
    '<!-- Load mathjax -->\n<script src=""> </script>\n<!-- MathJax configuration -->\n'
    '<script type="text/x-mathjax-config">MathJax.Hub.Config({});</script>\n'
    '<!-- End of mathjax configuration --><script type="module">\n'
    'const m = await import("https://cdn.example.org/mermaid.esm.min.mjs");</script>\n'
    '<script src="../assets/javascripts/bundle.js"></script><script>var keep = 1;</script>'
)


def page(name):
    return SimpleNamespace(file=SimpleNamespace(src_uri=name))


def test_notebook_page_loses_mathjax_and_mermaid_only():
    out = on_post_page(NOTEBOOK_HEAD, page("notebooks/a.ipynb"), None)
    assert "mathjax" not in out.lower() and "mermaid" not in out
    assert '<script src="../assets/javascripts/bundle.js"></script>' in out
    assert "<script>var keep = 1;</script>" in out


def test_markdown_page_is_untouched():
    assert on_post_page(NOTEBOOK_HEAD, page("a.md"), None) == NOTEBOOK_HEAD
