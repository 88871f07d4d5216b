"""Set-up: the supported-version checks and the lock check's naming of what fails."""

import re

import pytest

from tests.pages import ROOT
from tools.check_lock import packages_at_fault
from tools.preflight import python_problem

# What the bundled pips of 3.11 and 3.13 said of a lock compiled with --strip-extras on 3.11.
PIP_SAID = {
    "coverage[toml]": "ERROR: In --require-hashes mode, all requirements must have their versions "
    "pinned with ==. These do not:\n    coverage[toml]>=7.10.6 from https://x/coverage-7.17.5.whl "
    "(from pytest-cov==7.1.0->-r requirements.txt (line 1528))",
    "pyyaml-ft": "ERROR: In --require-hashes mode, all requirements must have their versions "
    "pinned with ==. These do not:\n    pyyaml-ft>=8.0.0 from https://x/pyyaml_ft-8.0.0.whl",
    "numpy": "ERROR: Could not find a version that satisfies the requirement numpy==9.9 "
    "(from versions: 2.4.6)\nERROR: No matching distribution found for numpy==9.9",
}


@pytest.mark.parametrize("package", PIP_SAID)
def test_lock_check_names_the_package(package):
    assert packages_at_fault(PIP_SAID[package])[0].split("==")[0] == package


@pytest.mark.parametrize(
    ("version", "supported"),
    [
        ((3, 10, 13), False),
        ((3, 11, 4), False),
        ((3, 11, 5), True),
        ((3, 13, 0), True),
        ((3, 14, 0), False),
        ((2, 7, 18), False),
    ],
)
def test_supported_pythons(version, supported):
    problem = python_problem(version, (3, 11, 5), (3, 14))
    assert (problem is None) == supported
    if problem:
        assert problem.startswith(f"Python {'.'.join(map(str, version))} is not supported")


def pins(lock):
    return dict(re.findall(r"^([a-z0-9_.\-]+)(?:\[[a-z,]+\])?==([^ ;\\]+)", lock.read_text(), re.M))


def test_bootstrap_uv_is_the_locked_uv():
    assert pins(ROOT / "requirements-bootstrap.txt")["uv"] == pins(ROOT / "requirements.txt")["uv"]


def test_lock_pins_every_extra_and_has_no_local_index():
    lock = (ROOT / "requirements.txt").read_text()
    assert "coverage[toml]==" in lock, "extras stripped: pip 23-24 resolve them unpinned"
    assert not re.search(r"^\s*(--index-url|--extra-index-url|--find-links|-f )", lock, re.M)
    assert "file://" not in lock


def test_framework_lock_is_hashed_local_free_and_agrees_with_the_main_lock():
    """PyTorch's own venv installs the main lock, then this one with --no-deps: pins must agree."""
    text = (ROOT / "requirements-framework.txt").read_text()
    framework, main = pins(ROOT / "requirements-framework.txt"), pins(ROOT / "requirements.txt")
    assert framework["torch"].endswith("+cpu"), "a CUDA build of torch is gigabytes"
    assert {p: v for p, v in framework.items() if main.get(p, v) != v} == {}
    assert text.count("--hash=sha256:") >= len(framework)
    assert not re.search(r"^\s*(--index-url|--extra-index-url|--find-links|-f )", text, re.M)
    assert "file://" not in text and "/opt/" not in text
