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

# Emitted into numpy modules (they stay self-contained). numpy's ufuncs run on
# one core and allocate a temporary per binary operation; the block additions
# are memory-bound, so they are split by rows over threads (numpy releases the
# GIL inside ufunc loops) and written straight into their destination.
_NUMPY_HELPERS = '''
import os
import threading
from concurrent.futures import ThreadPoolExecutor

_THREADS = max(1, min(8, os.cpu_count() or 1))
_POOL = ThreadPoolExecutor(_THREADS) if _THREADS > 1 else None
_SPLIT_BELOW = 1 << 16  # elements: smaller blocks are not worth a thread hop


def _fill(out, terms):
    """out[...] = sum(c * X for c, X in terms), one pass per term, no temporaries."""
    (c0, x0), rest = terms[0], terms[1:]
    if rest and c0 in (1, -1) and rest[0][0] in (1, -1):
        (c1, x1), rest = rest[0], rest[1:]
        if c0 == 1:
            (np.add if c1 == 1 else np.subtract)(x0, x1, out=out)
        elif c1 == 1:
            np.subtract(x1, x0, out=out)
        else:
            np.add(x0, x1, out=out)
            np.negative(out, out=out)
    elif c0 == 1:
        np.copyto(out, x0)
    else:
        np.multiply(x0, c0, out=out)
    for c, x in rest:
        if c == 1:
            np.add(out, x, out=out)
        elif c == -1:
            np.subtract(out, x, out=out)
        else:
            out += c * x


_SPARE = threading.local()  # per thread: scratch block buffers of earlier calls, newest last
_SPARE_KEEP = 4


def _spare_sets():
    return _SPARE.__dict__.setdefault("sets", [])


def _take(dtype, *shapes):
    """Scratch buffers of these shapes: a set an earlier call gave back, or
    new ones. Blocks this large are fresh memory maps each time they are
    allocated, and their page faults cost about as much as the additions."""
    spare = _spare_sets()
    key = (np.dtype(dtype).str, shapes)
    for i in range(len(spare) - 1, -1, -1):
        if spare[i][0] == key:
            return spare.pop(i)
    return key, tuple(np.empty(shape, dtype) for shape in shapes)


def _give(taken):
    """Back for the next call (a nested call of the same shapes, while these
    are in use, takes new ones); the oldest sets beyond _SPARE_KEEP go."""
    spare = _spare_sets()
    spare.append(taken)
    del spare[:-_SPARE_KEEP]


def _lin(terms, out=None):
    """The linear combination of equally shaped blocks, into `out` (new if None)."""
    if out is None:
        dtype = np.result_type(*(x for _, x in terms))
        out = np.empty(terms[0][1].shape, dtype=dtype)
    rows = out.shape[0]
    if _POOL is None or out.size < _SPLIT_BELOW or rows < _THREADS:
        _fill(out, terms)
        return out
    cuts = [rows * k // _THREADS for k in range(_THREADS + 1)]
    jobs = [_POOL.submit(_fill, out[a:b], [(c, x[a:b]) for c, x in terms]) for a, b in zip(cuts, cuts[1:])]
    for job in jobs:
        job.result()
    return out
'''


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


def _lin_call(combo: dict, out: str | None = None) -> str:
    """numpy: the combination through the emitted _lin helper (into `out`)."""
    items = sorted(combo.items())
    if not items:
        raise DecompError("empty combination")  # schemes never have an all-zero factor column here
    terms = ", ".join(f"({_scalar(c)}, {n})" for n, c in items)
    return f"_lin([{terms}]" + (f", out={out})" if out else ")")


def _operand(combo: dict, buffer: str) -> str:
    """numpy: a product's operand; a lone block with coefficient 1 is used as
    it is, anything else is written into the reused buffer."""
    if len(combo) == 1 and next(iter(combo.values())) == 1:
        return next(iter(combo))
    return _lin_call(combo, out=buffer)


def _scalar(coef: Fraction) -> str:
    return str(coef.numerator) if coef.denominator == 1 else f"({coef.numerator} / {coef.denominator})"


def _accumulate(combo: dict) -> list[str]:
    """torch statements that set view `c` to the combination, in place."""
    items = sorted(combo.items())
    if not items:
        return ["    c.zero_()"]
    first, coef = items[0]
    head = first if coef == 1 else f"-{first}" if coef == -1 else f"{_scalar(coef)} * {first}"
    out = [f"    c.copy_({head})"]
    for name, coef in items[1:]:
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
        if lang == "torch":
            # numpy accumulates each product into C as soon as it is made (no
            # live products, so no output-side temporaries to share).
            out_rows, temps_c = eliminate(out_rows, "SM")
    after = _count(left) + _count(right) + _count(out_rows) + len(temps_l) + len(temps_r) + len(temps_c)
    lines = [
        f'"""Generated by decomp: <{n},{m},{p}> in {s.rank} products ({s.ring.value} coefficients).',
        "",
        f"Additions: {before} naive, {after} after common-subexpression elimination.",
        f'Source: {s.provenance.get("source") or s.provenance.get("method")}."""',
        f"import {'numpy as np' if lang == 'numpy' else 'torch'}",
        *(_NUMPY_HELPERS.splitlines() if lang == "numpy" else []),
        "",
        f"FORMAT = ({n}, {m}, {p})",
        f"RANK = {s.rank}",
        "",
        "",
        "def matmul(A, B, inner=None):",
        f'    """C = A @ B with one level of the scheme; A rows divisible by {n}, A cols by {m}, B cols by {p}.',
        '    inner(X, Y) multiplies the blocks (default: the library matmul)."""',
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
    if lang == "numpy":
        # inner stays None for the library: the body then lets matmul write into its buffers
        lines.extend(_numpy_body(temps_l + temps_r, left, right, out_rows, n, p))
    else:
        lines.extend(_torch_body(temps_l + temps_r, left, right, temps_c, out_rows, n, p, m_names))
    lines.append("    return C")
    return Generated("\n".join(lines) + "\n", before, after, len(temps_l) + len(temps_r) + len(temps_c))


def _torch_body(temps, left, right, temps_c, out_rows, n, p, m_names) -> list[str]:
    """All products, then C's blocks accumulated in place from them."""
    lines = ["    inner = torch.matmul if inner is None else inner"]
    lines += [f"    {name} = {_expr(combo)}" for name, combo in temps]
    lines += [f"    {m_names[r]} = inner({_expr(left[r])}, {_expr(right[r])})" for r in range(len(left))]
    lines += [f"    {name} = {_expr(combo)}" for name, combo in temps_c]
    lines.append("    C = torch.empty((rows, cols), dtype=torch.promote_types(A.dtype, B.dtype), device=A.device)")
    for idx, (i, k) in enumerate((i, k) for i in range(n) for k in range(p)):
        lines.append(f"    c = C[{i} * h:{i + 1} * h, {k} * d:{k + 1} * d]")
        lines.extend(_accumulate(out_rows[idx]))
    return lines


def _numpy_body(temps, left, right, out_rows, n, p) -> list[str]:
    """Product at a time: the operands are written into two reused buffers,
    the product into a third (when the library multiplies), and it is added
    into its C blocks at once. A call touches three block buffers besides C
    whatever the rank, kept for the next call of the same shapes: fresh
    buffers cost page faults that, at 8192 float32, weighed as much as the
    additions. A product whose first use is to start a C block with
    coefficient 1 is written into that block directly (`into`), which saves
    a pass over the block."""
    lines = ["    dtype = np.result_type(A, B)",
             "    C = np.empty((rows, cols), dtype=dtype)",
             "    scratch = _take(dtype, (h, w), (w, d), (h, d))",
             "    X, Y, P = scratch[1]",
             "    mul = (lambda x, y: np.matmul(x, y, out=P)) if inner is None else inner",
             "    into = ((lambda out, x, y: np.matmul(x, y, out=out)) if inner is None",
             "            else (lambda out, x, y: _lin([(1, inner(x, y))], out=out)))"]
    lines += [f"    {name} = {_lin_call(combo)}" for name, combo in temps]
    for i in range(n):
        for k in range(p):
            lines.append(f"    C{i}_{k} = C[{i} * h:{i + 1} * h, {k} * d:{k + 1} * d]")
    touched = set()
    for r in range(len(left)):
        uses = [(f"C{i}_{k}", out_rows[idx][f"M{r + 1}"]) for idx, (i, k) in
                enumerate((i, k) for i in range(n) for k in range(p)) if f"M{r + 1}" in out_rows[idx]]
        operands = f"{_operand(left[r], 'X')}, {_operand(right[r], 'Y')}"
        if uses and uses[0][0] not in touched and uses[0][1] == 1:
            lines.append(f"    M = into({uses[0][0]}, {operands})")
            touched.add(uses[0][0])
            uses = uses[1:]
        else:
            lines.append(f"    M = mul({operands})")
        for block, coef in uses:
            terms = {"M": coef} if block not in touched else {block: Fraction(1), "M": coef}
            lines.append(f"    {_lin_call(terms, out=block)}")
            touched.add(block)
    for i in range(n):
        for k in range(p):
            if f"C{i}_{k}" not in touched:
                lines.append(f"    C{i}_{k}[...] = 0")
    lines.append("    _give(scratch)")
    return lines


def compile_matmul(s: Scheme, lang: str = "numpy", cse: bool = True):
    """The generated function, ready to call (our own generated source)."""
    gen = generate(s, lang, cse)
    namespace: dict = {}
    exec(compile(gen.source, f"<decomp {s.fmt} rank {s.rank}>", "exec"), namespace)
    fn = namespace["matmul"]
    fn.generated = gen
    return fn
