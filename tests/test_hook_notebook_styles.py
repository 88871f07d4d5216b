"""hooks/notebook_styles.py: a notebook page keeps the style rules that can match its elements."""

from types import SimpleNamespace

import pytest

from hooks.notebook_styles import on_page_content, pruned


def page(name):
    return SimpleNamespace(file=SimpleNamespace(src_uri=name))


BODY = '<div class="jupyter-wrapper"><div class="jp-Cell jp-CodeCell">x</div></div>'


def styled(css: str) -> str:
    return f"<style>{css}</style>{BODY}"


@pytest.mark.parametrize(
    ("css", "kept"),
    [
        (".jp-Cell{color:red}", ".jp-Cell{color:red}"),
        (".jp-Menu{color:red}", ""),
        (".jp-Cell .jp-Menu{color:red}", ""),
        (".jp-Menu,.jp-CodeCell{color:red}", ".jp-CodeCell{color:red}"),
        (".jp-Cell:not(.jp-mod-noOutputs){margin:0}", ".jp-Cell:not(.jp-mod-noOutputs){margin:0}"),
        (".jp-Cell:is(.jp-Menu, div){margin:0}", ".jp-Cell:is(.jp-Menu, div){margin:0}"),
        ("pre{line-height:1}", "pre{line-height:1}"),
        (".jupyter-wrapper :root{--jp-x:1}", ""),
        (":root{--jp-x:1}", ":root{--jp-x:1}"),
        ("html:root{--jp-x:1}", "html:root{--jp-x:1}"),
        (
            "@media (max-width:760px){.jp-Cell{padding:0}.jp-Menu{padding:0}}",
            "@media (max-width:760px){.jp-Cell{padding:0}}",
        ),
        ("@media print{.jp-Menu{display:none}}", ""),
        (
            "@font-face{font-family:X;src:url(x.woff2)}",
            "@font-face{font-family:X;src:url(x.woff2)}",
        ),
    ],
    ids=[
        "present class",
        "absent class",
        "absent class in a descendant",
        "selector list",
        "absent class under :not",
        "a class under :is, one of its alternatives",
        "element",
        ":root under an element",
        ":root",
        "html:root",
        "media query",
        "emptied media query",
        "font face",
    ],
)
def test_a_rule_stays_when_it_can_match_an_element_of_the_page(css, kept):
    assert pruned(styled(css)) == styled(kept)


def test_only_notebook_pages_are_pruned():
    html = styled(".jp-Menu{color:red}")
    assert on_page_content(html, page("affine.md"), None, None) == html
    assert on_page_content(html, page("notebooks/rnn.ipynb"), None, None) == styled("")
