"""Does the lock install on every supported Python here, with the pip that Python ships?

For each supported interpreter found (on PATH and under pyenv), in parallel: a fresh venv made by
that Python (so its own bundled pip), then `pip install --dry-run --require-hashes` of the lock
files, as a fresh clone's set-up would. Fails naming the Python, its pip and the packages at fault.
Usage: python tools/check_lock.py MIN BELOW [LOCK ...]   (e.g. 3.11.5 3.14 requirements.txt)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CANDIDATE_NAMES = ("python3", "python3.11", "python3.12", "python3.13")
# pip names a package at fault in lines like these (indented requirement, or "for X", "of X").
FAULT = re.compile(
    r"^\s{4}([A-Za-z0-9_.\-\[\]]+)|requirement ([A-Za-z0-9_.\-\[\]]+)|for ([A-Za-z0-9_.\-\[\]]+)"
)


def version_of(python: str) -> tuple[int, ...] | None:
    """(3, 12, 1) for a working interpreter; None for a missing or refusing one (pyenv shims)."""
    try:
        done = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:3])"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return tuple(int(part) for part in done.stdout.split())


def candidates() -> list[str]:
    """Interpreter paths to try: the names on PATH, then every pyenv-installed 3.x."""
    found = [shutil.which(name) for name in CANDIDATE_NAMES]
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    found += sorted(str(p) for p in Path(pyenv_root).glob("versions/3.*/bin/python3.*[0-9]"))
    return [path for path in found if path]


def supported_interpreters(minimum: tuple, below: tuple) -> dict[tuple, str]:
    """One interpreter per supported minor version: {(3, 12): '/path/python3.12'}."""
    chosen: dict[tuple, str] = {}
    for path in candidates():
        version = version_of(path)
        if version and minimum <= version < below:
            chosen.setdefault(version[:2], path)
    return chosen


def packages_at_fault(output: str) -> list[str]:
    """The requirement names pip's error lines mention, in order, without repeats."""
    errors = output[output.find("ERROR") :] if "ERROR" in output else output
    names = [next(filter(None, m.groups())) for m in map(FAULT.search, errors.splitlines()) if m]
    return list(dict.fromkeys(names))


def dry_run(python: str, locks: list[Path], venv: Path) -> tuple[bool, str]:
    """(installs, what pip said) for a fresh venv of `python` at `venv`, with its bundled pip."""
    subprocess.run([python, "-m", "venv", str(venv)], check=True, capture_output=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    version = subprocess.run([*pip, "--version"], capture_output=True, text=True).stdout.split()[1]
    args = [*pip, "install", "--dry-run", "--quiet", "--require-hashes"]
    for lock in locks:
        args += ["-r", str(lock)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    said = "\n".join(line for line in done.stderr.splitlines() if "is ignored" not in line)
    return done.returncode == 0, f"pip {version}: {said}".strip()


def report(version: tuple, python: str, installs: bool, said: str) -> str:
    shown = ".".join(map(str, version))
    if installs:
        return f"ok      Python {shown} ({python}), {said.split(':')[0]}"
    packages = ", ".join(packages_at_fault(said)) or "see pip's output"
    return f"FAILS   Python {shown} ({python}): {packages}\n{said}"


def main(argv: list[str]) -> int:
    minimum, below = (tuple(map(int, v.split("."))) for v in argv[:2])
    locks = [ROOT / name for name in (argv[2:] or ["requirements.txt"])]
    pythons = supported_interpreters(minimum, below)
    if not pythons:
        print("check_lock: no supported Python found here", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(len(pythons)) as pool:
        runs = {
            v: pool.submit(dry_run, p, locks, Path(tmp) / f"py{v[0]}.{v[1]}")
            for v, p in pythons.items()
        }
        results = {v: run.result() for v, run in runs.items()}
    for version, (installs, said) in sorted(results.items()):
        print(report(version, pythons[version], installs, said))
    return 0 if all(installs for installs, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
