"""hooks/table_wrappers.py: bare tables are built in Material's wrapper; classed tables are not."""

from hooks.table_wrappers import WRAPPER, on_page_content

TABLE = "<table>\n<thead><tr><th>x</th></tr></thead>\n<tbody><tr><td>1</td></tr></tbody>\n</table>"
CODE_TABLE = '<table class="highlighttable"><tr><td>1</td></tr></table>'


def test_each_bare_table_is_wrapped_once():
    out = on_page_content(f"<p>a</p>{TABLE}<p>b</p>{TABLE}", None, None, None)
    boxed = WRAPPER.format(TABLE)
    assert boxed.startswith('<div class="md-typeset__scrollwrap"><div class="md-typeset__table">')
    assert out == f"<p>a</p>{boxed}<p>b</p>{boxed}"


def test_a_table_with_a_class_is_left_alone():
    assert on_page_content(CODE_TABLE, None, None, None) == CODE_TABLE
