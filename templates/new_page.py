"""Scaffold a derivation: docs/NAME.md, snippets/NAME.py and tests/test_NAME.py, in the nav.

Usage: python templates/new_page.py NAME "Title" [--section "Nav section"] [--root DIR]
       (or: make new NAME=… TITLE=… SECTION=…)
The three files start as a placeholder derivation (y = x ∘ x) that passes every check but one:
each placeholder is marked SCAFFOLD, and tests/test_no_scaffold_left.py names every one left.
The page gets a nav entry in its section; the snippet's placeholder CHEAT_SHEET row (table Core
for the Derivations section, else Layers) is written into docs/cheatsheet.md by tools/cheatsheet.py.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent
sys.path.insert(0, str(TEMPLATES.parent))  # tools/, next to templates/

from tools import cheatsheet  # noqa: E402

OUTPUTS = {
    "page.md": "docs/{}.md",
    "snippet.py": "snippets/{}.py",
    "test_page.py": "tests/test_{}.py",
}
DEFAULT_SECTION = "Derivations"


def scaffold(root: Path, name: str, title: str, section: str = DEFAULT_SECTION) -> list[Path]:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise SystemExit(f"NAME must be a lower-case Python identifier, got {name!r}")
    nav_sections(root / "mkdocs.yml", section)  # refuses an unknown section before writing
    targets = {template: root / pattern.format(name) for template, pattern in OUTPUTS.items()}
    if existing := [str(path) for path in targets.values() if path.exists()]:
        raise SystemExit(f"already there: {', '.join(existing)}")
    table = "Core" if section == DEFAULT_SECTION else "Layers"
    for template, target in targets.items():
        text = (TEMPLATES / template).read_text(encoding="utf-8")
        text = text.replace("__NAME__", name).replace("__TITLE__", title)
        target.write_text(text.replace("__TABLE__", table), encoding="utf-8")
    add_to_nav(root / "mkdocs.yml", section, nav_entry(title, name))
    cheatsheet.write(root)
    return list(targets.values())


def nav_entry(title: str, name: str) -> str:
    """The nav line of a page; a title YAML would misread (a ': ', a '#', quotes) is quoted."""
    plain = re.fullmatch(r"[\w][^:#'\"\[\]{},&*!|>%@`]*", title) and not title.endswith(" ")
    return f"      - {title if plain else json.dumps(title, ensure_ascii=False)}: {name}.md\n"


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
        f"added to nav section {args.section!r} in mkdocs.yml, and the CHEAT_SHEET row of "
        f"snippets/{args.name}.py to docs/cheatsheet.md (`make cheatsheet` after editing it);\n"
        f"preview with `make serve`, check the page with `make page NAME={args.name}`; "
        "replace every SCAFFOLD"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
