"""The fast loop for one page: its lint, tests, blocks, cheat-sheet row, build and links.

Usage: python tools/check_page.py NAME        (or: make page NAME=…)
Runs, for docs/NAME.md, snippets/NAME.py and tests/test_NAME.py: ruff; the page's test module,
the cheat-sheet and leftover-placeholder tests; every python block of the page, alone, with its
printed output compared; and the strict build of the whole site (notebooks from the cache), whose
warnings name broken links and anchors. Each step says how long it took; `make test` stays the
complete check.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pages import collect_blocks, failure, run_block  # noqa: E402


def files_of(name: str) -> list[Path]:
    files = [ROOT / "docs" / f"{name}.md", ROOT / "snippets" / f"{name}.py"]
    files.append(ROOT / "tests" / f"test_{name}.py")
    return [path for path in files if path.is_file()]


def run(*command: str, env: dict | None = None) -> tuple[bool, str]:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    return done.returncode == 0, (done.stdout + done.stderr).strip()


def lint(name: str) -> tuple[bool, str]:
    python = [str(path) for path in files_of(name) if path.suffix == ".py"]
    checked, said = run(sys.executable, "-m", "ruff", "check", *python)
    formatted, said_too = run(sys.executable, "-m", "ruff", "format", "--check", *python)
    return checked and formatted, "\n".join(filter(None, [said, said_too]))


def tests(name: str) -> tuple[bool, str]:
    modules = [f"tests/test_{name}.py", "tests/test_cheatsheet.py"]
    modules.append("tests/test_no_scaffold_left.py")
    return run(
        sys.executable, "-m", "pytest", "-q", "--tb=line", "-p", "no:cacheprovider", *modules
    )


def blocks(name: str) -> tuple[bool, str]:
    found, broken = collect_blocks([ROOT / "docs" / f"{name}.md"])
    with tempfile.TemporaryDirectory() as folder:
        problems = [*broken.values()]
        problems += [p for b in found if (p := failure(b, run_block(b.code, Path(folder))))]
    return not problems, "\n\n".join(problems) or f"{len(found)} blocks ran and printed as shown"


def build(name: str) -> tuple[bool, str]:
    env = os.environ | {"NO_MKDOCS_2_WARNING": "1"}
    env.pop("VERIFICATION_RECORD", None)
    # A folder of its own: two contributors' loops (or two terminals) may build at once.
    with tempfile.TemporaryDirectory(prefix="page-site-") as site:
        built, said = run(sys.executable, "-m", "mkdocs", "build", "--strict", "-d", site, env=env)
    return built, "\n".join(warnings_of(said)) or "built (strict), every link and anchor found"


def warnings_of(log: str) -> list[str]:
    """MkDocs' WARNING and ERROR lines, each with the indented lines that go on with it."""
    kept, keeping = [], False
    for line in log.splitlines():
        keeping = line.startswith(("WARNING", "ERROR")) or (keeping and line[:1].isspace())
        if keeping:
            kept.append(line)
    return kept


STEPS = {"lint": lint, "tests": tests, "blocks": blocks, "build and links": build}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not (ROOT / "docs" / f"{argv[0]}.md").is_file():
        print("usage: make page NAME=name_of_docs_page (docs/NAME.md must exist)", file=sys.stderr)
        return 2
    all_passed = True
    for step, check in STEPS.items():
        start = time.perf_counter()
        passed, said = check(argv[0])
        all_passed &= passed
        print(f"{'ok  ' if passed else 'FAIL'} {step} ({time.perf_counter() - start:.1f} s)")
        if not passed or step == "blocks":
            print("     " + said.replace("\n", "\n     "))
    return 0 if all_passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
