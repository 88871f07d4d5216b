"""`make new` gives a contributor a page, a snippet and a test that pass every check but one:
the placeholder check, which names each SCAFFOLD mark left until the contributor replaces it."""

import shutil
import subprocess
import sys

import pytest
import yaml

from templates.new_page import nav_entry
from tests.fixture_site import build, make_project
from tests.pages import ROOT, collect_blocks, failure, run_block
from tools.cheatsheet import NAV_PAGE

NEW_PAGE = ROOT / "templates" / "new_page.py"
NAME, TITLE, SECTION = "outer_square", "Outer square", "Layers"
MADE = [f"docs/{NAME}.md", f"snippets/{NAME}.py", f"tests/test_{NAME}.py"]


def run(project, *command):
    return subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A temporary copy of the project (its pages, snippets, tests, config), then `make new`."""
    project = tmp_path_factory.mktemp("scaffold") / "project"
    project.mkdir()
    for name in ("mkdocs.yml", "pyproject.toml"):
        shutil.copy(ROOT / name, project)
    for shared in ("hooks", "overrides", "templates", "bench", "tools"):
        (project / shared).symlink_to(ROOT / shared)
    shutil.copytree(ROOT / "docs", project / "docs", ignore=shutil.ignore_patterns("notebooks"))
    shutil.copytree(ROOT / "snippets", project / "snippets", ignore=shutil.ignore_patterns("__py*"))
    shutil.copytree(
        ROOT / "tests", project / "tests", ignore=shutil.ignore_patterns("site", "__py*")
    )
    made = run(
        project, sys.executable, str(NEW_PAGE), NAME, TITLE, "--section", SECTION, "--root", "."
    )
    assert made.returncode == 0, made.stderr
    assert all(f"created {path}" in made.stdout for path in MADE)
    return project


def test_scaffold_is_in_the_nav_section_asked_for(project):
    nav = (project / "mkdocs.yml").read_text()
    section = nav[nav.index(f"  - {SECTION}:\n") :]
    assert f"      - {TITLE}: {NAME}.md\n" in section[: section.index("\n  - ", 1) + 1]


def test_scaffold_lints_clean(project):
    python = [path for path in MADE if path.endswith(".py")]
    for command in (["check"], ["format", "--check"]):
        done = run(project, sys.executable, "-m", "ruff", *command, *python)
        assert done.returncode == 0, done.stdout + done.stderr


def test_scaffold_passes_its_tests_and_the_cheat_sheet(project):
    modules = [f"tests/test_{NAME}.py", "tests/test_cheatsheet.py"]
    done = run(project, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *modules)
    assert done.returncode == 0, done.stdout


def test_scaffold_blocks_run_and_it_builds(project, tmp_path):
    blocks, broken = collect_blocks([project / "docs" / f"{NAME}.md"], root=project)
    assert broken == {} and len(blocks) == 2
    assert [failure(b, run_block(b.code, cwd=tmp_path)) for b in blocks] == [None, None]
    page = (project / "docs" / f"{NAME}.md").read_text()
    site = make_project(
        tmp_path / "site",
        {"conventions.md": "# Conventions\n", f"{NAME}.md": page},
        {f"{NAME}.py": (project / "snippets" / f"{NAME}.py").read_text()},
    )
    built = build(site)
    assert built.returncode == 0, built.stderr


def test_placeholders_left_fail_naming_each_file(project):
    check = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    done = run(project, *check, "tests/test_no_scaffold_left.py")
    assert done.returncode == 1
    for path in [*MADE, "docs/cheatsheet.md"]:  # each file with a placeholder, at its line
        assert f"{path}:" in done.stdout, f"{path} not named:\n{done.stdout}"


def test_scaffold_refuses_a_bad_or_taken_name_or_section(tmp_path):
    for args in (["Bad-Name"], ["activations"], ["fresh_name", "--section", "Nowhere"]):
        done = run(ROOT, sys.executable, str(NEW_PAGE), *args, "--root", str(ROOT))
        assert done.returncode != 0
        assert any(words in done.stderr for words in ("must be", "already there", "no nav section"))


@pytest.mark.parametrize(
    "title",
    ["RMSNorm", "Cross-entropy: smoothing, weights, NLL", "Why 'T²'? #1", "Hessians — a note"],
)
def test_nav_entry_keeps_any_title_and_the_cheat_sheet_finds_its_page(title):
    entry = nav_entry(title, "some_page")
    nav = yaml.safe_load("nav:\n  - Layers:\n" + entry)["nav"][0]["Layers"]
    assert nav == [{title: "some_page.md"}]
    assert [m["page"] for m in NAV_PAGE.finditer(entry)] == ["some_page"]
