"""Plant matrix-calculus mistakes in snippets/ one at a time; the suite must catch each.

mutmut has no operator for these, so this script makes them: drop a transpose (``.T``), ``@`` for
``*`` and back, flip a sign (``-`` for ``+`` and back, drop a unary minus), ``sum`` for ``mean`` and
back, and swap ``axis=0`` with ``axis=1``. For each mutant it runs the page's test module and the
page's code blocks in a scratch copy of the project, and reports the ones no test killed.
A survivor is either killed by a new test or listed in EQUIVALENT with the reason.

Usage: python tools/matrix_mutants.py [NAME ...]   (default: every snippet module)
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("snippets", "tests", "docs", "hooks", "overrides", "mkdocs.yml", "pyproject.toml")

# (module, the mutated line stripped, mutation) -> why no test can tell the mutant apart.
EQUIVALENT: dict[tuple[str, str, str], str] = {
    ("activations", "sigma_prime = h * (1 - h)", "- -> +"): (
        "the mistake block shows that g @ σ'(r).T has the wrong shape; the values of σ' do not "
        "enter what it prints"
    ),
}


@dataclass(frozen=True)
class Mutant:
    module: str
    line: int
    kind: str
    source: str  # the whole mutated module

    def key(self, original: str) -> tuple[str, str, str]:
        return (self.module, original.splitlines()[self.line - 1].strip(), self.kind)


def mutants(module: str, text: str):
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    offsets = _line_offsets(text)

    def at(token) -> int:
        return offsets[token.start[0] - 1] + token.start[1]

    def replace(start: int, end: int, new: str) -> str:
        return text[:start] + new + text[end:]

    for i, token in enumerate(tokens):
        line = token.start[0]
        if token.type == tokenize.OP and token.string == "." and i + 1 < len(tokens):
            follower = tokens[i + 1]
            if follower.type == tokenize.NAME and follower.string == "T":
                yield Mutant(module, line, "drop .T", replace(at(token), at(follower) + 1, ""))
        elif token.type == tokenize.OP and token.string in {"@", "*"}:
            other = "*" if token.string == "@" else "@"
            yield Mutant(
                module, line, f"{token.string} -> {other}", replace(at(token), at(token) + 1, other)
            )
        elif token.type == tokenize.OP and token.string in {"+", "-"}:
            previous = tokens[i - 1]
            unary = previous.type == tokenize.OP and previous.string not in {")", "]", "}"}
            if token.string == "-" and unary:
                yield Mutant(module, line, "drop unary -", replace(at(token), at(token) + 1, ""))
            elif not unary:
                other = "-" if token.string == "+" else "+"
                yield Mutant(
                    module,
                    line,
                    f"{token.string} -> {other}",
                    replace(at(token), at(token) + 1, other),
                )
        elif token.type == tokenize.NAME and token.string in {"sum", "mean"}:
            other = "mean" if token.string == "sum" else "sum"
            start = at(token)
            yield Mutant(
                module,
                line,
                f"{token.string} -> {other}",
                replace(start, start + len(token.string), other),
            )
        elif token.type == tokenize.NAME and token.string == "axis" and i + 2 < len(tokens):
            value = tokens[i + 2]
            if tokens[i + 1].string == "=" and value.string in {"0", "1", "-1"}:
                other = "0" if value.string in {"1", "-1"} else "1"
                yield Mutant(
                    module,
                    line,
                    f"axis={value.string} -> axis={other}",
                    replace(at(value), at(value) + len(value.string), other),
                )


def _line_offsets(text: str) -> list[int]:
    offsets, total = [], 0
    for line in text.splitlines(keepends=True):
        offsets.append(total)
        total += len(line)
    return offsets


def killed(mutant: Mutant, scratch: Path) -> bool:
    target = scratch / "snippets" / f"{mutant.module}.py"
    original = target.read_text()
    target.write_text(mutant.source)
    try:
        tests = [
            f"tests/test_{mutant.module}.py",
            "tests/test_codeblocks.py",
            "-k",
            f"test_{mutant.module} or {mutant.module}.md",
        ]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-x",
                "-q",
                "-p",
                "no:cacheprovider",
                "-p",
                "no:randomly",
                *tests,
            ],
            cwd=scratch,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        return done.returncode != 0
    finally:
        target.write_text(original)


def main(names: list[str]) -> int:
    modules = names or sorted(
        p.stem
        for p in (ROOT / "snippets").glob("*.py")
        if p.stem not in {"__init__", "gradcheck"}
        and (ROOT / "tests" / f"test_{p.stem}.py").is_file()
    )
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        for item in COPIED:
            source = ROOT / item
            (shutil.copytree if source.is_dir() else shutil.copy)(source, scratch / item)
        (scratch / "node_modules").symlink_to(ROOT / "node_modules")
        total = survivors = equivalent = 0
        for module in modules:
            text = (ROOT / "snippets" / f"{module}.py").read_text()
            for mutant in mutants(module, text):
                total += 1
                if killed(mutant, scratch):
                    continue
                reason = EQUIVALENT.get(mutant.key(text))
                if reason:
                    equivalent += 1
                    print(
                        f"equivalent  snippets/{module}.py:{mutant.line}  {mutant.kind}: {reason}"
                    )
                else:
                    survivors += 1
                    print(
                        f"SURVIVED    snippets/{module}.py:{mutant.line}  {mutant.kind}: "
                        f"{text.splitlines()[mutant.line - 1].strip()}"
                    )
        score = (total - survivors - equivalent) / max(total, 1)
        print(
            f"matrix mutants: {total}, killed {total - survivors - equivalent}, "
            f"equivalent {equivalent}, survived {survivors}; score {score:.1%}"
        )
        return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
