"""Sizes that cannot hide a mistake: the sizes of one example are pairwise distinct.

With 5 inputs and 5 classes, (ŷ − y)ᵀδ₁ in place of xᵀδ₁ has the right shape and runs silently,
and two einsum letters of one size can be swapped unnoticed. So every example on the site and in
the tests gives each of its sizes its own number. The sources are read with ``ast``, never run:
snippets/*.py, tests/*.py, templates/*.py and the code cells of docs/notebooks/*.ipynb.

An example is a group of statements: in a snippet's ``__main__``, a ``setup`` (or ``*_setup``)
section and the sections after it up to the next setup (a section before any setup is a group of
its own); elsewhere a top-level function with everything nested in it, or the module's other
top-level statements; a whole notebook, whose cells share one namespace. A parametrized test, a
loop over a literal list and a call like ``random_network(4, 3, 5, 6)`` make one example per case.

The rule, in four parts:

1. Named sizes. A size name is one or two characters, optionally followed by ``_`` and a suffix
   (N, n, m, d, T, H, k, n1, d_v, n_in, T_MAX). It is bound to integers by ``n = 4``,
   ``n, m, N = 4, 3, 5``, ``for n, m in [(4, 3), …]``, ``@pytest.mark.parametrize(("n", "m"),
   [(4, 3), …])`` or a call giving a function of the module literal sizes. Two different size
   names of one example never take the same value.
2. Shapes. The entries of one shape are pairwise distinct, literal or named (names valued by part
   1): the shape given to ``np.ones``, ``np.zeros``, ``np.full``, ``np.eye`` (both sizes),
   ``rng.standard_normal``, ``rng.uniform`` …, to a helper that draws one array per shape it is
   given (``draw(rng, (n, m), (m, p))``), or a test parameter whose name holds ``shape``. A name
   repeated is one size used twice, a square (W_h is H×H): allowed. Two equal numbers are allowed
   only on a line whose comment says ``square``.
3. Literal sizes. A group whose drawn shapes hold two or more different numbers names its sizes
   instead (``n, m, N = 4, 3, 5``), so that parts 1 and 2 can see which number is which size:
   x 1×5, W₁ 5×3 and W₂ 3×5 written as numbers hide that 5 inputs and 5 classes are two sizes.
4. The sizes 0 and 1 are exempt: a single example (N = 1) or a scalar output is an edge case the
   tests keep on purpose, and an axis of length 1 has no order to get wrong.

Deliberate exceptions are listed in ``EXCEPTIONS`` with their reason; each must still occur.
Tests of the site's machinery (``NOT_EXAMPLES``: the figure predicates, the hooks) are not read.
Every fault names its file and line (notebooks: cell and line within the cell).
"""

from __future__ import annotations

import ast
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ["snippets/*.py", "tests/*.py", "templates/*.py", "docs/notebooks/*.ipynb"]
# Tests of the site's machinery, not of a derivation: their arrays are fixtures, not examples.
NOT_EXAMPLES = {
    "tests/test_figures.py": "matrices that a structure predicate (diagonal, Toeplitz, …) must "
    "accept or refuse: square where the structure is",
    "tests/test_hook_*.py": "inputs of the build hooks, rendered or parsed, never differentiated",
}
SIZE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]?(_[A-Za-z0-9]+)?")
EXEMPT = {0, 1}
# Where a numpy constructor takes its shape among its positional arguments (size= and shape= win).
SHAPE_ARGUMENT = {
    "standard_normal": 0,
    "random": 0,
    "ones": 0,
    "zeros": 0,
    "empty": 0,
    "full": 0,
    "normal": 2,
    "uniform": 2,
    "integers": 2,
    "choice": 1,
    "dirichlet": 1,
}
SECTION = re.compile(r"--8<-- \[start:(\w+)\]")
# (file, fault without its line and group): why the two sizes are equal on purpose.
EXCEPTIONS = {
    (
        "tests/test_conv1d.py",
        "sizes k and n of one example are both 8",
    ): "a kernel as long as the signal, k = n with one output, is the edge case under test",
    (
        "tests/test_conv1d.py",
        "sizes k1 and n1 of one example are both 5",
    ): "a kernel as tall as the image, one row of outputs, is the edge case under test",
}


@dataclass
class Group:
    """One example's statements: the sizes they bind and the shapes they draw."""

    name: str
    bindings: dict[str, set[int]] = field(default_factory=dict)  # n = 4: {"n": {4}}
    lines: dict[str, int] = field(default_factory=dict)  # size name: line of its first binding
    cases: list[list[dict[str, tuple[int, int]]]] = field(default_factory=list)  # name: value, line
    calls: list[tuple[dict[str, int], int]] = field(default_factory=list)  # helper(4, 3, 5)
    shapes: list[tuple[ast.AST, int, bool]] = field(default_factory=list)  # shape, line, square
    drawn: list[ast.AST] = field(default_factory=list)  # the shapes arrays are drawn with


def integer(node):
    """The integer a literal node holds, else None (a bool is not a size)."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def evaluate(node, values):
    """The value of an integer expression of literals and sizes (+, −, ×), else None."""
    if (number := integer(node)) is not None:
        return number
    if isinstance(node, ast.Name):
        return values.get(node.id)
    if isinstance(node, ast.BinOp) and type(node.op) in (ast.Add, ast.Sub, ast.Mult):
        left, right = evaluate(node.left, values), evaluate(node.right, values)
        if left is not None and right is not None:
            return {ast.Add: left + right, ast.Sub: left - right, ast.Mult: left * right}[
                type(node.op)
            ]
    return None


def is_size_name(name):
    return bool(SIZE_NAME.fullmatch(name))


def entries(shape):
    """The entries of a shape: a tuple's elements, or the node itself for a single size."""
    return list(shape.elts) if isinstance(shape, ast.Tuple | ast.List) else [shape]


def shape_of_call(call):
    """The shape a numpy constructor call is given, else None."""
    name = getattr(call.func, "attr", getattr(call.func, "id", None))
    if name == "eye":
        sizes = [*call.args[:2], *(k.value for k in call.keywords if k.arg == "M")]
        return ast.Tuple(elts=sizes, ctx=ast.Load()) if sizes else None
    if name not in SHAPE_ARGUMENT:
        return None
    for keyword in call.keywords:
        if keyword.arg in ("size", "shape"):
            return keyword.value
    position = SHAPE_ARGUMENT[name]
    return call.args[position] if len(call.args) > position else None


def draws_each(function):
    """Whether a function draws one array per shape of its ``*shapes`` argument."""
    for node in ast.walk(function):
        if isinstance(node, ast.comprehension) and (
            getattr(node.iter, "id", None) == function.args.vararg.arg
        ):
            for call in ast.walk(function):
                shape = shape_of_call(call) if isinstance(call, ast.Call) else None
                if isinstance(shape, ast.Name) and shape.id == getattr(node.target, "id", None):
                    return True
    return False


class Collector:
    """Reads one source into its groups."""

    def __init__(self, source):
        self.tree = ast.parse(source)
        self.source_lines = source.splitlines()
        self.parameters = {
            node.name: [argument.arg for argument in node.args.args]
            for node in self.tree.body
            if isinstance(node, ast.FunctionDef)
        }
        self.drawers = {  # def draw(rng, *shapes): [rng.standard_normal(s) for s in shapes]
            node.name: len(node.args.args)
            for node in ast.walk(self.tree)
            if isinstance(node, ast.FunctionDef) and node.args.vararg and draws_each(node)
        }
        self.constants = {
            target.id: node.value
            for node in self.tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }

    def groups(self):
        found = {}

        def group(name):
            return found.setdefault(name, Group(name))

        for top in self.tree.body:
            if isinstance(top, ast.If) and "__main__" in ast.unparse(top.test):
                sections = self.sections(top)
                for statement in top.body:
                    before = [number for number in sections if number < statement.lineno]
                    self.read(group(sections[max(before)] if before else "__main__"), statement)
            elif isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self.read(group(top.name), top)
                if not isinstance(top, ast.ClassDef):
                    self.parametrized(group(top.name), top)
            else:
                self.read(group("module"), top)
        return list(found.values())

    def sections(self, main):
        """The first line of each section of ``__main__``: the group it belongs to."""
        names, current, after_setup = {}, "__main__", False
        for number in range(main.lineno, (main.end_lineno or main.lineno) + 1):
            match = SECTION.search(self.source_lines[number - 1])
            if match is None:
                continue
            if match.group(1).endswith("setup") or not after_setup:
                current = match.group(1)
                after_setup = after_setup or current.endswith("setup")
            names[number] = current
        return names

    def square_marked(self, node):
        lines = self.source_lines[node.lineno - 1 : node.end_lineno or node.lineno]
        return any("square" in line.partition("#")[2] for line in lines)

    def literal_list(self, node):
        """The elements of a literal list or tuple, through module constants and *starred ones."""
        if isinstance(node, ast.Name) and node.id in self.constants:
            node = self.constants[node.id]
        if not isinstance(node, ast.List | ast.Tuple):
            return None
        elements = []
        for element in node.elts:
            if isinstance(element, ast.Starred):
                elements.extend(self.literal_list(element.value) or [])
            elif isinstance(element, ast.Call) and getattr(element.func, "attr", "") == "param":
                elements.append(ast.Tuple(elts=element.args, ctx=ast.Load(), lineno=element.lineno))
            else:
                elements.append(element)
        return elements

    def shape(self, group, shape, drawn=True):
        group.shapes.append((shape, shape.lineno, self.square_marked(shape)))
        if drawn:
            group.drawn.append(shape)

    def read(self, group, top):
        for node in ast.walk(top):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    self.assignment(group, target, node.value, node.lineno)
            elif isinstance(node, ast.For):
                self.loop(group, node.target, node.iter)
            elif isinstance(node, ast.comprehension):
                self.comprehension_shapes(group, node, top)
            elif isinstance(node, ast.Call):
                self.call(group, node)

    def assignment(self, group, target, value, line):
        if isinstance(target, ast.Name) and (number := integer(value)) is not None:
            if is_size_name(target.id):
                group.bindings.setdefault(target.id, set()).add(number)
                group.lines.setdefault(target.id, line)
        elif isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
            for one, other in zip(target.elts, value.elts, strict=False):
                self.assignment(group, one, other, line)

    def case(self, names, element):
        """The sizes one element of a list gives to the names (a tuple element per name)."""
        several = len(names) > 1 and isinstance(element, ast.Tuple)
        values = element.elts if several else [element]
        return {
            name: (number, element.lineno)
            for name, value in zip(names, values, strict=False)
            if is_size_name(name) and (number := integer(value)) is not None
        }

    def loop(self, group, target, iterable):
        """``for n, m in [(4, 3), (2, 5)]``: one case per element."""
        elements = self.literal_list(iterable)
        names = target.elts if isinstance(target, ast.Tuple) else [target]
        names = [getattr(name, "id", "") for name in names]
        cases = [case for element in elements or [] if (case := self.case(names, element))]
        if cases:
            group.cases.append(cases)

    def call(self, group, node):
        """Shapes given to a numpy constructor or a drawing helper; literal sizes to a helper."""
        if (shape := shape_of_call(node)) is not None and not isinstance(shape, ast.Name):
            group.shapes.append((shape, node.lineno, self.square_marked(node)))
            group.drawn.append(shape)
        name = getattr(node.func, "id", None)
        for shape in node.args[self.drawers[name] :] if name in self.drawers else []:
            self.shape(group, shape)
        if name in self.parameters:
            given = [*zip(self.parameters[name], node.args, strict=False)]
            given += [(keyword.arg, keyword.value) for keyword in node.keywords]
            sizes = {
                parameter: number
                for parameter, value in given
                if parameter and is_size_name(parameter) and (number := integer(value)) is not None
            }
            if len(sizes) > 1:
                group.calls.append((sizes, node.lineno))

    def comprehension_shapes(self, group, generator, top):
        """``rng.standard_normal(s) for s in [(1, k), (k, m)]``: each element is a shape."""
        target = getattr(generator.target, "id", None)
        used = any(
            isinstance(node, ast.Call)
            and isinstance(shape := shape_of_call(node), ast.Name)
            and shape.id == target
            for node in ast.walk(top)
        )
        for element in (self.literal_list(generator.iter) if used else None) or []:
            self.shape(group, element)

    def parametrized(self, group, function):
        """One case per parameter set of the ``pytest.mark.parametrize`` decorators, crossed."""
        axes = []
        for decorator in function.decorator_list:
            if getattr(getattr(decorator, "func", None), "attr", "") != "parametrize":
                continue
            names_node, values_node = decorator.args[:2]
            if isinstance(names_node, ast.Constant):
                names = [name.strip() for name in names_node.value.split(",")]
            else:
                names = [element.value for element in names_node.elts]
            cases = []
            for element in self.literal_list(values_node) or []:
                several = len(names) > 1 and isinstance(element, ast.Tuple)
                for name, value in zip(names, element.elts if several else [element], strict=False):
                    if "shape" in name and isinstance(value, ast.Tuple):
                        self.shape(group, value, drawn=False)
                cases.append(self.case(names, element))
            axes.append(cases)
        if axes:
            crossed = itertools.product(*axes)
            group.cases.append(
                [{k: v for case in cross for k, v in case.items()} for cross in crossed]
            )


def group_faults(group):
    """(line, fault) for every breach of the rule in one group."""
    faults = []
    for case in [case for cases in group.cases for case in cases] or [{}]:
        sizes = {name: set(values) for name, values in group.bindings.items()}
        lines = dict(group.lines)
        for name, (value, line) in case.items():
            sizes[name], lines[name] = {value}, line
        for first, second in itertools.combinations(sorted(sizes), 2):
            if shared := (sizes[first] & sizes[second]) - EXEMPT:
                message = f"sizes {first} and {second} of one example are both {min(shared)}"
                faults.append((max(lines[first], lines[second]), message))
        values = {name: next(iter(v)) for name, v in sizes.items() if len(v) == 1}
        for shape, line, square in group.shapes:
            for one, other in itertools.combinations(entries(shape), 2):
                if ast.dump(one) == ast.dump(other) and integer(one) is None:
                    continue  # one size used twice: a square
                size = evaluate(one, values)
                if size not in {None, *EXEMPT} and size == evaluate(other, values) and not square:
                    message = f"shape {ast.unparse(shape)} has two entries of size {size}"
                    faults.append((line, message))
    for sizes, line in group.calls:  # the helper's names, not the caller's: checked alone
        for first, second in itertools.combinations(sorted(sizes), 2):
            if sizes[first] == sizes[second] and sizes[first] not in EXEMPT:
                faults.append(
                    (line, f"sizes {first} and {second} of one call are both {sizes[first]}")
                )
    numbers = {}
    for shape in group.drawn:
        for item in entries(shape):
            if (number := integer(item)) is not None and number not in EXEMPT:
                numbers.setdefault(number, getattr(item, "lineno", None))
    if len(numbers) > 1:
        written = ", ".join(str(number) for number in sorted(numbers))
        message = f"shapes written with the numbers {written}: name the sizes (n, m, N = …)"
        faults.append((max(line for line in numbers.values() if line), message))
    return faults


def faults_in(source, label, where=str):
    """(file, fault): every breach of the rule in one source, 'file:line: fault (in group)'."""
    found = []
    for group in Collector(source).groups():
        for line, message in group_faults(group):
            found.append(((label, message), f"{label}:{where(line)}: {message} (in {group.name})"))
    return list(dict.fromkeys(found))


def notebook_source(path):
    """The code cells of a notebook joined, and the 'cell c, line l' of a line of the join."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    lines, origin = [], []
    for number, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            for index, line in enumerate("".join(cell["source"]).splitlines(), 1):
                lines.append("" if line.startswith(("%", "!")) else line)
                origin.append(f"cell {number}, line {index}")
    return "\n".join(lines) + "\n", lambda line: origin[line - 1]


def faults_of(path):
    label = str(path.relative_to(ROOT))
    if path.suffix == ".ipynb":
        return faults_in(*notebook_source(path)[:1], label, notebook_source(path)[1])
    return faults_in(path.read_text(encoding="utf-8"), label)


SOURCES = sorted(
    path
    for path in {path for pattern in CHECKED for path in ROOT.glob(pattern)}
    if not any(path.relative_to(ROOT).match(pattern) for pattern in NOT_EXAMPLES)
)


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_sizes_of_one_example_are_pairwise_distinct(path):
    faults = [text for key, text in faults_of(path) if key not in EXCEPTIONS]
    assert not faults, "sizes that can hide a mistake, make them distinct:\n" + "\n".join(faults)


def test_every_exception_still_occurs():
    found = {key for path in SOURCES for key, _ in faults_of(path)}
    stale = [
        f"{label}: {message}" for label, message in EXCEPTIONS if (label, message) not in found
    ]
    assert not stale, "exceptions that no longer occur, remove them:\n" + "\n".join(stale)


PLANTED = """
import numpy as np

rng = np.random.default_rng(0)


def test_network():
    n, k, m = 5, 3, 5  # 5 inputs and 5 classes
    x, W1 = rng.standard_normal((1, n)), rng.standard_normal((n, k))


def test_square_by_accident():
    W = rng.standard_normal((4, 4))


def test_square_on_purpose():
    W = rng.standard_normal((4, 4))  # square weights


def test_literal_network():
    x, W1 = rng.standard_normal((1, 5)), rng.standard_normal((5, 3))
    W2 = rng.standard_normal((3, 5))


@pytest.mark.parametrize(("N", "n"), [(2, 3), (4, 4)])
def test_parametrized(N, n):
    X = rng.standard_normal((N, n))


def test_a_count_equal_to_a_size():
    n, m = 4, 3
    directions = rng.standard_normal((3, n, m))


def test_helper_given_equal_sizes():
    helper(5, 3, 5)


def helper(n, k, m):
    return rng.standard_normal((n, k)), rng.standard_normal((k, m))


if __name__ == "__main__":
    # --8<-- [start:setup]
    T, H = 6, 4
    # --8<-- [end:setup]
    # --8<-- [start:check]
    W_h = rng.standard_normal((H, H))  # a square by name: allowed
    D = 4
    # --8<-- [end:check]
"""


def test_the_detector_fails_on_planted_sizes_and_names_the_line():
    faults = [text for _, text in faults_in(PLANTED, "planted.py")]
    assert faults == [
        "planted.py:8: sizes m and n of one example are both 5 (in test_network)",
        "planted.py:13: shape (4, 4) has two entries of size 4 (in test_square_by_accident)",
        "planted.py:22: shapes written with the numbers 3, 5: name the sizes (n, m, N = …)"
        " (in test_literal_network)",
        "planted.py:25: sizes N and n of one example are both 4 (in test_parametrized)",
        "planted.py:27: shape (N, n) has two entries of size 4 (in test_parametrized)",
        "planted.py:32: shape (3, n, m) has two entries of size 3"
        " (in test_a_count_equal_to_a_size)",
        "planted.py:36: sizes m and n of one call are both 5 (in test_helper_given_equal_sizes)",
        "planted.py:49: sizes D and H of one example are both 4 (in setup)",
    ], faults
