"""Readers for the public scheme catalogues of the field, so that their
schemes can be verified, compared and used here (`decomp import SOURCE PATH`).

- perminov:   Perminov's FastMatrixMultiplication JSON ({"n": [n, m, p],
              "m": rank, "z2": bool, "u", "v", "w": one row per product}).
- kauers:     Kauers & Moosbauer's .exp text (mkauers/matrix-multiplication,
              jakobmoosbauer/flips): one product per line,
              (linear form in a_ij)*(... b_jk)*(... c_ki), scalars allowed;
              and the .m lists beside them ({{A, B, C}, ...}, A n x m, B m x p,
              C p x n, entries integers or a/b).
- alphaevolve: AlphaEvolve's notebook (google-deepmind/alphaevolve_results),
              `decomposition_NMP = (np.array([...]), ...)` cells.

Conventions: every one of these writes C transposed (c_ki, or Perminov's w
in the order c11, c21, ...), as decomp does (W row k*n+i is C[i,k]), so the
factors are taken as they stand. AlphaEvolve's factors are tried in both
orientations of C and the one that verifies is kept.

Untrusted input: nothing is evaluated. Text is tokenised and parsed by the
small grammars below (the notebook's cells through `ast` as literals only),
files are size-limited before they are read, and every scheme is verified
exactly before it is returned; the ring is the first of z, q, gf2 in which
it verifies (integer factors not valid over Z are read mod 2).
"""

from __future__ import annotations

import ast
import json
import math
import re
from fractions import Fraction
from pathlib import Path

import numpy as np

from .errors import FileFormatError, SchemeError
from .files import read_bytes
from .formats import Format
from .rings import Ring
from .scheme import Scheme

# Text catalogues are small; a notebook holds ~1.3 MB. Larger files are refused unread.
MAX_TEXT_BYTES = 64 << 20
# Indices and coefficients beyond these are not a matrix multiplication scheme anyone publishes.
MAX_DIM = 64
MAX_TERMS = 100_000
MAX_DENOMINATOR = 1 << 20


# ------------------------------------------------------------------ shared
def _fraction(x, where: str) -> Fraction:
    """An exact coefficient from an int, a float with a small denominator, or 'a/b' text."""
    if isinstance(x, bool):
        raise FileFormatError(f"{where}: coefficient {x!r} is not a number")
    if isinstance(x, (int, Fraction)):
        return Fraction(x)
    if isinstance(x, float) and math.isfinite(x):
        f = Fraction(x)
        if f.denominator <= MAX_DENOMINATOR:
            return f
    if isinstance(x, str) and re.fullmatch(r"\s*-?\d+\s*(/\s*\d+\s*)?", x):
        f = Fraction(x.replace(" ", ""))
        if f.denominator <= MAX_DENOMINATOR:
            return f
    if isinstance(x, complex):
        raise FileFormatError(f"{where}: complex coefficient {x!r}; decomp's rings are z, q, gf2 and zt")
    raise FileFormatError(f"{where}: coefficient {x!r} is not an exact rational number")


def verified_scheme(fmt: Format, factors, where: str, provenance: dict, gf2: bool | None = None) -> Scheme:
    """Factors (lists of exact numbers, rows as in decomp's convention) as a
    scheme verified over the first ring that fits: z, then q, then (for
    integer factors, or when the source says so) gf2; else a one-line error."""
    mats = [np.array([[_fraction(x, where) for x in row] for row in F], dtype=object) for F in factors]
    for mat, rows, name in zip(mats, fmt.shape, "UVW"):
        if mat.ndim != 2 or mat.shape[0] != rows:
            raise FileFormatError(f"{where}: {name} has shape {mat.shape}, expected {rows} rows for {fmt}")
    integral = all(x.denominator == 1 for mat in mats for x in mat.ravel())
    if integral:
        mats = [np.array([[int(x) for x in row] for row in m], dtype=np.int64).reshape(m.shape) for m in mats]
    rings = [Ring.GF2] if gf2 else ([Ring.Z, Ring.GF2] if integral else [Ring.Q])
    if gf2 is False:
        rings = [r for r in rings if r is not Ring.GF2]
    last = None
    for ring in rings:
        try:
            s = Scheme(fmt, *(m % 2 if ring is Ring.GF2 else m for m in mats), ring=ring, provenance=provenance)
        except (SchemeError, ValueError, TypeError) as exc:  # coefficients outside the ring
            last = str(exc)
            continue
        report = s.verify()
        if report.ok:
            return s
        last = str(report)
    raise FileFormatError(f"{where}: does not verify over {' or '.join(r.value for r in rings)} ({last})")


def _text(path: Path) -> str:
    try:
        return read_bytes(path, MAX_TEXT_BYTES).decode("utf-8")
    except UnicodeDecodeError:
        raise FileFormatError(f"{path}: not UTF-8 text") from None


# ----------------------------------------------------------------- Perminov
def read_perminov(path) -> list[Scheme]:
    """One scheme from a FastMatrixMultiplication JSON file."""
    path = Path(path)
    try:
        data = json.loads(_text(path))
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or not {"n", "u", "v", "w"} <= set(data):
        raise FileFormatError(f"{path}: a FastMatrixMultiplication scheme has keys n, m, u, v, w")
    dims = data["n"]
    if not (isinstance(dims, list) and len(dims) == 3 and all(isinstance(d, int) and 1 <= d <= MAX_DIM
                                                               for d in dims)):
        raise FileFormatError(f"{path}: n must be [n, m, p] with dimensions 1..{MAX_DIM}, got {dims!r}")
    fmt = Format(*dims)
    rows = {}
    for key, size in zip("uvw", fmt.shape):
        rows[key] = data[key]
        if not (isinstance(rows[key], list) and len(rows[key]) <= MAX_TERMS
                and all(isinstance(r, list) and len(r) == size for r in rows[key])):
            raise FileFormatError(f"{path}: {key} must be a list of rows of {size} coefficients for {fmt}")
    rank = len(rows["u"])
    if len(rows["v"]) != rank or len(rows["w"]) != rank or data.get("m", rank) != rank:
        raise FileFormatError(f"{path}: u, v, w and m disagree on the rank "
                              f"({len(rows['u'])}, {len(rows['v'])}, {len(rows['w'])}, {data.get('m')})")
    z2 = data.get("z2")
    factors = [list(zip(*rows[k])) if rank else [[] for _ in range(size)] for k, size in zip("uvw", fmt.shape)]
    prov = {"method": "import", "source": f"perminov:{path.name}"}
    return [verified_scheme(fmt, factors, str(path), prov, gf2=True if z2 is True else False if z2 is False
                            else None)]


# ---------------------------------------------------------- Kauers .exp text
_TOKEN = re.compile(r"\s*(?:(\d+)|([abc])(\d+)(?:_(\d+))?|([-+*/()]))")


class _Form:
    """A scalar times a product of linear forms, one per letter a, b, c:
    the values the .exp grammar builds. forms: letter -> {(row, col): coef}."""

    __slots__ = ("coef", "forms")

    def __init__(self, coef: Fraction, forms: dict):
        self.coef, self.forms = coef, forms

    def scaled_form(self) -> tuple[str, dict]:
        """(letter, form) with the scalar multiplied in; one letter only."""
        (letter, form), = self.forms.items()
        return letter, {k: v * self.coef for k, v in form.items()}


def _index(digits: str, second: str | None, where: str) -> tuple[int, int]:
    if second is not None:
        i, j = int(digits), int(second)
    elif len(digits) == 2:
        i, j = int(digits[0]), int(digits[1])
    else:
        raise FileFormatError(f"{where}: index {digits!r} is ambiguous (write two digits, or i_j)")
    if not (1 <= i <= MAX_DIM and 1 <= j <= MAX_DIM):
        raise FileFormatError(f"{where}: index {i},{j} out of range 1..{MAX_DIM}")
    return i - 1, j - 1


class _ExpParser:
    """expr := term (('+'|'-') term)*; term := factor (('*'|'/')? factor)*;
    factor := ('+'|'-') factor | number | variable | '(' expr ')'.
    A factor may follow another without '*' when it opens with '(' or is a
    variable: Moosbauer's symmetric-flips files write (a..)(b..)c55 and
    even (-a55(b56-b66)(-c65-c66))."""

    def __init__(self, line: str, where: str):
        self.where, self.tokens, pos = where, [], 0
        line = line.strip()
        while pos < len(line):
            m = _TOKEN.match(line, pos)
            if not m or m.end() == pos:
                raise FileFormatError(f"{where}: unexpected text {line[pos:pos + 12]!r}")
            self.tokens.append(m.groups())
            pos = m.end()
        self.at = 0

    def parse(self) -> _Form:
        value = self._expr()
        if self.at != len(self.tokens):
            raise FileFormatError(f"{self.where}: text after the product")
        return value

    def _peek(self):
        return self.tokens[self.at][4] if self.at < len(self.tokens) else None

    def _expr(self) -> _Form:
        value = self._term()
        while self._peek() in ("+", "-"):
            op = self.tokens[self.at][4]
            self.at += 1
            value = self._add(value, self._term(), op == "-")
        return value

    def _juxtaposed(self) -> bool:
        """The next token opens a factor written right after another one."""
        if self.at >= len(self.tokens):
            return False
        _number, letter, _digits, _second, op = self.tokens[self.at]
        return letter is not None or op == "("

    def _term(self) -> _Form:
        value = self._factor()
        while True:
            if self._juxtaposed():
                op = "*"
            elif self._peek() in ("*", "/"):
                op = self.tokens[self.at][4]
                self.at += 1
            else:
                break
            other = self._factor()
            if op == "/":
                if other.forms or other.coef == 0:
                    raise FileFormatError(f"{self.where}: division by a non-constant or by zero")
                value = _Form(value.coef / other.coef, value.forms)
            else:
                if set(value.forms) & set(other.forms):
                    raise FileFormatError(f"{self.where}: two factors in {sorted(set(value.forms) & set(other.forms))}")
                value = _Form(value.coef * other.coef, {**value.forms, **other.forms})
        return value

    def _factor(self) -> _Form:
        if self.at >= len(self.tokens):
            raise FileFormatError(f"{self.where}: the product ends too early")
        number, letter, digits, second, op = self.tokens[self.at]
        self.at += 1
        if op in ("+", "-"):
            inner = self._factor()
            return _Form(-inner.coef if op == "-" else inner.coef, inner.forms)
        if op == "(":
            inner = self._expr()
            if self._peek() != ")":
                raise FileFormatError(f"{self.where}: missing ')'")
            self.at += 1
            return inner
        if number is not None:
            return _Form(Fraction(int(number)), {})
        if letter is not None:
            return _Form(Fraction(1), {letter: {_index(digits, second, self.where): Fraction(1)}})
        raise FileFormatError(f"{self.where}: unexpected {op!r}")

    def _add(self, x: _Form, y: _Form, minus: bool) -> _Form:
        if not x.forms and not y.forms:
            return _Form(x.coef - y.coef if minus else x.coef + y.coef, {})
        if len(x.forms) != 1 or set(x.forms) != set(y.forms):
            raise FileFormatError(f"{self.where}: a sum mixes {sorted(x.forms)} and {sorted(y.forms)}; "
                                  f"expected a product of linear forms")
        letter, fx = x.scaled_form()
        _, fy = y.scaled_form()
        out = dict(fx)
        for k, v in fy.items():
            out[k] = out.get(k, 0) - v if minus else out.get(k, 0) + v
        return _Form(Fraction(1), {letter: out})


def read_kauers_exp(path) -> list[Scheme]:
    """One scheme from a .exp file: a product (a-form)*(b-form)*(c-form) per line."""
    path = Path(path)
    terms = []
    for number, line in enumerate(_text(path).splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if len(terms) >= MAX_TERMS:
            raise FileFormatError(f"{path}: more than {MAX_TERMS} products")
        value = _ExpParser(line, f"{path}:{number}").parse()
        if set(value.forms) != {"a", "b", "c"}:
            raise FileFormatError(f"{path}:{number}: a product needs one linear form in each of a, b, c")
        value.forms["c"] = {k: v * value.coef for k, v in value.forms["c"].items()}
        terms.append(value.forms)
    if not terms:
        raise FileFormatError(f"{path}: no products")
    n = max(i for t in terms for (i, _) in t["a"]) + 1
    m = max(max(j for t in terms for (_, j) in t["a"]), max(j for t in terms for (j, _) in t["b"])) + 1
    p = max(max(k for t in terms for (_, k) in t["b"]), max(k for t in terms for (k, _) in t["c"])) + 1
    n = max(n, max(i for t in terms for (_, i) in t["c"]) + 1)
    fmt = Format(n, m, p)
    cols = {"a": (m, n * m), "b": (p, m * p), "c": (n, p * n)}  # row stride, rows
    factors = []
    for letter in "abc":
        stride, rows = cols[letter]
        F = [[Fraction(0)] * len(terms) for _ in range(rows)]
        for t, term in enumerate(terms):
            for (r, c), v in term[letter].items():
                F[r * stride + c][t] = v
        factors.append(F)
    return [verified_scheme(fmt, factors, str(path), {"method": "import", "source": f"kauers:{path.name}"})]


# ------------------------------------------------------- Mathematica .m lists
_LIST_TOKEN = re.compile(r"\s*(?:(\{)|(\})|(,)|(-?\d+(?:\s*/\s*\d+)?))")


def _parse_lists(text: str, where: str):
    """Nested {…} lists of integers and a/b, without eval."""
    stack, pos, text = [[]], 0, text.strip()
    while pos < len(text):
        m = _LIST_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise FileFormatError(f"{where}: unexpected text {text[pos:pos + 12]!r}")
        pos = m.end()
        opened, closed, _comma, number = m.groups()
        if opened:
            stack.append([])
            if len(stack) > 8:
                raise FileFormatError(f"{where}: lists nested too deep")
        elif closed:
            if len(stack) < 2:
                raise FileFormatError(f"{where}: unbalanced '}}'")
            done = stack.pop()
            stack[-1].append(done)
        elif number:
            stack[-1].append(_fraction(number.replace(" ", ""), where))
    if len(stack) != 1 or len(stack[0]) != 1:
        raise FileFormatError(f"{where}: expected one list {{...}}")
    return stack[0][0]


def read_kauers_m(path) -> list[Scheme]:
    """One scheme from a .m file: {{A, B, C}, ...} with A n x m, B m x p, C p x n."""
    path = Path(path)
    terms = _parse_lists(_text(path), str(path))
    if not isinstance(terms, list) or not terms or len(terms) > MAX_TERMS:
        raise FileFormatError(f"{path}: expected a list of products {{A, B, C}}")
    shapes = set()
    for t in terms:
        if not (isinstance(t, list) and len(t) == 3 and all(isinstance(M, list) and M and
                                                            all(isinstance(r, list) for r in M) for M in t)):
            raise FileFormatError(f"{path}: every product must be {{A, B, C}}, three matrices")
        shapes.add(tuple((len(M), len(M[0])) for M in t))
    if len(shapes) != 1:
        raise FileFormatError(f"{path}: the products' matrices differ in shape: {sorted(shapes)[:3]}")
    (n, m), (m2, p), (p2, n2) = shapes.pop()
    if (m, p, n) != (m2, p2, n2) or max(n, m, p) > MAX_DIM:
        raise FileFormatError(f"{path}: shapes {n}x{m}, {m2}x{p}, {p2}x{n2} are not A, B, C of one format")
    fmt = Format(n, m, p)
    factors = []
    for mode in range(3):
        cols = []
        for t in terms:
            M = t[mode]
            if any(len(r) != len(M[0]) for r in M):
                raise FileFormatError(f"{path}: a ragged matrix")
            cols.append([x for r in M for x in r])
        factors.append([list(r) for r in zip(*cols)])
    return [verified_scheme(fmt, factors, str(path), {"method": "import", "source": f"kauers:{path.name}"})]


# ------------------------------------------------------ AlphaEvolve notebook
_DECOMPOSITION = re.compile(r"^decomposition_(\w+)$")


def _literal_arrays(node: ast.AST, where: str) -> list:
    """The three factor literals of `(np.array([...]), ...)`: literals only."""
    if not isinstance(node, ast.Tuple) or len(node.elts) != 3:
        raise FileFormatError(f"{where}: expected a tuple of three arrays")
    out = []
    for elt in node.elts:
        if isinstance(elt, ast.Call):              # np.array(<literal>, dtype=...) and nothing else
            func = elt.func
            named = (isinstance(func, ast.Attribute) and func.attr == "array" and isinstance(func.value, ast.Name)
                     and func.value.id in ("np", "numpy")) or (isinstance(func, ast.Name) and func.id == "array")
            if not named or len(elt.args) != 1:
                raise FileFormatError(f"{where}: factors are not plain number literals")
            elt = elt.args[0]
        try:
            out.append(ast.literal_eval(elt))
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise FileFormatError(f"{where}: factors are not plain number literals") from None
    return out


def _format_from_sizes(nm: int, mp: int, pn: int) -> Format | None:
    n2 = nm * pn / mp
    n = round(math.sqrt(n2)) if n2 > 0 else 0
    if n < 1 or n * n * mp != nm * pn or nm % n or pn % n:
        return None
    return Format(n, nm // n, pn // n)


def read_alphaevolve(path) -> tuple[list[Scheme], list[str]]:
    """The schemes of AlphaEvolve's notebook that decomp's rings hold, and
    one line for each decomposition left out (complex coefficients, say)."""
    path = Path(path)
    try:
        nb = json.loads(_text(path))
        cells = nb["cells"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise FileFormatError(f"{path}: not a Jupyter notebook") from None
    schemes, skipped = [], []
    for number, cell in enumerate(cells if isinstance(cells, list) else []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if "decomposition_" not in source:
            continue
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for stmt in tree.body:
            if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                    and isinstance(stmt.targets[0], ast.Name) and _DECOMPOSITION.match(stmt.targets[0].id)):
                continue
            name = stmt.targets[0].id
            where = f"{path} cell {number} {name}"
            try:
                schemes.append(_alphaevolve_scheme(stmt.value, where, f"alphaevolve:{name}"))
            except FileFormatError as exc:
                skipped.append(str(exc))
    if not schemes and not skipped:
        raise FileFormatError(f"{path}: no decomposition_... cells found")
    return schemes, skipped


def _alphaevolve_scheme(node: ast.AST, where: str, source: str) -> Scheme:
    U, V, W = _literal_arrays(node, where)
    sizes = []
    for F, name in zip((U, V, W), "UVW"):
        if not (isinstance(F, list) and F and all(isinstance(r, list) and len(r) == len(F[0]) for r in F)):
            raise FileFormatError(f"{where}: {name} is not a matrix")
        sizes.append(len(F))
    fmt = _format_from_sizes(*sizes)
    if fmt is None:
        raise FileFormatError(f"{where}: factor sizes {sizes} are not nm, mp, pn of any format")
    for F in (U, V, W):
        for row in F:
            for x in row:
                if isinstance(x, complex) and x.imag:
                    raise FileFormatError(f"{where}: complex coefficients; decomp's rings are z, q, gf2 and zt")
    real = [[[x.real if isinstance(x, complex) else x for x in row] for row in F] for F in (U, V, W)]
    n, m, p = fmt.dims
    # C as published may be C itself rather than its transpose: try both.
    transposed = [real[2][i * p + k] for k in range(p) for i in range(n)]
    last = None
    for W_rows, orient in ((real[2], "c_ki"), (transposed, "c_ik")):
        try:
            return verified_scheme(fmt, [real[0], real[1], W_rows], where,
                                   {"method": "import", "source": source, "orientation": orient}, gf2=False)
        except FileFormatError as exc:
            last = exc
    raise last


# ------------------------------------------------------------------ sources
def _read_kauers(path) -> list[Scheme]:
    return read_kauers_m(path) if Path(path).suffix == ".m" else read_kauers_exp(path)


# source -> (file suffixes read from a folder, reader returning (schemes, skipped lines))
SOURCES = {
    "perminov": ((".json",), lambda p: (read_perminov(p), [])),
    "kauers": ((".exp", ".m"), lambda p: (_read_kauers(p), [])),
    "alphaevolve": ((".ipynb",), read_alphaevolve),
}


def import_paths(source: str, paths) -> tuple[list[Scheme], list[str]]:
    """Every scheme in the files (folders searched recursively for the
    source's suffixes), verified; and one line per file or entry that failed.
    A path given by name that cannot be read is an error at once."""
    if source not in SOURCES:
        raise FileFormatError(f"unknown source {source!r}: choose from {', '.join(SOURCES)}")
    suffixes, reader = SOURCES[source]
    schemes, problems = [], []
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(f for f in path.rglob("*") if f.suffix in suffixes and f.is_file())
            if not files:
                problems.append(f"{path}: no {' or '.join(suffixes)} files")
            for f in files:
                try:
                    found, skipped = reader(f)
                except FileFormatError as exc:
                    problems.append(str(exc))
                    continue
                schemes += found
                problems += skipped
        else:
            found, skipped = reader(path)
            schemes += found
            problems += skipped
    return schemes, problems
