"""Carry the benchmark results inside the notebooks that plot them, so a download runs alone.

A notebook code cell tagged ``bench-data`` names CSV files of ``bench/results/`` in a dict whose
values are None. At build time this hook writes a copy of the notebook with each None replaced by
that file's text, and points the page at the copy: the page is rendered from it (the figures of
the last ``make bench``, nothing typed by hand) and the download offered is the same copy, which
needs no file from the repository.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from mkdocs.exceptions import PluginError

TAG = "bench-data"
RESULTS = Path("bench") / "results"
GENERATED = Path("build") / "docs"


def on_files(files, config):
    root = Path(config["config_file_path"]).parent
    for file in files:
        if file.src_uri.endswith(".ipynb"):
            notebook = json.loads(Path(file.abs_src_path).read_text(encoding="utf-8"))
            try:
                tagged = filled_in(notebook, root / RESULTS)
            except FileNotFoundError as missing:
                where = Path(config["docs_dir"]).name + "/" + file.src_uri
                message = f"{where}: {missing.filename} not found: run `make bench`"
                raise PluginError(message) from None
            if tagged:
                copy = root / GENERATED / file.src_uri
                copy.parent.mkdir(parents=True, exist_ok=True)
                copy.write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")
                file.abs_src_path = str(copy)
    return files


def filled_in(notebook: dict, results: Path) -> bool:
    """Fill every tagged cell of `notebook` in place; True when there was one."""
    cells = [c for c in notebook["cells"] if TAG in c.get("metadata", {}).get("tags", [])]
    for cell in cells:
        cell["source"] = with_results("".join(cell["source"]), results)
    return bool(cells)


def with_results(source: str, results: Path) -> str:
    """`NAME = {"a.csv": None}` -> `NAME = {"a.csv": '''<text of results/a.csv>'''}`."""
    (assignment,) = ast.parse(source).body
    names = [key.value for key in assignment.value.keys]
    comments = "".join(line + "\n" for line in source.splitlines() if line.startswith("#"))
    target = assignment.targets[0].id
    texts = {name: (results / name).read_text(encoding="utf-8") for name in names}
    entries = "".join(f'    "{name}": """\\\n{text}""",\n' for name, text in texts.items())
    return f"{comments}{target} = {{\n{entries}}}"
