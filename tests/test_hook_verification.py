"""hooks/verification.py: derivation pages end with the record of this run, or say why not."""

import json
from types import SimpleNamespace

import pytest
from mkdocs.exceptions import PluginError

from hooks.verification import on_page_markdown

ENTRY = {
    "passed": 16,
    "failed": 0,
    "blocks": 2,
    "mistakes_shown": 2,
    "errors": {"finite differences": 3.5e-10, "autograd": 3.3e-16},
}


def page(src_uri):
    return SimpleNamespace(file=SimpleNamespace(src_uri=src_uri))


@pytest.fixture
def record(tmp_path, monkeypatch):
    def write(pages):
        path = tmp_path / "verification.json"
        path.write_text(
            json.dumps(
                {
                    "commit": "0123456789abcdef",
                    "uncommitted_changes": False,
                    "numpy": "2.4.6",
                    "autograd": "1.9.1",
                    "python": "3.11.7",
                    "written": "2026-11-25T12:00:00+00:00",
                    "pages": pages,
                }
            )
        )
        monkeypatch.setenv("VERIFICATION_RECORD", str(path))

    return write


def test_record_is_rendered_for_a_derivation_page(record):
    record({"activations": ENTRY})
    out = on_page_markdown("# A\n", page("activations.md"), None, None)
    assert "## Verified in this build" in out
    for shown in (
        "16 passed, 0 failed",
        "3.5e-10 (tolerance 1e-6)",
        "3.3e-16",
        "`0123456789`",
        "2.4.6",
    ):
        assert shown in out


@pytest.mark.parametrize("entry", [None, {**ENTRY, "failed": 1}, {**ENTRY, "blocks": 0}])
def test_missing_or_failing_record_fails_the_build(record, entry):
    record({"activations": entry} if entry else {})
    with pytest.raises(PluginError, match=r"docs/activations\.md: no passing verification record"):
        on_page_markdown("# A\n", page("activations.md"), None, None)


def test_preview_says_not_verified(monkeypatch):
    monkeypatch.delenv("VERIFICATION_RECORD", raising=False)
    out = on_page_markdown("# A\n", page("activations.md"), None, None)
    assert "Not verified in this build" in out


@pytest.mark.parametrize("src_uri", ["index.md", "notebooks/activations.ipynb"])
def test_pages_without_a_snippet_are_untouched(record, src_uri):
    record({})
    assert on_page_markdown("# A\n", page(src_uri), None, None) == "# A\n"
