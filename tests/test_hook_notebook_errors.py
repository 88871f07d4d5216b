"""hooks/notebook_errors.py: a raising cell is reported with the notebook and the cell number."""

from hooks.notebook_errors import failing_cell
from tests.fixture_site import notebook

MESSAGE = (
    "An error occurred while executing the following cell:\n------------------\n"
    "raise ValueError('planted')\n------------------\n\nValueError: planted"
)


def test_failing_cell_is_found_by_its_source(tmp_path):
    path = tmp_path / "n.ipynb"
    path.write_text(notebook("# Title", "x = 1", "raise ValueError('planted')"))
    assert failing_cell(str(path), MESSAGE) == 3


def test_unrecognised_message_gives_no_cell(tmp_path):
    path = tmp_path / "n.ipynb"
    path.write_text(notebook("x = 1"))
    assert failing_cell(str(path), "KernelDied") is None
    assert failing_cell(str(path), MESSAGE) is None
