"""hooks/jacobian_figures.py: a marker becomes an SVG of a Jacobian; a bad one names page, line."""

import re
from types import SimpleNamespace

import numpy as np
import pytest
from mkdocs.exceptions import PluginError

from hooks.jacobian_figures import LEVELS, levels, on_page_markdown, render
from hooks.katex import on_post_page
from snippets.figures import Figure

HERE = "tests.test_hook_jacobian_figures"


def tiny_figure():
    """A 2×3 matrix with two positive levels, one negative and three zeros."""
    matrix = np.array([[1.0, -2.0, 0.0], [0.0, 0.3, 0.0]])
    return Figure(
        matrix=matrix,
        of=lambda x: x,
        at=np.zeros(3),
        structure="dense",
        rows="outputs y_i",
        columns="inputs x_{jk}",
        alt="A tiny 2×3 matrix.",
        caption=r"The map $x \mapsto Jx$, drawn.",
    )


def raising_figure():
    raise ValueError("no picture today")


def not_a_figure():
    return 42


def page(tmp_path, markdown, name="p.md", front=""):
    path = tmp_path / name
    path.write_text(front + markdown, encoding="utf-8")
    file = SimpleNamespace(src_uri=name, abs_src_path=str(path))
    return SimpleNamespace(file=file, url=name.removesuffix(".md") + "/")


def build(tmp_path, markdown, **where):
    return on_page_markdown(markdown, page(tmp_path, markdown, **where), None, None)


def test_levels_quantise_by_magnitude_and_keep_the_sign():
    assert levels(np.array([[1.0, -0.5, 0.0, 1e-15, -0.01]])).tolist() == [[5, -3, 0, 0, -1]]
    assert not levels(np.zeros((2, 2))).any()
    assert set(levels(np.linspace(-1, 1, 101)[None, :]).ravel()) == set(range(-LEVELS, LEVELS + 1))


def test_tiny_matrix_renders_one_path_per_level():
    svg = render(tiny_figure(), "f1").split("</svg>")[0]  # the picture, not the legend's swatches
    cells = re.findall(r'<path class="jf-(pos|neg) jf-l(\d)" d="([^"]*)"', svg)
    assert sorted((sign, int(level)) for sign, level, _ in cells) == [
        ("neg", 5),
        ("pos", 1),
        ("pos", 3),
    ]
    assert sum(d.count("M") for _, _, d in cells) == 3, "one square per non-zero entry, none for 0"
    assert svg.count("<rect") == 0
    assert svg.count('class="jf-grid"') == 1 and svg.count('class="jf-minus"') == 1
    assert 'role="img"' in svg and 'aria-labelledby="f1-title"' in svg
    assert '<title id="f1-title">A tiny 2×3 matrix.</title>' in svg
    assert re.search(r'<desc id="f1-desc">2 rows, one per outputs y i; 3 columns', svg)
    assert re.search(r'viewBox="0 0 \d+ \d+" width="\d+"', svg)


def test_labels_get_subscripts_and_the_caption_a_sign_legend():
    svg = render(tiny_figure(), "f1")
    assert 'inputs x<tspan class="jf-sub" dy="0.3em">jk</tspan>' in svg
    caption = re.search(r"<figcaption>(.*)</figcaption>", svg)[1]
    assert "positive" in caption and "negative (barred)" in caption and "zero" in caption
    assert r'<span class="arithmatex">\(x \mapsto Jx\)</span>' in caption


def test_caption_math_is_rendered_by_katex(tmp_path):
    html = on_post_page(render(tiny_figure(), "f1"), page(tmp_path, "# P\n"), None)
    assert 'class="katex"' in html and "arithmatex" not in html


def test_marker_becomes_a_figure_block(tmp_path):
    markdown = f"# P\n\nText.\n\n<!-- jacobian-figure {HERE}:tiny_figure -->\n\nMore.\n"
    out = build(tmp_path, markdown)
    assert "jacobian-figure -->" not in out
    assert '\n\n<figure class="jacobian-figure"><svg' in out and "</figure>\n\n" in out
    assert "\n\n" not in out.split("<figure")[1].split("</figure>")[0], "no blank line inside"


def test_several_names_sit_side_by_side_with_their_own_ids(tmp_path):
    markdown = f"<!-- jacobian-figure {HERE}:tiny_figure {HERE}:tiny_figure -->\n"
    out = build(tmp_path, markdown)
    assert out.count('<div class="jacobian-figures">') == 1 and out.count("<figure") == 2
    assert 'id="jacobian-figure-1-title"' in out and 'id="jacobian-figure-2-title"' in out


def test_the_page_namesake_module_is_the_default(tmp_path):
    out = build(tmp_path, "<!-- jacobian-figure -->\n", name="softmax.md")
    assert "softmax Jacobian" in out


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        (
            "<!-- jacobian-figure nothing_here -->",
            "snippets.softmax has no function nothing_here()",
        ),
        (f"<!-- jacobian-figure {HERE}:raising_figure -->", "raised ValueError: no picture today"),
        (f"<!-- jacobian-figure {HERE}:not_a_figure -->", "returned int, not a Figure"),
        ("<!-- jacobian-figure snippets.nowhere:f -->", "no snippet module snippets.nowhere"),
        ("    <!-- jacobian-figure -->", "the jacobian-figure marker must start its line"),
    ],
)
def test_a_bad_marker_names_the_page_and_the_line(tmp_path, marker, message):
    front = "---\ndescription: A page.\n---\n\n"
    body = f"# P\n\nText.\n\n{marker}\n"
    with pytest.raises(PluginError) as error:
        on_page_markdown(body, page(tmp_path, body, name="softmax.md", front=front), None, None)
    assert re.search(rf"softmax\.md:9: [^\n]*{re.escape(message)}", str(error.value))
