"""Scaffold a derivation: docs/NAME.md, snippets/NAME.py and tests/test_NAME.py, in the nav.

Usage: python templates/new_page.py NAME "Title" [--section "Nav section"] [--root DIR]
       (or: make new NAME=… TITLE=… SECTION=…)
The three files start as a placeholder derivation (y = x ∘ x) that passes every check but one:
each placeholder is marked SCAFFOLD, and tests/test_no_scaffold_left.py names every one left.
The page gets a nav entry in its section and a row in docs/cheatsheet.md, both to be edited.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent
OUTPUTS = {
    "page.md": "docs/{}.md",
    "snippet.py": "snippets/{}.py",
    "test_page.py": "tests/test_{}.py",
}
DEFAULT_SECTION = "Derivations"
CHEATSHEET_ROW = (
    "| SCAFFOLD: $y = x \\circ x$ | $\\operatorname{{Diag}}(2x)$, diagonal | $2\\, g \\circ x$ "
    "| [{title}]({name}.md) · `square_vjp` |\n"
)


def scaffold(root: Path, name: str, title: str, section: str = DEFAULT_SECTION) -> list[Path]:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise SystemExit(f"NAME must be a lower-case Python identifier, got {name!r}")
    nav_sections(root / "mkdocs.yml", section)  # refuses an unknown section before writing
    targets = {template: root / pattern.format(name) for template, pattern in OUTPUTS.items()}
    if existing := [str(path) for path in targets.values() if path.exists()]:
        raise SystemExit(f"already there: {', '.join(existing)}")
    for template, target in targets.items():
        text = (TEMPLATES / template).read_text(encoding="utf-8")
        target.write_text(
            text.replace("__NAME__", name).replace("__TITLE__", title), encoding="utf-8"
        )
    add_to_nav(root / "mkdocs.yml", section, f"      - {title}: {name}.md\n")
    heading = "## Core" if section == DEFAULT_SECTION else "## Layers"
    add_to_table(
        root / "docs" / "cheatsheet.md", heading, CHEATSHEET_ROW.format(title=title, name=name)
    )
    return list(targets.values())


def nav_sections(config: Path, section: str) -> list[str]:
    """The nav's section names; refuses with the list when ``section`` is not one of them."""
    text = config.read_text(encoding="utf-8")
    lines = text[text.index("\nnav:\n") :].splitlines()
    sections = [line[4:-1] for line in lines if line.startswith("  - ") and line.endswith(":")]
    if section not in sections:
        raise SystemExit(
            f"no nav section {section!r} in mkdocs.yml; there are: {', '.join(sections)}"
        )
    return sections


def add_to_nav(config: Path, section: str, entry: str) -> None:
    """Append ``entry`` to the nav section named ``section``."""
    text = config.read_text(encoding="utf-8")
    marker = f"\n  - {section}:\n"
    end = text.index(marker) + len(marker)
    while text.startswith("      - ", end):
        end = text.index("\n", end) + 1
    config.write_text(text[:end] + entry + text[end:], encoding="utf-8")


def add_to_table(page: Path, heading: str, row: str) -> None:
    """Append ``row`` to the first table after ``heading`` in ``page``."""
    text = page.read_text(encoding="utf-8")
    end = text.index("\n|", text.index(f"\n{heading}\n")) + 1
    while text.startswith("|", end):
        end = text.index("\n", end) + 1
    page.write_text(text[:end] + row + text[end:], encoding="utf-8")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("title", nargs="?", default="")
    parser.add_argument("--section", default=DEFAULT_SECTION, help="the nav section to add to")
    parser.add_argument("--root", type=Path, default=TEMPLATES.parent)
    args = parser.parse_args(argv)
    title = args.title or args.name.replace("_", " ").capitalize()
    for path in scaffold(args.root, args.name, title, args.section or DEFAULT_SECTION):
        print(f"created {path.relative_to(args.root)}")
    print(
        f"added to nav section {args.section!r} in mkdocs.yml and a row to docs/cheatsheet.md;\n"
        f"preview with `make serve`, check the page with `make page NAME={args.name}`; "
        "replace every SCAFFOLD"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
