"""A scheme written out as an algorithm: products M1..Mr and the entries of C."""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np

from .errors import SchemeError
from .formats import Format
from .rings import Ring
from .scheme import Scheme
from .targets import Target


def _linear(coeffs, names) -> str:
    parts = []
    for c, name in zip(coeffs, names):
        if c == 0:
            continue
        mag = abs(c)
        sign = "-" if c < 0 else "+"
        term = name if mag == 1 else f"{mag}*{name}" if not isinstance(mag, Fraction) else f"({mag})*{name}"
        parts.append((sign, term))
    if not parts:
        return "0"
    first_sign, first = parts[0]
    text = ("-" if first_sign == "-" else "") + first
    for sign, term in parts[1:]:
        text += f" {sign} {term}"
    return text


def _factor(coeffs, names) -> str:
    text = _linear(coeffs, names)
    return text if sum(1 for c in coeffs if c != 0) == 1 and not text.startswith("-") else f"({text})"


def algorithm_lines(s: Scheme) -> list[str]:
    a_names, b_names, c_names = s.fmt.entry_names()
    lines = []
    for r, (u, v, _) in enumerate(s.terms(), start=1):
        lines.append(f"M{r} = {_factor(u.tolist(), a_names)} * {_factor(v.tolist(), b_names)}")
    m_names = [f"M{r}" for r in range(1, s.rank + 1)]
    if isinstance(s.fmt, Target):
        rows = range(s.fmt.shape[2])
    else:  # W row k*n+i is C[i,k]: list C row by row for reading
        n, _, p = s.fmt.dims
        rows = [k * n + i for i in range(n) for k in range(p)]
    for row in rows:
        lines.append(f"{c_names[row]} = {_linear(s.W[row].tolist(), m_names)}")
    if s.ring is Ring.GF2:
        lines.append("(all arithmetic mod 2)")
    return lines


# ----------------------------------------------------------------- reading
_TERM = re.compile(r"([+-]?)\s*(?:\(?\s*(\d+(?:/\d+)?)\s*\)?\s*\*\s*)?([A-Za-z]+)\[?(\d+)[,\]]?(\d*)\]?")


def _parse_linear(text: str, letter: str, size: tuple[int, int], index) -> dict:
    """'A11 - 2*A12 + (1/2)*A21' -> {row: coefficient} for the given letter."""
    out: dict = {}
    body = text.replace(" ", "")
    while body.startswith("(") and body.endswith(")") and _balanced(body[1:-1]):
        body = body[1:-1]
    pos = 0
    for match in _TERM.finditer(body):
        if match.start() != pos:
            raise SchemeError(f"cannot read {text!r} near {body[pos:match.start() + 1]!r}")
        pos = match.end()
        sign, coef, name, first, second = match.groups()
        if name.upper() != letter:
            raise SchemeError(f"expected entries of {letter} in {text!r}, got {name}")
        if second:
            r, c = int(first), int(second)
        elif len(first) == 2:
            r, c = int(first[0]), int(first[1])
        else:
            raise SchemeError(f"cannot read the index of {match.group(0)!r}: write {letter}12 or {letter}[1,2]")
        if not (1 <= r <= size[0] and 1 <= c <= size[1]):
            raise SchemeError(f"{letter}{r}{c} is outside a {size[0]}x{size[1]} matrix")
        value = Fraction(coef) if coef else Fraction(1)
        value = -value if sign == "-" else value
        row = index(r - 1, c - 1)
        out[row] = out.get(row, 0) + value
    if pos != len(body):
        raise SchemeError(f"cannot read {text!r} near {body[pos:]!r}")
    return out


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


def _split_product(rhs: str) -> tuple[str, str]:
    depth = 0
    for pos, ch in enumerate(rhs):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "*" and depth == 0:
            left, right = rhs[:pos].strip(), rhs[pos + 1:].strip()
            if left.upper().startswith(("A", "(", "+", "-")) and right.upper().startswith(("B", "(", "+", "-")):
                if "A" in left.upper() and "B" in right.upper():
                    return left, right
    raise SchemeError(f"a product must read (combination of A) * (combination of B): {rhs!r}")


def parse_algorithm(fmt, text: str, ring="z") -> Scheme:
    """Read an algorithm written as in `decomp show`:
    'M1 = (A11 + A22) * (B11 + B22)' lines, then 'C11 = M1 + M4 - M5 + M7'.
    Case does not matter; '#' starts a comment. Returns an unverified Scheme
    (call verify())."""
    fmt = Format.parse(fmt)
    n, m, p = fmt.dims
    products, outputs = {}, {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=" not in line:
            raise SchemeError(f"line without '=': {raw!r}")
        lhs, rhs = (x.strip() for x in line.split("=", 1))
        head = lhs.upper()
        if head.startswith("M") and head[1:].isdigit():
            left, right = _split_product(rhs)
            products[int(head[1:])] = (
                _parse_linear(left, "A", (n, m), lambda i, j: i * m + j),
                _parse_linear(right, "B", (m, p), lambda j, k: j * p + k),
            )
        elif head.startswith("C"):
            coords = _parse_linear(lhs, "C", (n, p), lambda i, k: k * n + i)
            (row,) = coords
            outputs[row] = rhs
        else:
            raise SchemeError(f"expected a line 'Mr = ...' or 'Cij = ...', got {raw!r}")
    if sorted(products) != list(range(1, len(products) + 1)):
        raise SchemeError(f"products must be numbered M1..M{len(products)}")
    r = len(products)
    U = np.zeros((n * m, r), dtype=object)
    V = np.zeros((m * p, r), dtype=object)
    W = np.zeros((p * n, r), dtype=object)
    for t in range(r):
        for row, c in products[t + 1][0].items():
            U[row, t] = c
        for row, c in products[t + 1][1].items():
            V[row, t] = c
    m_term = re.compile(r"([+-]?)\s*(?:\(?\s*(\d+(?:/\d+)?)\s*\)?\s*\*\s*)?[Mm](\d+)")
    for row, rhs in outputs.items():
        body = rhs.replace(" ", "")
        pos = 0
        for match in m_term.finditer(body):
            if match.start() != pos:
                raise SchemeError(f"cannot read {rhs!r}")
            pos = match.end()
            sign, coef, idx = match.groups()
            if not 1 <= int(idx) <= r:
                raise SchemeError(f"M{idx} is not defined")
            value = Fraction(coef) if coef else Fraction(1)
            W[row, int(idx) - 1] += -value if sign == "-" else value
        if pos != len(body):
            raise SchemeError(f"cannot read {rhs!r}")
    norm = np.vectorize(lambda v: int(v) if Fraction(v).denominator == 1 else Fraction(v), otypes=[object])
    return Scheme(fmt, norm(U), norm(V), norm(W), ring=ring)
