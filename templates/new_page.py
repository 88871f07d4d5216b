"""Scaffold a derivation: docs/NAME.md, snippets/NAME.py and tests/test_NAME.py, in the nav.

Usage: python templates/new_page.py NAME "Title" [--root DIR]   (or: make new NAME=… TITLE=…)
The three files start as a passing placeholder derivation (y = x ∘ x) to be replaced.
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
NAV_SECTION = "  - Derivations:\n"


def scaffold(root: Path, name: str, title: str) -> list[Path]:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise SystemExit(f"NAME must be a lower-case Python identifier, got {name!r}")
    targets = {template: root / pattern.format(name) for template, pattern in OUTPUTS.items()}
    if existing := [str(path) for path in targets.values() if path.exists()]:
        raise SystemExit(f"already there: {', '.join(existing)}")
    for template, target in targets.items():
        text = (TEMPLATES / template).read_text(encoding="utf-8")
        target.write_text(
            text.replace("__NAME__", name).replace("__TITLE__", title), encoding="utf-8"
        )
    add_to_nav(root / "mkdocs.yml", f"      - {title}: {name}.md\n")
    return list(targets.values())


def add_to_nav(config: Path, entry: str) -> None:
    """Append ``entry`` to the Derivations section of the nav."""
    text = config.read_text(encoding="utf-8")
    start = text.index(NAV_SECTION) + len(NAV_SECTION)
    end = start
    while text.startswith("      - ", end):
        end = text.index("\n", end) + 1
    config.write_text(text[:end] + entry + text[end:], encoding="utf-8")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("title", nargs="?", default="")
    parser.add_argument("--root", type=Path, default=TEMPLATES.parent)
    args = parser.parse_args(argv)
    title = args.title or args.name.replace("_", " ").capitalize()
    for path in scaffold(args.root, args.name, title):
        print(f"created {path.relative_to(args.root)}")
    print("added to the nav in mkdocs.yml; preview with `make serve`, check with `make test`")


if __name__ == "__main__":
    main(sys.argv[1:])
