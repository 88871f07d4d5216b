"""`make new` gives a contributor a page, a snippet and a test that already pass, in the nav."""

import shutil
import subprocess
import sys

from tests.fixture_site import build, make_project
from tests.pages import ROOT, failure, python_blocks, run_block

SCAFFOLD = ROOT / "templates" / "new_page.py"


def test_scaffold_passes_its_own_checks(tmp_path):
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    shutil.copy(ROOT / "mkdocs.yml", project)
    for shared in ("hooks", "overrides"):
        (project / shared).symlink_to(ROOT / shared)
    shutil.copytree(
        ROOT / "snippets", project / "snippets", ignore=shutil.ignore_patterns("*_*.py")
    )
    shutil.copy(ROOT / "snippets" / "gradcheck.py", project / "snippets")
    (project / "tests").mkdir()
    for helper in ("__init__.py", "gradients.py", "pages.py"):
        shutil.copy(ROOT / "tests" / helper, project / "tests")

    made = subprocess.run(
        [sys.executable, str(SCAFFOLD), "outer_square", "Outer square", "--root", str(project)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "created docs/outer_square.md" in made.stdout
    assert "      - Outer square: outer_square.md\n" in (project / "mkdocs.yml").read_text()

    tests = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_outer_square.py",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout

    blocks = python_blocks(project / "docs" / "outer_square.md", root=project)
    assert len(blocks) == 2
    assert [failure(b, run_block(b.code, cwd=tmp_path)) for b in blocks] == [None, None]

    site = make_project(
        tmp_path / "site",
        {
            "conventions.md": "# Conventions\n",
            "outer_square.md": (project / "docs" / "outer_square.md").read_text(),
        },
        {"outer_square.py": (project / "snippets" / "outer_square.py").read_text()},
    )
    built = build(site)
    assert built.returncode == 0, built.stderr


def test_scaffold_refuses_a_bad_or_taken_name(tmp_path):
    for name in ("Bad-Name", "activations"):
        done = subprocess.run(
            [sys.executable, str(SCAFFOLD), name, "--root", str(ROOT)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode != 0 and ("must be" in done.stderr or "already there" in done.stderr)
