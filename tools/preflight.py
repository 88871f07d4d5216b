"""Before set-up: is this Python (or Node and npm) one the project supports? One line if not.

Usage: python tools/preflight.py python MIN BELOW    (e.g. python 3.11.5 3.14)
       python tools/preflight.py node MIN_MAJOR      (e.g. node 20)
Exit 0 when supported; otherwise one line on stderr saying what to install, and exit 1.
Written for any Python, 2.7 included, so that an old interpreter gets the line, not a SyntaxError.
"""

from __future__ import print_function

import shutil
import subprocess
import sys


def version_tuple(text):
    """'3.11.5' or 'v20.1.0' -> (3, 11, 5) / (20, 1, 0)."""
    return tuple(int(part) for part in text.strip().lstrip("v").split(".")[:3])


def python_problem(found, minimum, below):
    """None when minimum <= found < below, else what to do."""
    if minimum <= found[: len(minimum)] and found[: len(below)] < below:
        return None
    shown = ".".join(str(part) for part in found)
    low, high = ".".join(map(str, minimum)), ".".join(map(str, below))
    return (
        "Python %s is not supported: install Python >= %s and < %s, "
        "then name it: make test PYTHON=/path/to/python3.13" % (shown, low, high)
    )


def node_problem(minimum_major):
    """None when node >= minimum_major and npm are on PATH, else what to do."""
    node = shutil.which("node")
    if node is None:
        return "Node.js is missing: install Node.js %d or newer, with npm" % minimum_major
    output = subprocess.check_output([node, "--version"], universal_newlines=True)
    found = version_tuple(output)
    if found[0] < minimum_major:
        shown = ".".join(map(str, found))
        return "Node.js %s is too old: install Node.js %d or newer, with npm" % (
            shown,
            minimum_major,
        )
    if shutil.which("npm") is None:
        return "npm is missing: install npm for Node.js %d (Debian: apt-get install npm)" % found[0]
    return None


def main(argv):
    if argv[:1] == ["python"] and len(argv) == 3:
        problem = python_problem(
            sys.version_info[:3], version_tuple(argv[1]), version_tuple(argv[2])
        )
    elif argv[:1] == ["node"] and len(argv) == 2:
        problem = node_problem(int(argv[1]))
    else:
        problem = "usage: preflight.py python MIN BELOW | node MIN_MAJOR"
    if problem:
        print("make: " + problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
