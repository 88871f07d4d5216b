"""Print, at the foot of every derivation page, what the suite verified for it in this build.

A derivation page is one with a snippet module of the same name (docs/NAME.md ↔ snippets/NAME.py).
``make site`` runs the checks first; they write build/verification.json, and the build reads it
when the environment variable VERIFICATION_RECORD names it. A page without a passing record then
fails the build. Without the variable (``make serve``, a preview) the page says it was not
verified in this build, rather than show numbers from another one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parent.parent
HEADING = "## Verified in this build"


def on_page_markdown(markdown, page, config, files):
    name = Path(page.file.src_uri).with_suffix("")
    if page.file.src_uri.endswith(".ipynb") or not (ROOT / "snippets" / f"{name}.py").is_file():
        return markdown
    record_path = os.environ.get("VERIFICATION_RECORD")
    if not record_path:
        return markdown + f"\n\n{HEADING}\n\n" + NOT_VERIFIED
    if not Path(record_path).is_file():
        raise PluginError(f"VERIFICATION_RECORD={record_path}: no such file; run the checks first")
    record = json.loads(Path(record_path).read_text(encoding="utf-8"))
    entry = record["pages"].get(str(name))
    if not entry or entry["failed"] or not entry["passed"] or not entry["blocks"]:
        raise PluginError(
            f"docs/{page.file.src_uri}: no passing verification record in {record_path} "
            f"({entry or 'no tests ran for it'}); run the checks first (make site)"
        )
    return markdown + f"\n\n{HEADING}\n\n" + render(str(name), entry, record)


NOT_VERIFIED = (
    '!!! warning "Not verified in this build"\n\n'
    "    This is a preview. The published site shows here what the test suite checked for this "
    "page in the same run that built it (`make site`)."
)


def render(name: str, entry: dict, record: dict) -> str:
    errors = entry["errors"]
    rows = [
        ("derivative and page tests", f"{entry['passed']} passed, {entry['failed']} failed"),
        ("page code blocks run alone, as copied", str(entry["blocks"])),
        ("common mistakes run and shown failing", str(entry["mistakes_shown"])),
    ]
    if "finite differences" in errors:
        rows.append(
            (
                "largest relative error against finite differences",
                f"{errors['finite differences']:.1e} (tolerance 1e-6)",
            )
        )
    if "autograd" in errors:
        rows.append(
            (
                "largest relative error against autograd",
                f"{errors['autograd']:.1e} (tolerance 1e-10)",
            )
        )
    commit = record["commit"][:10] + (
        " with uncommitted changes" if record["uncommitted_changes"] else ""
    )
    rows += [
        ("numpy, autograd, Python", f"{record['numpy']}, {record['autograd']}, {record['python']}"),
        ("commit", f"`{commit}`"),
        ("checked at", record["written"].replace("T", " ").replace("+00:00", " UTC")),
    ]
    table = "\n".join(f"| {what} | {result} |" for what, result in rows)
    return (
        f"Generated from the test run that preceded this build: `tests/test_{name}.py` and every "
        f"code block above.\n\n| check | result |\n|---|---|\n{table}\n"
    )
