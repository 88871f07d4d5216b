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
    ("pitfalls", 'compare("wrong g Jᵀ", g @ J.T, g @ numeric)', "@ -> *"): (
        "the surviving mutant is the reference's g @ numeric: g @ J.T raises its shape error "
        "first, so the reference is never computed (the first @ is pinned by "
        "test_layout_demo_shows_the_shape_error)"
    ),
    ("pitfalls", "return np.diag(y.ravel()) - y.T @ y", "@ -> *"): (
        "yᵀ is m×1 and y is 1×m: broadcasting makes yᵀ * y the same outer product as yᵀ @ y"
    ),
    (
        "activations",
        "sigma_prime = h * (1 - h)",
        "- -> +",
    ): (
        "the mistake block shows that g @ σ'(r).T has the wrong shape; the values of σ' do not "
        "enter what it prints"
    ),
    (
        "affine",
        'compare("gᵀx (product reversed)", g.T @ x, reference_w)',
        "@ -> *",
    ): (
        "gᵀ (m×1) is a column and x (1×n) a row: with * they broadcast to the same outer "
        "product as @"
    ),
    (
        "attention",
        "jacobian[t * T : (t + 1) * T, t * T : (t + 1) * T] = np.diag(p[0]) - p.T @ p",
        "@ -> *",
    ): "pᵀ is a column and p a row: with * they broadcast to the same outer product as @",
    (
        "batchnorm",
        "centring = np.eye(N) - ones @ ones.T / N",
        "@ -> *",
    ): "1 (N×1) is a column and 1ᵀ a row: with * they broadcast to the same outer product as @",
    (
        "batchnorm",
        "blocks.append(gamma[0, i] / s[0, i] * (centring - x_hat @ x_hat.T / N))",
        "@ -> *",
    ): (
        "x̂_i (N×1) is a column and x̂_iᵀ a row: with * they broadcast to the same outer product as @"
    ),
    (
        "batchnorm",
        "centring = np.eye(N) - np.ones((N, N)) / N  # I − 11ᵀ/N",
        "- -> +",
    ): (
        "the check states B_i1 = 0: with that, B_i(I + 11ᵀ/N) = B_i as well as B_i(I − 11ᵀ/N) ="
        " B_i, so it prints matches either way; B_i1 = 0 itself is pinned by "
        "test_block_structure"
    ),
    (
        "forward_reverse",
        "reference = (numerical_jacobian(lambda x: tanh_layer(x, A, B), x) @ v.T).T  # 1×m",
        "drop .T",
    ): (
        "in the mistake block v J (1×3 times 5×3) raises a shape error first, so the reference "
        "never reaches the output"
    ),
    (
        "forward_reverse",
        "along_v = numerical_jacobian(lambda eps: gradient(x + eps * v), np.zeros((1, 1))).T  # 1×n",  # noqa: E501
        "* -> @",
    ): "eps is 1×1: eps @ v and eps * v are the same 1×n row",
    (
        "forward_reverse",
        'assert compare("Hessian is symmetric", hessian, hessian.T)',
        "drop .T",
    ): (
        "the page's self-check of symmetry then compares H with itself and still prints "
        "matches; the symmetry itself is pinned by test_hessian"
    ),
    (
        "layernorm",
        "return (np.eye(n) - ones.T @ ones / n - x_hat.T @ x_hat / n) / s",
        "@ -> *",
    ): (
        "either product: 1ᵀ (or x̂ᵀ), n×1, is a column and 1 (or x̂) a row: with * they "
        "broadcast to the same outer product as @"
    ),
    (
        "layernorm",
        'assert compare("∂x̂/∂x is symmetric", jacobian_hat, jacobian_hat.T)',
        "drop .T",
    ): (
        "the page's self-check of symmetry then compares ∂x̂/∂x with itself and still prints "
        "matches; the symmetry itself is pinned by test_jacobian_structure"
    ),
    (
        "layernorm",
        "centring = np.eye(n) - np.ones((n, n)) / n  # I − 11ᵀ/n",
        "- -> +",
    ): (
        "the check states J1 = 0: with that, J(I + 11ᵀ/n) = J as well as J(I − 11ᵀ/n) = J, so "
        "it prints matches either way; J1 = 0 itself is pinned by test_jacobian_structure"
    ),
    (
        "losses_activations",
        "s = 1 / (1 + np.exp(-huge))  # overflows to σ = 0 at −1e4, rounds to 1 at 1e4",
        "+ -> -",
    ): (
        "in the mistake block the naive losses are still inf/nan at ±1e4, so it prints the same"
        " 'relative error nan'"
    ),
    (
        "losses_activations",
        "s = 1 / (1 + np.exp(-huge))  # overflows to σ = 0 at −1e4, rounds to 1 at 1e4",
        "drop unary -",
    ): (
        "in the mistake block the naive losses are still inf/nan at ±1e4, so it prints the same"
        " 'relative error nan'"
    ),
    (
        "losses_activations",
        "naive = -(labels * np.log(s) + (1 - labels) * np.log(1 - s))",
        "drop unary -",
    ): (
        "in the mistake block the naive losses are still inf/nan at ±1e4, so it prints the same"
        " 'relative error nan'"
    ),
    (
        "losses_activations",
        "naive = -(labels * np.log(s) + (1 - labels) * np.log(1 - s))",
        "+ -> -",
    ): (
        "in the mistake block the naive losses are still inf/nan at ±1e4, so it prints the same"
        " 'relative error nan'"
    ),
    (
        "losses_activations",
        "naive = -(labels * np.log(s) + (1 - labels) * np.log(1 - s))",
        "- -> +",
    ): (
        "either minus: in the mistake block the naive losses are still inf/nan at ±1e4, so it "
        "prints the same 'relative error nan'"
    ),
    (
        "losses_activations",
        "s20 = 1 / (1 + np.exp(-z20))  # 1 + e^−20 rounds to 1 in float32",
        "+ -> -",
    ): "1 − e^−20 rounds to 1 in float32 just as 1 + e^−20 does: σ(20) is 1 either way",
    (
        "losses_activations",
        'compare("−log(1 − σ(z)) at z = 20, float32", -np.log(1 - s20), exact20)',
        "drop unary -",
    ): "log(1 − σ) is −inf; with or without the minus the relative error printed is inf",
    (
        "losses_activations",
        "at_kink = np.array([[-1.0, 0.0, 2.0]])  # the middle entry sits on the kink",
        "drop unary -",
    ): (
        "entry 0 is away from the kink, where Diag([r > 0]) and the central difference agree "
        "for r = −1 and r = 1 alike; the printed 0.5 comes from the middle entry"
    ),
    (
        "matrix_by_matrix",
        "return X.T @ residual @ v.T, H.T @ residual",
        "@ -> *",
    ): (
        "Xᵀ(ŷ − y) (n×1) is a column and vᵀ (1×k) a row: with * they broadcast to the same "
        "outer product as @"
    ),
    (
        "matrix_by_matrix",
        'assert compare("∂L/∂H: (ŷ − y) contracted with ∂ŷ/∂H = (ŷ − y)vᵀ", contracted_h, residual @ v.T)',  # noqa: E501
        "@ -> *",
    ): (
        "ŷ − y (N×1) is a column and vᵀ (1×k) a row: with * they broadcast to the same outer "
        "product as @"
    ),
    (
        "matrix_by_matrix",
        'compare("X(ŷ − y)vᵀ", X @ residual @ v.T, reference)',
        "@ -> *",
    ): (
        "in the mistake block X(ŷ − y) (5×4 times 5×1) raises a shape error first, so the "
        "second product never reaches the output"
    ),
    (
        "matrix_by_matrix",
        'compare("X(ŷ − y)vᵀ", X @ residual @ v.T, reference)',
        "drop .T",
    ): (
        "in the mistake block X(ŷ − y) (5×4 times 5×1) raises a shape error first, so vᵀ never "
        "reaches the output"
    ),
    (
        "matrix_by_matrix",
        'compare("Xᵀvᵀ(ŷ − y)", X.T @ v.T @ residual, reference)',
        "@ -> *",
    ): (
        "in the mistake block Xᵀvᵀ (4×5 times 1×3) raises a shape error first, so the second "
        "product never reaches the output"
    ),
    (
        "matrix_by_matrix",
        'compare("v(ŷ − y)ᵀX (order reversed)", v @ residual.T @ X, reference)',
        "@ -> *",
    ): (
        "v (k×1) is a column and (ŷ − y)ᵀ (1×N) a row: with * they broadcast to the same outer "
        "product as @"
    ),
    (
        "matrix_identities",
        "return a.T @ b",
        "@ -> *",
    ): (
        "aᵀ (n×1) is a column and b (1×m) a row: with * they broadcast to the same outer "
        "product as @"
    ),
    (
        "matrix_identities",
        "ours = frobenius_products(symmetric_part(A.T), symmetric)  # the unconstrained G is Aᵀ",
        "drop .T",
    ): "sym(A) = (A + Aᵀ)/2 = sym(Aᵀ)",
    (
        "matrix_identities",
        "ours = frobenius_products(symmetric_part(A.T), general)",
        "drop .T",
    ): "sym(A) = (A + Aᵀ)/2 = sym(Aᵀ)",
    (
        "network",
        "return np.diag(yhat.ravel()) - yhat.T @ yhat",
        "@ -> *",
    ): "ŷᵀ is a column and ŷ a row: with * they broadcast to the same outer product as @",
    (
        "network",
        "g_theta = softmax(theta) - y  # ∂ℓ/∂θ, 1×5",
        "- -> +",
    ): (
        "both wrong forms in the mistake block raise shape errors, so the values of ŷ − y never"
        " reach the output"
    ),
    (
        "network",
        'compare("((ŷ − y)W₂ᵀ) ∘ ((h − h∘h)W₁ᵀ)", (g_theta @ W2.T) * ((h - h * h) @ W1.T), reference)',  # noqa: E501
        "- -> +",
    ): (
        "in the mistake block 1×3 ∘ 1×5 raises a shape error first, so the value of h − h∘h "
        "never reaches the output"
    ),
    (
        "network",
        'compare("((ŷ − y)W₂ᵀ ∘ σ\'(r)) W₁", ((g_theta @ W2.T) * h * (1 - h)) @ W1, reference)',
        "- -> +",
    ): (
        "in the mistake block (1×3)(5×3) raises a shape error first, so the value of 1 − h "
        "never reaches the output"
    ),
    (
        "rnn",
        "untransposed = [np.diag(1 - h_t**2) @ W_h for h_t in S[::-1]]  # W_h for W_hᵀ",
        "@ -> *",
    ): (
        "Diag(d) * W_h keeps only W_h's diagonal; that product is tiny next to the reference, "
        "so its relative error is 1.0 and prints as the mistake's own 1.02 does: 'relative "
        "error 1'"
    ),
    (
        "softmax",
        "return np.diag(y.ravel()) - y.T @ y",
        "@ -> *",
    ): "yᵀ is a column and y a row: with * they broadcast to the same outer product as @",
    (
        "softmax",
        'assert compare("Jacobian is symmetric", jacobian, jacobian.T)',
        "drop .T",
    ): (
        "the page's self-check of symmetry then compares the Jacobian with itself and still "
        "prints matches; the symmetry itself is pinned by test_jacobian_structure"
    ),
    (
        "softmax",
        'assert compare("diagonal = −(rest of its row)", np.diag(jacobian), -off_diagonal.sum(axis=1))',  # noqa: E501
        "axis=1 -> axis=0",
    ): "the Jacobian is symmetric, so each column of the off-diagonal part sums as its row does",
    (
        "softmax",
        "naive = np.exp(huge) / np.sum(np.exp(huge), axis=1, keepdims=True)",
        "sum -> mean",
    ): (
        "the naive softmax is inf/inf = nan at 1e4 with a sum or a mean: it prints 'relative "
        "error nan'"
    ),
    (
        "softmax",
        "naive = np.exp(huge) / np.sum(np.exp(huge), axis=1, keepdims=True)",
        "axis=1 -> axis=0",
    ): (
        "over the single row, each entry divided by itself is still inf/inf = nan at 1e4: it "
        "prints 'relative error nan'"
    ),
    (
        "three_ways",
        "g_W1 = x.T @ g_r  # g_r:(x dW1) = (xᵀ g_r):dW1, by A:(BC) = (BᵀA):C",
        "@ -> *",
    ): (
        "xᵀ (n×1) is a column and g_r (1×m) a row: with * they broadcast to the same outer "
        "product as @"
    ),
    (
        "three_ways",
        "g_theta, sigma_prime = softmax(theta) - y, h * (1 - h)",
        "- -> +",
    ): "either minus: every line of the mistake block reports a shape, never a value",
    (
        "three_ways",
        'compare("tr(M dW1) read as ∂ℓ/∂W1 = M", g_r.T @ x, reference)',
        "@ -> *",
    ): (
        "g_rᵀ (m×1) is a column and x (1×n) a row: with * they broadcast to the same outer "
        "product as @ (the block reports its shape)"
    ),
    (
        "backward_mechanics",
        'compare("G.sum(axis=1) (the wrong axis)", G.sum(axis=1), reference)',
        "sum -> mean",
    ): (
        "the mistake is shown by its shape, (5,) for (1, 3): a mean over the same axis has that "
        "shape too, so the printed line is the same"
    ),
    (
        "backward_mechanics",
        "grad = (g * x) @ M.T  # the path through w ...",
        "@ -> *",
    ): (
        "the overwrite mistake: this value is replaced on the next line, which is the point of "
        "the demo, so nothing computed from it can change"
    ),
    (
        "backward_mechanics",
        "grad = (g * x) @ M.T  # the path through w ...",
        "drop .T",
    ): "the overwrite mistake: the value is replaced on the next line (above)",
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
