"""hooks/katex.py: formulas become KaTeX HTML with MathML; a bad formula names page and line."""

from types import SimpleNamespace

import pytest
from mkdocs.exceptions import PluginError

from hooks.katex import first_screen, fonts_used, on_post_page


def page(tmp_path, source="# P\n\nThe layer $xW + b$ and $\\frac{a}{$.\n", name="p.md"):
    path = tmp_path / name
    path.write_text(source)
    return SimpleNamespace(
        file=SimpleNamespace(src_uri=name, abs_src_path=str(path)), url=name.replace(".md", "/")
    )


def test_inline_and_display_math_are_rendered(tmp_path):
    html = (
        '<p><span class="arithmatex">\\(x W + b\\)</span></p>'
        '<div class="arithmatex">\\[\n\\frac{\\partial L}{\\partial x} = g W^\\top\n\\]</div>'
    )
    out = on_post_page(html, page(tmp_path), None)
    assert "arithmatex" not in out
    assert out.count('<span class="katex">') == 2
    assert out.count('<span class="katex-display" tabindex="0">') == 1
    assert out.count('<span class="katex-mathml">') == 2
    assert 'annotation encoding="application/x-tex">x W + b</annotation>' in out


def test_html_escapes_in_formulas_are_undone_before_rendering(tmp_path):
    out = on_post_page('<span class="arithmatex">\\(a &lt; b\\)</span>', page(tmp_path), None)
    assert "<mo>&lt;</mo>" in out


def test_page_without_math_is_left_alone(tmp_path):
    html = "<p>No math, 5 dollars.</p>"
    assert on_post_page(html, page(tmp_path), None) == html


def test_notebook_markdown_math_is_rendered_outside_code_only(tmp_path):
    html = (
        '<div class="jp-RenderedHTMLCommon jp-MarkdownOutput"><p>Inline $x_1$ and</p>'
        "<div>$$y = \\sigma(r)$$</div><p><code>$HOME</code></p></div>"
        "<p>Outside a notebook cell, $x$ stays.</p>"
    )
    out = on_post_page(html, page(tmp_path, name="n.ipynb"), None)
    assert out.count('<span class="katex">') == 2
    assert "<code>$HOME</code>" in out and "$x$ stays" in out


def test_malformed_formula_names_page_line_and_formula(tmp_path):
    html = (
        '<p><span class="arithmatex">\\(xW + b\\)</span> '
        '<span class="arithmatex">\\(\\frac{a}{\\)</span></p>'
    )
    with pytest.raises(PluginError) as error:
        on_post_page(html, page(tmp_path), None)
    message = str(error.value)
    assert "p.md:3: '\\\\frac{a}{'" in message and "KaTeX parse error" in message
    assert "xW + b" not in message


def test_non_ascii_in_math_is_an_error(tmp_path):
    with pytest.raises(PluginError, match="unicodeTextInMathMode"):
        on_post_page('<span class="arithmatex">\\(ŷ\\)</span>', page(tmp_path), None)


def test_the_fonts_of_the_first_formulas_load_with_the_stylesheets(tmp_path):
    head = '<head><link rel="stylesheet" href="../a.css"><link rel="stylesheet" href="b.css">'
    out = on_post_page(head + '<span class="arithmatex">\\(x\\)</span>', page(tmp_path), None)
    preload = '<link rel="preload" href="../assets/katex/fonts/KaTeX_{}.woff2" as="font"'
    assert out.index(preload.format("Main-Regular")) < out.index(preload.format("Math-Italic"))
    assert out.index(preload.format("Math-Italic")) < out.index('href="../a.css"')
    assert out.count('rel="preload"') == 2 and out.count("crossorigin") == 2
    digits = on_post_page(head + '<span class="arithmatex">\\(2\\)</span>', page(tmp_path), None)
    assert digits.count('rel="preload"') == 1  # no italic letter, no KaTeX_Math


@pytest.mark.parametrize(
    ("element", "fonts"),
    [
        ('<span class="katex"><span class="mord">2</span></span>', ["KaTeX_Main-Regular"]),
        ('<span class="mord mathnormal">x</span>', ["KaTeX_Math-Italic"]),
        ('<span class="mord mathbf">W</span>', ["KaTeX_Main-Bold"]),
        ('<span class="delimsizing size1">(</span>', ["KaTeX_Size1-Regular"]),
        ('<span class="mop op-symbol large-op">∑</span>', ["KaTeX_Size2-Regular"]),
        ('<span class="delimsizing mult"><span class="delim-size4">', ["KaTeX_Size4-Regular"]),
        ('<span class="mord mathcal">L</span>', ["KaTeX_Caligraphic-Regular"]),
        ('<span class="sizing reset-size6 size3 mtight">i</span>', []),  # a font size, no font
    ],
    ids=[
        "any formula",
        "italic letter",
        "bold",
        "delimiter",
        "display sum",
        "tall delimiter",
        "calligraphic",
        "script size",
    ],
)
def test_an_element_asks_for_the_font_katex_css_gives_its_classes(element, fonts):
    assert fonts_used(element) == fonts


def test_the_first_screen_ends_where_the_third_box_starts():
    boxes = ['<div class="jf-section"><span class="mord mathbf">W</span></div>'] * 2
    late = '<div class="jf-section"><span class="mord mathcal">L</span></div>'
    page = "<h1>T</h1>" + "".join(boxes) + late
    assert fonts_used(first_screen(page)) == ["KaTeX_Main-Bold"]
    assert fonts_used(first_screen(late)) == ["KaTeX_Caligraphic-Regular"]  # no boxes: all of it
