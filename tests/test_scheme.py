from fractions import Fraction

import numpy as np
import pytest

from decomp.core.errors import SchemeError
from decomp.core.formats import Format
from decomp.core.render import algorithm_lines, parse_algorithm
from decomp.core.rings import Ring
from decomp.core.scheme import Scheme
from known import LADERMAN, STRASSEN


@pytest.fixture
def strassen():
    return parse_algorithm("2x2x2", STRASSEN)


@pytest.fixture
def laderman():
    return parse_algorithm("3x3x3", LADERMAN)


def test_strassen_and_laderman_verify(strassen, laderman):
    assert strassen.verify().ok and strassen.rank == 7
    assert laderman.verify().ok and laderman.rank == 23
    assert strassen.additions == 18  # the textbook count
    assert set(strassen.valid_rings()) == {Ring.Z, Ring.Q, Ring.GF2, Ring.ZT}


def _flip_sign(s: Scheme, mode: int, row: int, col: int) -> Scheme:
    mats = [np.array(m) for m in s.factors]
    mats[mode][row, col] = -mats[mode][row, col]
    return s.with_factors(*mats)


def test_single_flipped_sign_counts_wrong_entries(strassen, laderman):
    # Flipping U[0,0] (nonzero) changes slice a=0 of term 0 by twice its
    # value: exactly the nonzero entries of v0 (x) w0 go wrong.
    for s in (strassen, laderman):
        assert s.U[0, 0] != 0
        bad = _flip_sign(s, 0, 0, 0)
        expected = np.count_nonzero(np.outer(s.V[:, 0], s.W[:, 0]))
        report = bad.verify()
        assert not report.ok
        assert report.wrong == expected
        assert report.first_wrong is not None and report.first_wrong[0] == 0
    # Strassen, by hand: M1 has v = B11+B22, w = C11+C22 -> 4 wrong entries.
    assert _flip_sign(strassen, 0, 0, 0).verify().wrong == 4
    # a sign flip is invisible mod 2
    assert _flip_sign(strassen, 0, 0, 0).verify("gf2").ok


def test_multiply_matches_matmul(laderman, alphatensor_r):
    rng = np.random.default_rng(0)
    A, B = rng.integers(-9, 9, (3, 3)), rng.integers(-9, 9, (3, 3))
    assert (laderman.multiply(A, B) == A @ B).all()
    s = next(x for x in alphatensor_r if x.fmt.dims == (3, 4, 5))
    A, B = rng.integers(-9, 9, (3, 4)), rng.integers(-9, 9, (4, 5))
    assert (s.multiply(A, B) == A @ B).all()


def test_alphatensor_files_all_verify(alphatensor_r, alphatensor_f2):
    assert len(alphatensor_r) == 93 and len(alphatensor_f2) == 20
    for s in alphatensor_r:
        assert s.ring in (Ring.Z, Ring.Q)
        assert s.verify(Ring.Q).ok
    assert sum(s.ring is Ring.Q for s in alphatensor_r) > 0  # halves/eighths kept exact
    for s in alphatensor_f2:
        assert s.ring is Ring.GF2 and s.verify().ok
        assert not s.verify(Ring.Z).ok  # valid mod 2 only
    ranks = {s.fmt.dims: s.rank for s in alphatensor_f2}
    assert ranks[(4, 4, 4)] == 47 and ranks[(4, 4, 5)] == 63 and ranks[(5, 5, 5)] == 96
    ranks_r = {s.fmt.dims: s.rank for s in alphatensor_r}
    assert ranks_r[(4, 4, 4)] == 49 and ranks_r[(3, 4, 5)] == 47 and ranks_r[(2, 2, 2)] == 7


def test_rational_scheme_checked_exactly(alphatensor_r):
    s = next(x for x in alphatensor_r if x.ring is Ring.Q)
    assert any(isinstance(c, Fraction) for c in s.coefficients)
    # nudging one fractional coefficient by 1/1024 must break it
    mats = [np.array(m) for m in s.factors]
    for mode, m in enumerate(mats):
        idx = next((i for i, v in np.ndenumerate(m) if isinstance(v, Fraction)), None)
        if idx:
            m[idx] = m[idx] + Fraction(1, 1024)
            break
    assert not s.with_factors(*mats).verify().ok
    assert not s.verify(Ring.Z).ok


def test_big_naive_scheme_verifies():
    f = Format(12, 12, 12)
    s = Scheme(f, *f.naive_factors())
    assert s.verify().ok and s.rank == 1728
    # drop one product: exactly one tensor entry is then missing
    r = s.verify()
    short = Scheme(f, s.U[:, 1:], s.V[:, 1:], s.W[:, 1:])
    rep = short.verify()
    assert rep.wrong == 1 and r.ok


def test_large_coefficients_fall_back_to_exact_integers(strassen):
    # scale one term by 2^40 and another by 2^-40 over Q: float64 would round
    mats = [np.array(m, dtype=object) for m in strassen.factors]
    mats[0][:, 0] = mats[0][:, 0] * 2**40
    mats[2][:, 0] = [Fraction(v, 2**40) for v in mats[2][:, 0]]
    s = Scheme("2x2x2", *mats, ring="q")
    assert s.verify().ok
    mats[2][0, 0] += Fraction(1, 2**60)
    assert not Scheme("2x2x2", *mats, ring="q").verify().ok


def test_shape_errors_name_actual_shapes():
    with pytest.raises(SchemeError, match=r"U must have shape \(4, r\).*got \(3, 7\)"):
        Scheme("2x2x2", np.zeros((3, 7)), np.zeros((4, 7)), np.zeros((4, 7)))
    with pytest.raises(SchemeError, match="same number of columns"):
        Scheme("2x2x2", np.zeros((4, 7)), np.zeros((4, 6)), np.zeros((4, 7)))
    with pytest.raises(SchemeError, match="not an integer"):
        Scheme("2x2x2", np.full((4, 1), 0.5), np.zeros((4, 1)), np.zeros((4, 1)), ring="z")
    with pytest.raises(SchemeError, match="zt allows only"):
        Scheme("2x2x2", np.full((4, 1), 2), np.zeros((4, 1)), np.zeros((4, 1)), ring="zt")
    with pytest.raises(SchemeError, match="unknown ring"):
        Scheme("2x2x2", np.zeros((4, 1)), np.zeros((4, 1)), np.zeros((4, 1)), ring="r")


def test_gf2_reduces_and_nnz(strassen):
    g = strassen.as_ring("gf2")
    assert set(g.coefficients) <= {0, 1} and g.verify().ok
    assert g.nnz == strassen.nnz == 36


def test_render_round_trip(laderman):
    again = parse_algorithm("3x3x3", "\n".join(algorithm_lines(laderman)))
    assert again.fingerprint() == laderman.fingerprint()


def test_parse_algorithm_errors():
    with pytest.raises(SchemeError, match="outside"):
        parse_algorithm("2x2x2", "M1 = A31 * B11\nC11 = M1")
    with pytest.raises(SchemeError, match="not defined"):
        parse_algorithm("2x2x2", "M1 = A11 * B11\nC11 = M2")
