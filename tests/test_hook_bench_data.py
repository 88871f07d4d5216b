"""hooks/bench_data.py: a tagged cell gets the CSV text; the page and its download use the copy."""

import json
from types import SimpleNamespace

import pytest
from mkdocs.exceptions import PluginError

from hooks.bench_data import on_files

CELL = '# carried\nRESULTS = {"a.csv": None, "b.csv": None}'


def notebook(tags):
    cells = [
        {"cell_type": "code", "metadata": {"tags": tags}, "source": CELL, "outputs": []},
        {"cell_type": "code", "metadata": {}, "source": "print(RESULTS)", "outputs": []},
    ]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def project(tmp_path, tags, csvs=("a.csv", "b.csv")):
    (tmp_path / "docs").mkdir()
    (tmp_path / "bench" / "results").mkdir(parents=True)
    for name in csvs:
        (tmp_path / "bench" / "results" / name).write_text(f"x,y\n1,{name}\n")
    source = tmp_path / "docs" / "n.ipynb"
    source.write_text(json.dumps(notebook(tags)))
    file = SimpleNamespace(src_uri="n.ipynb", abs_src_path=str(source))
    config = {"config_file_path": str(tmp_path / "mkdocs.yml"), "docs_dir": str(tmp_path / "docs")}
    return file, config


def test_tagged_cell_carries_the_csv_text(tmp_path):
    file, config = project(tmp_path, ["bench-data"])
    on_files([file], config)
    assert file.abs_src_path == str(tmp_path / "build" / "docs" / "n.ipynb")
    cells = json.loads((tmp_path / "build" / "docs" / "n.ipynb").read_text())["cells"]
    namespace = {}
    exec(cells[0]["source"], namespace)
    assert namespace["RESULTS"] == {"a.csv": "x,y\n1,a.csv\n", "b.csv": "x,y\n1,b.csv\n"}
    assert cells[0]["source"].startswith("# carried\n")
    assert cells[1]["source"] == "print(RESULTS)"


def test_untagged_notebook_is_left_alone(tmp_path):
    file, config = project(tmp_path, [])
    source = file.abs_src_path
    on_files([file], config)
    assert file.abs_src_path == source and not (tmp_path / "build").exists()


def test_missing_results_name_the_notebook_and_the_file(tmp_path):
    file, config = project(tmp_path, ["bench-data"], csvs=("a.csv",))
    with pytest.raises(PluginError, match=r"docs/n\.ipynb: .*b\.csv not found: run `make bench`"):
        on_files([file], config)
