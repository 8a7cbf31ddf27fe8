"""Scheme -> Python source of a function matmul(A, B) for numpy or torch.

The generated function computes one level: A is cut into n x m blocks and B
into m x p blocks, the r products are formed from linear combinations of
blocks, and C's blocks are linear combinations of the products. Products go
through `inner` (default: the library's matmul), so the same function runs
recursively. Additions are reduced by greedy common-subexpression
elimination: the most frequent pair (x, c*y) across all combinations of one
kind becomes a temporary, until no pair repeats.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from .errors import DecompError
from .rings import Ring
from .scheme import Scheme
from .targets import require_matmul

LANGS = ("numpy", "torch")


@dataclass(frozen=True)
class Generated:
    source: str
    additions_before: int
    additions_after: int
    temporaries: int


def _frac(v) -> Fraction:
    return v if isinstance(v, Fraction) else Fraction(int(v))


def _combos(mat, names) -> list[dict]:
    """Columns of a factor matrix as {name: coefficient} linear combinations."""
    out = []
    for col in range(mat.shape[1]):
        out.append({names[q]: _frac(mat[q, col]) for q in range(mat.shape[0]) if mat[q, col] != 0})
    return out


def _count(combos: list[dict]) -> int:
    return sum(max(0, len(c) - 1) for c in combos)


def eliminate(combos: list[dict], prefix: str) -> tuple[list[dict], list[tuple[str, dict]]]:
    """Greedy pair CSE. Returns rewritten combos and temporaries
    [(name, {x: 1, y: c})] in definition order."""
    combos = [dict(c) for c in combos]
    temps = []
    while True:
        pairs = Counter()
        for c in combos:
            keys = sorted(c)
            for i, x in enumerate(keys):
                for y in keys[i + 1:]:
                    ratio = Fraction(c[y]) / Fraction(c[x])
                    if ratio.denominator == 1:  # no division: integer inputs stay exact
                        pairs[(x, y, ratio)] += 1
        if not pairs:
            break
        (x, y, ratio), freq = pairs.most_common(1)[0]
        if freq < 2:
            break
        name = f"{prefix}{len(temps) + 1}"
        temps.append((name, {x: Fraction(1), y: ratio}))
        for c in combos:
            if x in c and y in c and Fraction(c[y]) / Fraction(c[x]) == ratio:
                coef = c.pop(x)
                c.pop(y)
                c[name] = coef
    return combos, temps


def _expr(combo: dict) -> str:
    parts = []
    for name, coef in sorted(combo.items(), key=lambda kv: kv[0]):
        mag = abs(coef)
        sign = "-" if coef < 0 else "+"
        if mag == 1:
            term = name
        elif mag.denominator == 1:
            term = f"{mag.numerator} * {name}"
        else:
            term = f"({mag.numerator} / {mag.denominator}) * {name}"
        parts.append((sign, term))
    if not parts:
        return "0"
    text = ("-" if parts[0][0] == "-" else "") + parts[0][1]
    for sign, term in parts[1:]:
        text += f" {sign} {term}"
    return text


def _scalar(coef: Fraction) -> str:
    return str(coef.numerator) if coef.denominator == 1 else f"({coef.numerator} / {coef.denominator})"


def _accumulate(combo: dict, lang: str) -> list[str]:
    """Statements that set view `c` to the combination, in place."""
    items = sorted(combo.items())
    if not items:
        return ["    c[...] = 0" if lang == "numpy" else "    c.zero_()"]
    first, coef = items[0]
    head = first if coef == 1 else f"-{first}" if coef == -1 else f"{_scalar(coef)} * {first}"
    out = [f"    c[...] = {head}" if lang == "numpy" else f"    c.copy_({head})"]
    for name, coef in items[1:]:
        if lang == "numpy":
            if abs(coef) == 1:
                out.append(f"    c {'+' if coef > 0 else '-'}= {name}")
            else:
                out.append(f"    c += {_scalar(coef)} * {name}")
        else:
            out.append(f"    c.add_({name}, alpha={_scalar(coef)})" if coef != 1 else f"    c.add_({name})")
    return out


def generate(s: Scheme, lang: str = "numpy", cse: bool = True) -> Generated:
    """Source of a module defining matmul(A, B, inner=None) for scheme s."""
    require_matmul(s.fmt, "code generation")
    if lang not in LANGS:
        raise DecompError(f"unknown language {lang!r}: choose {', '.join(LANGS)}")
    if s.ring is Ring.GF2:
        raise DecompError("a GF(2) scheme is only valid mod 2; lift it to Z before generating float code")
    s.require_valid()
    n, m, p = s.fmt.dims
    a_names = [f"A{i}_{j}" for i in range(n) for j in range(m)]
    b_names = [f"B{j}_{k}" for j in range(m) for k in range(p)]
    m_names = [f"M{r + 1}" for r in range(s.rank)]
    left, right = _combos(s.U, a_names), _combos(s.V, b_names)
    # C rows as combinations of products: W row k*n+i is C[i,k]
    out_rows = [{m_names[r]: _frac(s.W[k * n + i, r]) for r in range(s.rank) if s.W[k * n + i, r] != 0}
                for i in range(n) for k in range(p)]
    before = _count(left) + _count(right) + _count(out_rows)
    temps_l = temps_r = temps_c = []
    if cse:
        left, temps_l = eliminate(left, "SA")
        right, temps_r = eliminate(right, "SB")
        out_rows, temps_c = eliminate(out_rows, "SM")
    after = _count(left) + _count(right) + _count(out_rows) + len(temps_l) + len(temps_r) + len(temps_c)
    mod = "np" if lang == "numpy" else "torch"
    lines = [
        f'"""Generated by decomp: <{n},{m},{p}> in {s.rank} products ({s.ring.value} coefficients).',
        "",
        f"Additions: {before} naive, {after} after common-subexpression elimination.",
        f'Source: {s.provenance.get("source") or s.provenance.get("method")}."""',
        f"import {'numpy as np' if lang == 'numpy' else 'torch'}",
        "",
        f"FORMAT = ({n}, {m}, {p})",
        f"RANK = {s.rank}",
        "",
        "",
        "def matmul(A, B, inner=None):",
        f'    """C = A @ B with one level of the scheme; A rows divisible by {n}, A cols by {m}, B cols by {p}.',
        '    inner(X, Y) multiplies the blocks (default: the library matmul)."""',
        f"    inner = {mod}.matmul if inner is None else inner",
        "    rows, inner_dim = A.shape",
        "    cols = B.shape[1]",
        f"    if rows % {n} or inner_dim % {m} or cols % {p} or B.shape[0] != inner_dim:",
        f'        raise ValueError(f"shapes {{tuple(A.shape)}} x {{tuple(B.shape)}} do not split into {n}x{m} and {m}x{p} blocks")',
        f"    h, w, d = rows // {n}, inner_dim // {m}, cols // {p}",
    ]
    for i in range(n):
        for j in range(m):
            lines.append(f"    A{i}_{j} = A[{i} * h:{i + 1} * h, {j} * w:{j + 1} * w]")
    for j in range(m):
        for k in range(p):
            lines.append(f"    B{j}_{k} = B[{j} * w:{j + 1} * w, {k} * d:{k + 1} * d]")
    for name, combo in temps_l + temps_r:
        lines.append(f"    {name} = {_expr(combo)}")
    for r in range(s.rank):
        lines.append(f"    {m_names[r]} = inner({_expr(left[r])}, {_expr(right[r])})")
    for name, combo in temps_c:
        lines.append(f"    {name} = {_expr(combo)}")
    empty = "np.empty((rows, cols), dtype=np.result_type(A, B))" if lang == "numpy" else \
        "torch.empty((rows, cols), dtype=torch.promote_types(A.dtype, B.dtype), device=A.device)"
    lines.append(f"    C = {empty}")
    # C's blocks are accumulated in place: no temporary per partial sum.
    for idx, (i, k) in enumerate((i, k) for i in range(n) for k in range(p)):
        lines.append(f"    c = C[{i} * h:{i + 1} * h, {k} * d:{k + 1} * d]")
        lines.extend(_accumulate(out_rows[idx], lang))
    lines.append("    return C")
    return Generated("\n".join(lines) + "\n", before, after, len(temps_l) + len(temps_r) + len(temps_c))


def compile_matmul(s: Scheme, lang: str = "numpy", cse: bool = True):
    """The generated function, ready to call (our own generated source)."""
    gen = generate(s, lang, cse)
    namespace: dict = {}
    exec(compile(gen.source, f"<decomp {s.fmt} rank {s.rank}>", "exec"), namespace)
    fn = namespace["matmul"]
    fn.generated = gen
    return fn
