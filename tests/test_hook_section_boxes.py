"""hooks/section_boxes.py: each run between two top-level headings in one box; headings outside."""

from types import SimpleNamespace

import pytest

from hooks.section_boxes import BOX, guessed_height, on_page_content, top_level_headings


def page(name):
    return SimpleNamespace(file=SimpleNamespace(src_uri=name))


def box(run):
    return BOX.format(guessed_height(run), run)


H1 = '<h1 id="t">Title</h1>'
H2 = '<h2 id="a">A<a class="headerlink" href="#a">&para;</a></h2>'
H3 = '<h3 id="b">B</h3>'
NESTED = '<div class="admonition"><h2 id="inner">Inner</h2><p>x<br>y</p><img src="f.svg"></div>'


def test_each_run_between_headings_but_the_first_is_boxed_and_the_headings_stay_outside():
    html = f"{H1}<p>intro</p>{H2}<p>one</p><pre><code>a</code></pre>{H3}<p>two</p>"
    expected = (
        f"{H1}<p>intro</p>{H2}{box('<p>one</p><pre><code>a</code></pre>')}{H3}{box('<p>two</p>')}"
    )
    assert on_page_content(html, page("affine.md"), None, None) == expected


def test_a_heading_inside_a_block_does_not_cut_it():
    html = f"{H2}<p>before</p>{NESTED}<p>after</p>"
    assert top_level_headings(html) == [(0, len(H2))]
    assert on_page_content(H1 + "<p>answer</p>" + html, page("affine.md"), None, None) == (
        H1 + "<p>answer</p>" + H2 + box(f"<p>before</p>{NESTED}<p>after</p>")
    )


@pytest.mark.parametrize("between", ["", "\n", "\n  \n"])
def test_no_box_for_an_empty_run(between):
    html = f"{H1}<p>answer</p>{H2}{between}{H3}<p>x</p>"
    assert on_page_content(html, page("affine.md"), None, None) == (
        f"{H1}<p>answer</p>{H2}{between}{H3}{box('<p>x</p>')}"
    )


def test_self_closed_and_void_tags_and_comments_keep_the_depth():
    html = f'<p>a<mspace width="1em"/><br/></p><!-- <div> -->{H2}<hr><p>b</p>'
    assert top_level_headings(html) == [(html.index("<h2"), html.index("</h2>") + 5)]


def test_notebook_pages_are_left_as_jupyter_made_them():
    html = f"{H2}<p>cell</p>"
    assert on_page_content(html, page("notebooks/rnn.ipynb"), None, None) == html


PARAGRAPH = "<p>" + "word " * 40 + "</p>"


@pytest.mark.parametrize(
    "more",
    [
        PARAGRAPH,
        '<p><span class="arithmatex">\\(' + "W^\\top x + " * 20 + "b\\)</span></p>",
        '<div class="arithmatex">\\[y = Wx\\]</div>',
        '<div class="highlight"><pre><code>a = 1\nb = 2\n</code></pre></div>',
        "<table><tr><td>1</td></tr></table>",
    ],
    ids=["prose", "inline math", "display math", "code lines", "table row"],
)
def test_the_guessed_height_grows_with_what_the_box_holds(more):
    assert guessed_height(PARAGRAPH + more) > guessed_height(PARAGRAPH)


def test_the_guess_is_written_on_the_box():
    html = f"{H1}<p>answer</p>{H2}{PARAGRAPH}"
    assert f"contain-intrinsic-size: auto {guessed_height(PARAGRAPH)}rem" in on_page_content(
        html, page("affine.md"), None, None
    )
