"""Collect what the checks saw, per page, into the file VERIFICATION_RECORD names.

Each test module ``tests/test_NAME.py`` speaks for ``docs/NAME.md``; each page block test names
its page in its id. At the end of the session the record is written for hooks/verification.py,
which prints it at the foot of each derivation page in the build that follows.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
from collections import defaultdict
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import pytest

from tests import gradients

ROOT = Path(__file__).resolve().parent.parent
BLOCK_ID = re.compile(r"\[docs/(?P<page>[\w/]+)\.md:\d+\]$")

_pages: dict[str, dict] = defaultdict(
    lambda: {"passed": 0, "failed": 0, "errors": {}, "blocks": 0, "mistakes_shown": 0}
)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if report.when == "call":
        report.user_properties.extend(("check", entry) for entry in gradients.RECORDED)
        gradients.RECORDED.clear()
        block = getattr(item, "callspec", None) and item.callspec.params.get("block")
        ran_block = item.originalname == "test_block_runs_alone_as_copied"
        if ran_block and block.expected_output is not None:
            report.user_properties.append(("mistakes", block.expected_output.count("DIFFERS")))


def pytest_runtest_logreport(report):
    if report.when != "call" and report.passed:
        return
    page = _page_of(report.nodeid)
    if page is None:
        return
    entry = _pages[page]
    entry["passed" if report.passed else "failed"] += 1
    for key, value in report.user_properties:
        if key == "check":
            kind, error = value
            entry["errors"][kind] = max(entry["errors"].get(kind, 0.0), error)
        elif key == "mistakes" and report.passed:
            entry["mistakes_shown"] += value
    if "test_block_runs_alone_as_copied" in report.nodeid and report.passed:
        entry["blocks"] += 1


def pytest_sessionfinish(session):
    target = os.environ.get("VERIFICATION_RECORD")
    if not target or hasattr(session.config, "workerinput"):
        return  # not asked for (a partial run), or an xdist worker: the controller writes it
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_text(json.dumps(_record(), indent=2, sort_keys=True))


def _page_of(nodeid: str) -> str | None:
    module = Path(nodeid.split("::")[0]).stem
    if module == "test_codeblocks":
        match = BLOCK_ID.search(nodeid)
        return match["page"] if match else None
    if module.startswith("test_") and (ROOT / "docs" / f"{module[5:]}.md").is_file():
        return module[5:]
    return None


def _record() -> dict:
    return {
        "commit": _git("rev-parse", "HEAD"),
        "uncommitted_changes": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "numpy": version("numpy"),
        "autograd": version("autograd"),
        "python": platform.python_version(),
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
        "pages": dict(_pages),
    }


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else "unknown"
