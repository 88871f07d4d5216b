"""hooks/css_tabs.py: tab sets lose ``data-tabs``, so Material's tab script is not mounted."""

import pytest

from hooks.css_tabs import on_page_content

LABELS = '<input id="__tabbed_1_1" name="__tabbed_1" type="radio" checked="checked">'


@pytest.mark.parametrize(
    "opening",
    [
        '<div class="tabbed-set tabbed-alternate" data-tabs="1:2">',
        '<div class="tabbed-set tabbed-alternate" data-tabs="12:3">',
        '<div class="tabbed-set" data-tabs="1:2">',
    ],
)
def test_tab_sets_lose_data_tabs_and_keep_the_rest(opening):
    out = on_page_content(f"<p>x</p>{opening}{LABELS}</div>", None, None, None)
    assert "data-tabs" not in out
    assert out == f"<p>x</p>{opening.split(' data-tabs')[0]}>{LABELS}</div>"


def test_other_elements_keep_their_data_tabs():
    html = '<p data-tabs="1:2">a paragraph that says data-tabs="1:2"</p>'
    assert on_page_content(html, None, None, None) == html
