"""A reader types a question into the site's own search box; the page that answers it comes first.

The queries are the questions of the seed threads and the pages' own topics, in a reader's words.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.site.conftest import SITE

# query typed into the search box -> the page (folder under site/) that must be the first result
QUERIES = {
    "softmax jacobian": "softmax",
    "derivative of matrix with respect to matrix": "matrix_by_matrix",
    "why is there a transpose": "affine",
    "row vectors or column vectors": "conventions",
    "why transposes appear": "conventions",
    "cross entropy gradient": "softmax_cross_entropy",
    "element-wise or matrix product": "activations",
    "hadamard product sigmoid": "activations",
    "matrix by matrix": "matrix_by_matrix",
    "affine layer weight gradient": "affine",
    "where does 1/N come from": "affine",
    "gradient with respect to the input of a network": "network",
    "frobenius product differentials": "three_ways",
    "einsum index notation": "three_ways",
    "common mistakes": "pitfalls",
    "numerator and denominator layout": "conventions",
    "y hat minus y": "softmax_cross_entropy",
    "finite difference step size": "notebooks/seeing_jacobians",
    "never build the jacobian memory": "notebooks/performance",
    "layer normalization": "layernorm",
    "batch norm gradient": "batchnorm",
    "attention backward": "attention",
    "convolution gradient flipped kernel": "conv1d",
    "vanishing gradients rnn": "rnn",
    "log det gradient": "matrix_identities",
    "forward mode jvp": "forward_reverse",
    "bce with logits": "losses_activations",
    "gelu derivative": "losses_activations",
}
AVAILABLE = {
    query: page for query, page in QUERIES.items() if (SITE / page / "index.html").is_file()
}


def test_the_table_is_long_enough_and_names_real_pages():
    assert len(AVAILABLE) >= 15
    assert AVAILABLE == QUERIES, f"pages missing for {sorted(set(QUERIES) - set(AVAILABLE))}"


@pytest.fixture(scope="module")
def home(chromium, site_url):
    """One home page for all the queries: each query replaces the last in the search box."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.goto(site_url, wait_until="networkidle")
    yield tab
    context.close()


RESULTS_FOR = """q => {
    const meta = document.querySelector(".md-search-result__meta").textContent;
    return document.querySelector(".md-search__input").value === q && meta.includes("matching");
}"""


@pytest.mark.parametrize(("query", "page"), AVAILABLE.items(), ids=list(AVAILABLE))
def test_search_box_ranks_the_answer_first(home, query, page):
    box = home.locator(".md-search__input")
    box.click()
    box.fill("")
    box.press("Backspace")  # an emptied box resets the results ("Type to start searching")
    home.wait_for_function("() => !document.querySelector('.md-search-result__item')")
    box.fill(query[:-1])
    box.press(query[-1])  # the search runs on key events, as when a reader types
    home.wait_for_function(RESULTS_FOR, arg=query)
    first = home.locator(".md-search-result__item > a").first
    path = urlsplit(first.get_attribute("href")).path.rstrip("/")
    assert path.endswith("/" + page), f"{query!r}: first result {path}"
