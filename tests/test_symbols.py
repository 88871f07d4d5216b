"""Every symbol a page's formulas use is defined: in the registry, or in the page's own table.

The registry is the ``| symbol | meaning | shape |`` table under "## Symbols" on
docs/conventions.md. A derivation page (one with a "## Setup" heading) is held to the registry and
to its own symbol tables (its setup table, and any other table with that header, such as a
section's); so is the pitfalls page, whose table sits under its "## Symbols". The cheat sheet,
which prints alone, is held to the registry, to every formula of its "## Symbols" list and, row by
row, to the tables of the page that row links to. A failure names the page, the symbol and the
first line that uses it. docs/conventions.md itself is the registry and is not checked.

What a symbol is (the tokenizer), in a page's math (``$…$``, ``$$…$$``, outside code):

- a Latin letter (``xW`` is ``x`` and ``W``), a Greek macro (``\\theta``, ``\\ell``), an operator
  that means something here (``\\circ``, ``\\otimes``, ``\\oplus``, ``\\oslash``, ``\\star``,
  ``*``, ``:``, ``\\nabla``) or a named operator (``\\operatorname{vec}``);
- with its decoration, which makes another symbol: ``\\hat{y}`` is not ``y``, ``\\mathbf{1}`` not
  ``1``;
- with its subscript, which either points into the symbol or names another one. An *index*
  subscript (index letters, sizes, digits, ``+``, ``-``, commas: ``W_{ij}``, ``h_{t-1}``,
  ``y_n``, ``x_1``) is an entry or a member, defined with the symbol. Any other subscript is a
  *name* (``W_h``, ``G_P``, ``d_v``, ``g_\\theta``, ``\\mu_{\\text{run}}``; on a matrix, a single
  digit: ``W_1``; on a number or an operator, anything: ``n_a``, ``\\operatorname{vec}_r``): the
  symbol it makes needs a row of its own, or a *family* row, one whose subscript is an index
  (``x_t``, ``\\mathbf{1}_k``, ``I_k``), which covers every member (``x_1``, ``\\mathbf{1}_N``);
- superscripts are formulas of their own (``X^k`` uses ``k``); ``^\\top``, ``^{-1}`` and primes
  leave the symbol as it is.

Any macro not listed above is the common language of mathematics (``\\sum``, ``\\partial``,
``\\log``, ``\\frac``, ``\\top``) and no symbol; so are words (``\\text{…}``, ``\\mathrm{…}``).

Exemptions, each with its reason:

- the registry's index letters (its row whose shape is "index"), where they stand as indices:
  under a sum, product, max or min and in an exponent of index letters (``X^{k-1-j}``), left of a
  relation (``i = 0``, ``t < T``), and in a formula piece of indices and sizes alone
  (``(i, j)``, ``(a - 1)d + i``). Elsewhere, in a shape (``n \\times k``) or a formula, the
  letter is a symbol and needs a row;
- the variable of a map, in its formula: ``u`` in ``u \\mapsto u^{-1}``;
- ``d`` right before what it differentiates (``dX``, ``d\\ell``, ``d(X^{-1})``,
  ``\\frac{d}{dt}``): the differential;
- ``e`` with an exponent (``e^{-r}``) and ``\\pi``: the constants;
- ``O`` right before ``(`` (``O(n)``): the cost, in big-O notation;
- the subscript after ``\\rVert`` or ``\\rvert`` (``\\lVert X \\rVert_F``): the name of the norm.

What a row defines: each formula of its symbol cell, before any " in ", defines what stands left
of its last ``=`` (``$r = xW + b$`` defines ``r``; ``$y = f(x) = zB$`` defines ``y`` and ``f``);
a formula with an operator defines the operator only (``$a \\star b$`` defines ``\\star``, and
``a`` and ``b`` are its operands within that row); a formula of ``\\partial`` without ``=`` (a
Jacobian, a gradient) defines nothing new.

Shapes: a page's row for a registry symbol must give it the registry's shape, the sizes being
placeholders: ``1 \\times n`` matches ``1 \\times 5`` and ``1 \\times d``, not ``n \\times 1`` nor
``1 \\times 1``, and "a number" matches ``1 \\times 1``. A shape that is no such pattern
("like …", "per use") is not compared, and neither is any shape of a registry row that says
"set per page".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
REGISTRY_PAGE = DOCS / "conventions.md"
SYMBOLS, SETUP = "Symbols", "Setup"  # the headings of the registry (and its kin) and setup tables
PITFALLS, CHEATSHEET = DOCS / "pitfalls.md", DOCS / "cheatsheet.md"

# fmt: off
GREEK = frozenset({
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
    "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "varpi", "rho", "varrho", "sigma",
    "varsigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta",
    "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega", "ell",
})
OPERATORS = frozenset({"circ", "otimes", "oplus", "oslash", "odot", "star", "ast", "nabla"})
DECORATIONS = frozenset({
    "hat", "widehat", "tilde", "widetilde", "bar", "overline", "dot", "ddot", "check", "mathbf",
    "boldsymbol", "mathcal",
})
WORDS = frozenset({"text", "mathrm", "textrm", "textit", "textbf", "begin", "end", "label", "tag"})
# fmt: on
BINDERS = frozenset(["sum", "prod", "max", "min", "argmax", "argmin", "lim"])
NORMS = frozenset(["rVert", "rvert", "|"])  # \\lVert X \\rVert_F: F names the norm
CONSTANTS = frozenset({"\\pi"})  # and e, in e^{…}
RELATIONS = r"=|<|>|\\leq?\b|\\geq?\b|\\neq?\b|\\in\b"
PER_PAGE = ("set per page", "like")
INDEX = "index"


# --- reading a page -------------------------------------------------------------------------


def math_spans(text: str) -> list[tuple[int, str]]:
    """(line, LaTeX) of every ``$…$`` and ``$$…$$``, outside front matter, code and comments."""
    lines = text.split("\n")
    kept: list[str] = []
    fence: str | None = None
    front_matter = lines[0].strip() == "---"
    for number, line in enumerate(lines):
        opening = re.match(r"^\s*(`{3,}|~{3,})", line)
        if front_matter:
            front_matter = not (number > 0 and line.strip() == "---")
            line = ""
        elif fence is not None:
            if opening and opening[1][0] == fence[0] and len(opening[1]) >= len(fence):
                fence = None
            line = ""
        elif opening:
            fence, line = opening[1], ""
        kept.append(re.sub(r"`[^`\n]*`", lambda m: " " * len(m[0]), line))
    body = re.sub(r"<!--.*?-->", lambda m: re.sub(r"[^\n]", " ", m[0]), "\n".join(kept), flags=re.S)
    inline = r"(?<![\\$])\$(?!\$)((?:[^$\n]|\n(?![ \t]*\n))+?)(?<!\\)\$"  # no blank line inside
    return [
        (body.count("\n", 0, m.start()) + 1, m[1] if m[1] is not None else m[2])
        for m in re.finditer(r"\$\$(.+?)\$\$|" + inline, body, re.S)
    ]


def section(text: str, heading: str) -> list[tuple[int, str]]:
    """(line, text) of the lines under ``## heading``, up to the next ``## ``."""
    out, inside = [], False
    for number, line in enumerate(text.split("\n"), 1):
        if line.startswith("## "):
            inside = line[3:].strip() == heading
        elif inside:
            out.append((number, line))
    return out


@dataclass(frozen=True)
class Row:
    line: int
    symbol: str
    meaning: str
    shape: str


def table_rows(lines: list[tuple[int, str]]) -> list[Row]:
    """The rows of every ``| symbol | meaning | shape |`` table among ``lines``."""
    rows, inside = [], False
    for number, line in lines:
        cells = table_cells(line)
        if cells is None:
            inside = False
        elif [c.lower() for c in cells] == ["symbol", "meaning", "shape"]:
            inside = True
        elif inside and len(cells) == 3 and not set("".join(cells)) <= set("-: "):
            rows.append(Row(number, *cells))
    return rows


def table_cells(line: str) -> list[str] | None:
    """The cells of a Markdown table row (a ``|`` inside ``$…$`` does not split), or None."""
    stripped = line.strip()
    if len(stripped) < 2 or stripped[0] != "|" or stripped[-1] != "|":
        return None
    cells, current, in_math = [], "", False
    for char in stripped[1:-1]:
        in_math ^= char == "$"
        if char == "|" and not in_math:
            cells.append(current.strip())
            current = ""
        else:
            current += char
    return [*cells, current.strip()]


# --- the tokenizer --------------------------------------------------------------------------


@dataclass(frozen=True)
class Use:
    """One occurrence of a symbol: its base (with decoration), its subscript, if a bound index."""

    base: str
    sub: str | None = None
    bound: bool = False

    @property
    def name(self) -> str:
        return self.base if self.sub is None else f"{self.base}_{{{self.sub}}}"

    @property
    def is_operator(self) -> bool:
        return (
            self.base.startswith("\\operatorname")
            or self.base in ("*", ":")
            or (self.base[1:] in OPERATORS)
        )


def _group(s: str, i: int) -> tuple[str, int]:
    """The braced group or the single token at ``s[i]``, and where it ends."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return "", i
    if s[i] == "{":
        depth = 0
        for j in range(i, len(s)):
            depth += {"{": 1, "}": -1}.get(s[j], 0)
            if depth == 0:
                return s[i + 1 : j], j + 1
        return s[i + 1 :], len(s)
    macro = re.match(r"\\([A-Za-z]+|.)", s[i:])
    return (macro[0], i + macro.end()) if macro else (s[i], i + 1)


def tokenize(latex: str) -> list[Use]:
    """Every use of a symbol in ``latex``, in order (the rule is in the module's docstring)."""
    uses: list[Use] = []
    i = 0
    while i < len(latex):
        char, base = latex[i], None
        if char == "\\":
            macro = re.match(r"\\([A-Za-z]+|.)", latex[i:])
            name, i = macro[1], i + macro.end()
            if name in WORDS:
                _, i = _group(latex, i)
            elif name == "\\" and latex[i : i + 1] == "[":  # \\[6pt]
                i = latex.find("]", i) + 1 or len(latex)
            elif name == "operatorname":
                argument, i = _group(latex, i)
                base = f"\\operatorname{{{argument.strip()}}}"
            elif name in DECORATIONS:
                argument, i = _group(latex, i)
                base = f"\\{name}{{{argument.strip()}}}"
            elif name in GREEK and f"\\{name}" in CONSTANTS:
                pass
            elif name in GREEK or name in OPERATORS:
                base = f"\\{name}"
            elif name in NORMS:  # the F of \\lVert X \\rVert_F names the norm
                _, i = _group(latex, i + 1) if latex[i : i + 1] == "_" else ("", i)
            else:
                i = _scripts_of_no_symbol(latex, i, uses, binder=name in BINDERS)
        elif char.isascii() and char.isalpha():
            i += 1
            if char == "d" and _is_differential(latex, i):
                pass
            elif char == "e" and latex[i : i + 1] == "^":
                i = _scripts_of_no_symbol(latex, i, uses)
            elif char == "O" and latex[i : i + 1] == "(":
                pass  # O(n): the cost, in big-O notation
            else:
                base = char
        elif char in "*:":
            base, i = char, i + 1
        elif char in ")]}|":
            i = _scripts_of_no_symbol(latex, i + 1, uses, binder=True)
        else:
            i += 1
        if base is not None:
            sub, i = _scripts(latex, i, uses, of=base)
            uses.append(Use(base, sub))
    return uses


def _is_differential(latex: str, i: int) -> bool:
    """``d`` right before a letter, a symbol macro or a bracket, or alone in braces: dX, {d}."""
    after = latex[i : i + 1]
    if (after.isascii() and after.isalpha()) or after == "(":
        return True
    if re.search(r"\\[dt]?frac\{$", latex[: i - 1]) and after == "}":
        return True
    macro = re.match(r"\s*\\([A-Za-z]+)", latex[i:])
    return bool(macro) and (macro[1] in GREEK | DECORATIONS | {"det", "log", "operatorname"})


def _scripts(latex: str, i: int, uses: list[Use], of: str) -> tuple[str | None, int]:
    """The subscript of the symbol ``of`` ending at ``i``; its superscripts go to ``uses``."""
    sub = None
    while i < len(latex):
        while latex[i : i + 1] in (" ", "'"):
            i += 1
        if latex[i : i + 1] == "_" and sub is None:
            content, i = _group(latex, i + 1)
            if of == "\\nabla":  # ∇_x L: the subscript is the variable
                uses.extend(tokenize(content))
                sub = ""
            else:
                sub = re.sub(r"\s+|\\[,;!]", "", content)
        elif latex[i : i + 1] == "^":
            content, i = _group(latex, i + 1)
            uses.extend(_exponent(content))
        else:
            break
    return (sub or None), i


def _exponent(content: str) -> list[Use]:
    """A superscript's uses; an exponent of index letters alone (X^j, X^{k-1-j}) binds them."""
    uses = tokenize(content)
    if uses and all(u.sub is None and len(u.base) == 1 for u in uses):
        return [Use(u.base, bound=True) for u in uses]
    return uses


def _scripts_of_no_symbol(latex: str, i: int, uses: list[Use], binder: bool = False) -> int:
    """Scripts of what is no symbol: ``\\sum_{j=0}^{k-1}``, ``\\partial_\\gamma``, ``)_{ij}``."""
    while True:
        while latex[i : i + 1] == " ":
            i += 1
        kind = latex[i : i + 1]
        if kind not in ("_", "^"):
            return i
        content, i = _group(latex, i + 1)
        if kind == "_" and binder:
            bound, _, rest = content.partition("=")
            uses.extend(Use(u.base, u.sub, bound=True) for u in tokenize(bound))
            uses.extend(tokenize(rest))
        else:
            uses.extend(tokenize(content))


def pieces(latex: str) -> list[str]:
    """``latex`` cut at its top-level separators (``,``, ``;``, ``&``, ``\\\\``, quads, words)."""
    out, depth, start = [], 0, 0
    separators = re.compile(
        r",|;|&|\\\\(?:\[[^\]]*\])?|\\q?quad\b|\\text\{[^{}]*\}|\\(?:mathrm|textstyle)\b"
    )
    i = 0
    while i < len(latex):
        char = latex[i]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == "\\" and (macro := re.match(r"\\([A-Za-z]+|.)", latex[i:])):
            if depth == 0 and separators.match(latex, i):
                end = separators.match(latex, i).end()
                out.append(latex[start:i])
                start = i = end
                continue
            i += len(macro[0])
            continue
        elif depth == 0 and char in ",;&":
            out.append(latex[start:i])
            start = i + 1
        i += 1
    out.append(latex[start:])
    return [p for p in out if p.strip()]


# --- definitions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    dims: tuple[str, ...] | None  # None: no pattern ("set per page", "like …", words)
    text: str

    @property
    def rank(self) -> int | None:
        return None if self.dims is None else sum(d != "1" for d in self.dims)

    def matches(self, other: Shape) -> bool:
        """Has ``other`` this pattern: as many sizes, and a 1 where this has a 1?"""
        if self.dims is None or other.dims is None:
            return True
        return len(self.dims) == len(other.dims) and all(
            (a == "1") == (b == "1") for a, b in zip(self.dims, other.dims, strict=True)
        )


def parse_shape(text: str) -> Shape:
    """The pattern of a shape: its first formula with ``\\times``, or "a number"."""
    if any(words in text for words in PER_PAGE):
        return Shape(None, text)
    spans = math_spans(text)
    if spans and "\\times" in spans[0][1]:
        dims = tuple(re.sub(r"\s+|\\[,;!]", "", d) for d in spans[0][1].split("\\times"))
        return Shape(dims, text)
    if re.search(r"\b(number|numbers|scalar|index|integer)\b", text):
        return Shape(("1", "1"), text)
    return Shape(None, text)


@dataclass(frozen=True)
class Definition:
    line: int
    shape: Shape
    source: str


@dataclass
class Symbols:
    """What a page may use: definitions keyed by (base, subscript as written or None)."""

    defined: dict[tuple[str, str | None], Definition] = field(default_factory=dict)
    index_letters: frozenset[str] = frozenset()

    def add(self, use: Use, definition: Definition) -> None:
        self.defined.setdefault((use.base, use.sub), definition)

    def merged(self, *others: Symbols) -> Symbols:
        """These symbols with ``others``' rows added, the later ones taking precedence."""
        out = Symbols(dict(self.defined), self.index_letters)
        for other in others:
            out.defined.update(other.defined)
            out.index_letters |= other.index_letters
        return out

    def is_size(self, letter: str) -> bool:
        definition = self.defined.get((letter, None))
        return definition is not None and definition.shape.rank == 0

    def is_size_use(self, use: Use) -> bool:
        """Is this use a number the page defines: n, d, or k_1 under a row for k_i?"""
        subs = [use.sub] if use.sub is None else [use.sub, *self.families(use.base)]
        ranks = [
            self.defined[(use.base, s)].shape.rank for s in subs if (use.base, s) in self.defined
        ]
        return bool(ranks) and ranks[0] == 0 and self.covers(use)

    def rank(self, base: str) -> int | None:
        definition = self.defined.get((base, None))
        return None if definition is None else definition.shape.rank

    def is_index(self, sub: str, rank: int | None = None) -> bool:
        """Does this subscript point into its symbol (an entry, a member), rather than name one?"""
        if rank == 0:
            return False
        plain = re.sub(r"\\(dots|ldots|cdots)|[\s,+\-'{}:]", "", sub)
        if not plain or re.search(r"[\\_^]", plain):
            return False
        if plain.isdigit():
            return rank is None or rank < 2 or len(plain) == rank
        return all(c.isdigit() or c in self.index_letters or self.is_size(c) for c in plain)

    def families(self, base: str) -> list[str]:
        """The subscripts of the family rows of ``base``: x_t, 1_k, E_{ij}."""
        return [s for (b, s) in self.defined if b == base and s is not None and self.is_index(s)]

    def covers(self, use: Use) -> bool:
        if (use.base, use.sub) in self.defined:
            return True
        families = self.families(use.base)
        if use.sub is None:
            return bool(families)
        # an entry, or a member (h_{t,i} of h_t); an operator's subscript is always a name: vec_r
        if not use.is_operator and self.is_index(use.sub, self.rank(use.base)):
            within = any(arity(s) <= arity(use.sub) for s in families)
            return (use.base, None) in self.defined or within
        return any(arity(s) == 1 for s in families)  # a named member: h_0 of h_t, 1_N of 1_k

    def key(self, base: str, sub: str | None) -> tuple[str, str | None]:
        """What two rows must share to define the same symbol: x_t and x_a are one family."""
        if sub is not None and self.is_index(sub):
            return (base, "•" * arity(sub))
        return (base, sub)


def arity(sub: str) -> int:
    """How many indices a subscript holds: 1 for t, t-1, i+j; 2 for ij, t,i, 11."""
    if "," in sub:
        return sub.count(",") + 1
    if re.search(r"[+\-]", sub):
        return 1
    return len(re.sub(r"[^A-Za-z0-9]", "", sub))


def defined_by(symbol_cell: str) -> list[list[Use]]:
    """What a symbol cell defines, formula by formula (the rule is in the module's docstring)."""
    cell = re.split(r"\s+in\s+(?=\$)", symbol_cell, maxsplit=1)[0]
    defined = []
    for _, latex in math_spans(cell):
        sides = re.split(RELATIONS, latex)
        if len(sides) == 1 and "\\partial" in latex:
            defined.append([])  # a Jacobian or a gradient, of symbols defined elsewhere
            continue
        uses = [u for side in sides[: max(1, len(sides) - 1)] for u in tokenize(side)]
        defined.append([u for u in uses if u.is_operator] or uses)
    return defined


def symbols_of(rows: list[Row], source: str, index_letters: frozenset[str]) -> Symbols:
    symbols = Symbols(index_letters=index_letters)
    for row in rows:
        formulas = defined_by(row.symbol)
        shapes = [Shape(None, row.shape)] if PER_PAGE[0] in row.shape else _shapes(row.shape)
        for position, uses in enumerate(formulas):
            if len(shapes) == len(formulas):
                shape = shapes[position]
            elif len(shapes) == 1:
                shape = shapes[0]
            else:
                shape = Shape(None, row.shape)
            for use in uses:
                symbols.add(use, Definition(row.line, shape, source))
    return symbols


def _shapes(cell: str) -> list[Shape]:
    """A shape cell cut at the commas and semicolons between its formulas."""
    parts = [p for p in re.split(r"(?<=\$)\s*[,;]\s*(?=\$)", cell) if p.strip()]
    return [parse_shape(p) for p in parts] or [Shape(None, cell)]


def row_locals(rows: list[Row], index_letters: frozenset[str]) -> dict[int, Symbols]:
    """Per row line: every symbol its symbol cell writes, operands of operators included."""
    local = {}
    for row in rows:
        symbols = Symbols(index_letters=index_letters)
        for _, latex in math_spans(row.symbol):
            for use in tokenize(latex):
                symbols.add(use, Definition(row.line, Shape(None, ""), "row"))
        local[row.line] = symbols
    return local


# --- the registry and the check -------------------------------------------------------------


@cache
def registry() -> Symbols:
    rows = table_rows(section(REGISTRY_PAGE.read_text(encoding="utf-8"), SYMBOLS))
    letters = frozenset(
        use.base
        for row in rows
        if row.shape.strip().lower() == INDEX
        for uses in defined_by(row.symbol)
        for use in uses
    )
    rows = [row for row in rows if row.shape.strip().lower() != INDEX]
    return symbols_of(rows, str(REGISTRY_PAGE.relative_to(ROOT)), letters)


def undefined(
    spans: list[tuple[int, str]], symbols_at: dict[int, Symbols] | Symbols
) -> dict[str, int]:
    """Each symbol the formulas use and do not define, with the first line using it."""
    missing: dict[str, int] = {}
    for line, latex in spans:
        symbols = symbols_at if isinstance(symbols_at, Symbols) else symbols_at[line]
        letters = symbols.index_letters
        bound = {u.base for u in tokenize(latex) if u.bound}
        mapped = {  # u ↦ u^{-1}: the variable of a map is bound in its formula
            u.name
            for piece in pieces(latex)
            if "\\mapsto" in piece
            for u in tokenize(piece.split("\\mapsto")[0])
        }
        for piece in pieces(latex):
            uses = tokenize(piece)
            left = re.split(RELATIONS, piece, maxsplit=1)
            before = tokenize(left[0]) if len(left) == 2 else []
            if before and all(u.sub is None and u.base in letters for u in before):
                bound |= {u.base for u in before}
            arithmetic = "\\times" not in piece and all(
                u.is_operator or (u.sub is None and u.base in letters) or symbols.is_size_use(u)
                for u in uses
            )
            for use in uses:
                is_index = use.sub is None and use.base in letters
                if is_index and (use.bound or use.base in bound or arithmetic):
                    continue
                if use.name in mapped:
                    continue
                if not symbols.covers(use):
                    missing.setdefault(use.name, line)
    return missing


def shape_conflicts(page: Symbols, reg: Symbols) -> list[str]:
    """'LINE: name has shape … here but … in the registry' for each contradicting row."""
    context = reg.merged(page)
    registered = {context.key(*k): d for k, d in reg.defined.items()}
    conflicts = []
    for (base, sub), definition in page.defined.items():
        other = registered.get(context.key(base, sub))
        if other is not None and not other.shape.matches(definition.shape):
            name = base if sub is None else f"{base}_{{{sub}}}"
            conflicts.append(
                f"{definition.line}: {name} has shape {definition.shape.text} here but "
                f"{other.shape.text} in the registry ({other.source}:{other.line})"
            )
    return conflicts


def check(text: str, source: str) -> list[str]:
    """The problems of one page, held to the registry and to its own symbol tables."""
    reg = registry()
    rows = table_rows(list(enumerate(text.split("\n"), 1)))
    own = symbols_of(rows, source, reg.index_letters)
    symbols = reg.merged(own)
    local = row_locals(rows, reg.index_letters)
    spans = math_spans(text)
    at = {line: symbols.merged(local[line]) if line in local else symbols for line, _ in spans}
    problems = [
        f"{source}:{line}: {name} is used but is neither in the registry "
        f"({REGISTRY_PAGE.relative_to(ROOT)}, ## {SYMBOLS}) nor in a symbol table of the page"
        for name, line in undefined(spans, at).items()
    ]
    return problems + [f"{source}:{conflict}" for conflict in shape_conflicts(own, reg)]


def check_cheatsheet(text: str, source: str) -> list[str]:
    """The cheat sheet: its glossary defines what it writes; a table row may use its page's."""
    reg = registry()
    glossary = Symbols(index_letters=reg.index_letters)
    for line, latex in math_spans("\n".join(t for _, t in section(text, SYMBOLS))):
        for use in tokenize(latex):
            glossary.add(use, Definition(line, Shape(None, ""), "glossary"))
    base = reg.merged(glossary)
    at = {}
    lines = text.split("\n")
    for line, _ in math_spans(text):
        row = lines[line - 1]
        linked = re.findall(r"\]\((\w+)\.md[^)]*\)", row) if table_cells(row) else []
        at[line] = base.merged(*(_setup_of(page) for page in linked))
    return [
        f"{source}:{line}: {name} is used but is in neither the registry, the cheat sheet's "
        f"## {SYMBOLS} nor the ## {SETUP} table of the page its row links"
        for name, line in undefined(math_spans(text), at).items()
    ]


@cache
def _setup_of(page: str) -> Symbols:
    path = DOCS / f"{page}.md"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    rows = table_rows(list(enumerate(text.split("\n"), 1)))
    return symbols_of(rows, f"docs/{page}.md", registry().index_letters)


# --- the tests ------------------------------------------------------------------------------

DERIVATION_PAGES = sorted(
    p for p in DOCS.glob("*.md") if f"\n## {SETUP}\n" in p.read_text(encoding="utf-8")
)


def _source(page: Path) -> str:
    return str(page.relative_to(ROOT))


@pytest.mark.parametrize("page", DERIVATION_PAGES, ids=lambda p: p.stem)
def test_every_symbol_is_defined(page):
    problems = check(page.read_text(encoding="utf-8"), _source(page))
    assert not problems, "\n".join(problems)


def test_pitfalls_define_their_symbols():
    problems = check(PITFALLS.read_text(encoding="utf-8"), _source(PITFALLS))
    assert not problems, "\n".join(problems)


def test_cheatsheet_defines_its_symbols():
    problems = check_cheatsheet(CHEATSHEET.read_text(encoding="utf-8"), _source(CHEATSHEET))
    assert not problems, "\n".join(problems)


# --- the check itself: it fails when it should ----------------------------------------------

PLANTED = r"""---
description: a page made up for the test
---

# Planted

## Setup

| symbol | meaning | shape |
|---|---|---|
| $h = \sigma(r)$ | hidden activation | $1 \times n$ |
| $g = \partial L / \partial h$ | upstream gradient | $1 \times n$ |

The chain is $g \circ h \circ (1 - h)$, summed as $\sum_i g_i h_i$ over entry $(i, j)$.
"""


def planted(rows: str = "", text: str = "") -> str:
    """The planted page with more rows in its setup table and more text at its end."""
    return PLANTED.replace("|---|---|---|\n", "|---|---|---|\n" + rows) + text


def test_a_planted_undefined_symbol_fails_naming_page_symbol_and_line():
    assert check(planted(), "docs/planted.md") == []
    text = "Then $\\hat{y} = \\operatorname{softmax}(h W_2)$,\nand again $\\hat{y}$.\n"
    problems = check(planted(text=text), "docs/planted.md")
    assert [p.split(" is used")[0] for p in problems] == [
        "docs/planted.md:15: \\hat{y}",
        "docs/planted.md:15: W_{2}",  # W is in the registry; W_1, W_2 are symbols of their own
    ]
    assert "nor in a symbol table of the page" in problems[0]
    row = "| $\\hat{y}$, $W_2$ | probabilities; second layer | $1 \\times m$, $n \\times m$ |\n"
    assert check(planted(row, text), "docs/planted.md") == []


def test_a_planted_conflicting_shape_fails():
    rows = "| $\\mathbf{1}_n$ | a row of ones | $1 \\times n$ |\n| $x$ | input | $n \\times 1$ |\n"
    problems = check(planted(rows), "docs/planted.md")
    assert len(problems) == 2, problems
    assert problems[0].startswith(
        "docs/planted.md:11: \\mathbf{1}_{n} has shape $1 \\times n$ here"
    )
    assert "but $k \\times 1$ in the registry (docs/conventions.md:" in problems[0]
    assert problems[1].startswith("docs/planted.md:12: x has shape $n \\times 1$ here")


def test_sizes_are_placeholders_and_set_per_page_is_not_compared():
    rows = (
        "| $x$, $\\mathbf{1}_N$ | input; ones | $1 \\times 5$, $N \\times 1$ |\n"
        "| $r$ | a size, as on vec and Kronecker | a number |\n"
        "| $J$ | a four-index Jacobian | $n \\times n \\times n \\times n$ |\n"
    )
    assert check(planted(rows), "docs/planted.md") == []


@pytest.mark.parametrize(
    ("formula", "undefined_names"),
    [
        ("\\sum_{j=0}^{k-1} w_j x_{i+j}", ["k", "w_{j}"]),  # i, j indices; k, the bound, a size
        ("entry $(i, j)$ of $1 \\times k$", ["k"]),  # k as a size needs a row
        ("$u \\mapsto u^{-1}$", []),
        ("$dX$, $d\\ell$, $\\frac{d}{dt} Y$, $e^{-x}$", ["t", "Y"]),
        ("$\\lVert X \\rVert_F$, $O(n^2)$, $\\sqrt{2\\pi}$", []),
        ("$h_0$, $h_t$, $W_h$", ["h_{0}", "h_{t}", "W_{h}"]),
        (
            "$\\operatorname{vec}_c X$, $\\operatorname{pad}(x)$",
            ["\\operatorname{vec}_{c}", "\\operatorname{pad}"],
        ),
    ],
)
def test_the_tokenizer(formula, undefined_names):
    text = formula if "$" in formula else f"${formula}$"
    assert list(undefined(math_spans(text), registry())) == undefined_names


def test_a_family_row_covers_its_members():
    page = "| symbol | meaning | shape |\n|---|---|---|\n"
    page += "| $h_t$ | state at step $t$ | $1 \\times H$ |\n| $H$ | width | a number |\n"
    page += "\nFrom $h_0$ to $h_{t-1}$ and $h_{t,i}$; not $W_x$.\n"
    assert [p.split(" is used")[0] for p in check(page, "p.md")] == ["p.md:6: W_{x}"]


def test_the_cheat_sheet_is_held_to_the_page_each_row_links():
    sheet = "## Symbols\n\n- $\\star$: cross-correlation.\n\n## Core\n\n"
    sheet += "| op | VJP | page |\n|---|---|---|\n"
    ok = "| $y = x \\star w$ | $\\operatorname{pad}(g) \\star w$ | [conv](conv1d.md) |\n"
    bad = "| $y = x \\star w$ | $\\operatorname{pad}(g) \\star w$ | [softmax](softmax.md) |\n"
    assert check_cheatsheet(sheet + ok, "c.md") == []
    assert [p.split(" is used")[0] for p in check_cheatsheet(sheet + bad, "c.md")] == [
        "c.md:9: w",
        "c.md:9: \\operatorname{pad}",
    ]


def test_the_registry_declares_its_index_letters_and_core_symbols():
    reg = registry()
    assert {"i", "j", "a", "t"} <= reg.index_letters
    for base, sub, dims in [
        ("x", None, ("1", "n")),
        ("\\mathbf{1}", "k", ("k", "1")),
        ("L", None, ("1", "1")),
    ]:
        assert reg.defined[(base, sub)].shape.dims == dims
