import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from decomp.core import symmetry as sym
from decomp.core.errors import SchemeError
from decomp.core.render import parse_algorithm
from decomp.core.scheme import Scheme
from known import LADERMAN, STRASSEN

BASE = {
    "strassen": parse_algorithm("2x2x2", STRASSEN),
    "laderman": parse_algorithm("3x3x3", LADERMAN),
}


def _unimodular(draw, k, mod2=False):
    """Random product of elementary matrices: det +-1 (or invertible mod 2)."""
    M = np.eye(k, dtype=np.int64)
    for _ in range(draw(st.integers(0, 6))):
        i = draw(st.integers(0, k - 1))
        j = draw(st.integers(0, k - 1))
        if i == j:
            if not mod2:
                M[i] = -M[i]
            continue
        M[i] += draw(st.sampled_from([-1, 1])) * M[j]
    return M


@st.composite
def scheme_and_sandwich(draw, alphatensor=None):
    name = draw(st.sampled_from(sorted(BASE)))
    s = BASE[name]
    if draw(st.booleans()):
        s = s.as_ring("gf2")
    mod2 = s.ring.value == "gf2"
    mats = [_unimodular(draw, k, mod2) for k in s.fmt.dims]
    return s, mats


@settings(max_examples=40, deadline=None)
@given(scheme_and_sandwich())
def test_sandwich_keeps_validity(case):
    s, (X, Y, Z) = case
    out = sym.sandwich(s, X, Y, Z)
    assert out.verify().ok
    assert out.rank == s.rank


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(sorted(BASE)), st.lists(st.sampled_from(["rotate", "transpose"]), max_size=6),
       st.randoms())
def test_rotations_transpositions_term_orders_keep_validity(name, moves, rnd):
    s = BASE[name]
    for mv in moves:
        s = getattr(sym, mv)(s)
    order = list(range(s.rank))
    rnd.shuffle(order)
    s = sym.permute_terms(s, order)
    assert s.verify().ok


def test_all_six_permutations_of_rectangular_scheme(alphatensor_r):
    s = next(x for x in alphatensor_r if x.fmt.dims == (2, 3, 4))
    import itertools
    for dims in set(itertools.permutations((2, 3, 4))):
        t = sym.permute(s, dims)
        assert t.fmt.dims == dims and t.rank == s.rank and t.verify().ok


def test_sandwich_rejects_non_unimodular():
    s = BASE["strassen"]
    with pytest.raises(SchemeError, match="not unimodular"):
        sym.sandwich(s, [[2, 0], [0, 1]], np.eye(2, dtype=int), np.eye(2, dtype=int))
    with pytest.raises(SchemeError, match="singular"):
        sym.sandwich(s, [[1, 1], [1, 1]], np.eye(2, dtype=int), np.eye(2, dtype=int))
    # over Q a non-unimodular change of basis is fine
    assert sym.sandwich(s.as_ring("q"), [[2, 0], [0, 1]], np.eye(2, dtype=int), np.eye(2, dtype=int)).verify().ok


def test_simplify_drops_zero_and_merges_duplicates():
    s = BASE["strassen"]
    U, V, W = (np.array(m) for m in s.factors)
    # split term 0 into two halves w = w1 + w2 sharing u and v, add a zero term
    w1 = W[:, :1].copy()
    w1[0] = 0
    w2 = W[:, :1] - w1
    U2 = np.hstack([U, U[:, :1], np.zeros((4, 1), int)])
    V2 = np.hstack([V, V[:, :1], np.ones((4, 1), int)])
    W2 = np.hstack([w1, W[:, 1:], w2, np.ones((4, 1), int)])
    bigger = Scheme("2x2x2", U2, V2, W2)
    assert bigger.verify().ok and bigger.rank == 9
    small = sym.simplify(bigger)
    assert small.rank == 7 and small.verify().ok
