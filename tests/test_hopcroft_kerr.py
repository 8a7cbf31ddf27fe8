"""Hopcroft and Kerr's <p,2,n> construction (core/hopcroft_kerr.py) and the
combination DP that starts from it."""

import numpy as np
import pytest

from decomp.core.coefficients import coefficient_excess
from decomp.core.credit import credit_of
from decomp.core.errors import DecompError
from decomp.core.hopcroft_kerr import _comb, hopcroft_kerr, hopcroft_kerr_rank
from decomp.core.recipes import build_table, combined_scheme
from decomp.core.records import best_known
from decomp.core.rings import Ring

# Even p whose circulant i <-> i + p/2 (mod n) has two odd cycles: one cell
# is read with 2 products instead of 3 for two (module docstring).
ABOVE_FORMULA = {(4, 6): 1, (6, 4): 1, (8, 12): 2, (12, 8): 2}


@pytest.mark.parametrize("p", range(1, 9))
def test_every_format_up_to_8_is_exact_at_the_bound(p):
    for n in range(1, 9):
        s = hopcroft_kerr(p, n)
        assert s.fmt.dims == (p, 2, n)
        assert s.ring is Ring.Z
        assert s.verify(Ring.Z).ok
        assert s.rank == hopcroft_kerr_rank(p, n) + ABOVE_FORMULA.get((p, n), 0)


def test_the_bound_itself():
    # <2,2,2> Strassen, <3,2,3> 15, <2,2,n> 7n/2 rounded up, <p,2,n> with p <= n: n (3p + 1) / 2
    assert [hopcroft_kerr_rank(*pn) for pn in [(2, 2), (3, 3), (2, 5), (7, 8), (8, 8), (5, 16)]] == \
        [7, 15, 18, 88, 100, 128]


def test_records_at_the_frontier():
    # 2x7x8 and 2x8x8: the best known ranks over Z and {-1, 0, 1} (records.csv) are Hopcroft-Kerr's
    for p, n in [(7, 8), (8, 8)]:
        s = hopcroft_kerr(p, n)
        assert s.rank == best_known(f"2x{p}x{n}", "z").rank
    assert hopcroft_kerr(8, 8).ternary and hopcroft_kerr(7, 7).ternary


def test_long_formats_are_cut_into_blocks():
    # n > 2p - 1: no window of the band fits, blocks of p .. 2p-1 columns are summed
    s = hopcroft_kerr(3, 11)
    assert s.verify(Ring.Z).ok and s.rank == 55
    s = hopcroft_kerr(5, 16)
    assert s.verify(Ring.Z).ok and s.rank == 128


def test_windows_are_unimodular():
    # every cyclic window of p consecutive rows of [I; R] has determinant +-1
    for p in range(1, 17):
        for n in range(p, 2 * p):
            M = np.vstack([np.eye(p, dtype=np.int64), _comb(n - p, p)])
            for s in range(n):
                window = M[[(s + t) % n for t in range(p)]].astype(float)
                assert abs(round(np.linalg.det(window))) == 1, (p, n, s)


def test_a_wide_band_verifies():
    # <9,2,16>: 7 window rows beyond the identity, whose windows need the remainder recursion (9 = 7 + 2)
    s = hopcroft_kerr(9, 16)
    assert s.verify(Ring.Z).ok and s.rank == hopcroft_kerr_rank(9, 16)


def test_not_a_format():
    with pytest.raises(DecompError, match="not a format"):
        hopcroft_kerr(0, 3)
    with pytest.raises(DecompError, match="up to <32,2,32>, not <5,2,33>"):
        hopcroft_kerr(5, 33)


def test_the_combination_dp_starts_from_it():
    with_hk = build_table([], max_dim=8, recombine_max=0)
    without = build_table([], max_dim=8, recombine_max=0, constructions=False)
    assert with_hk.rank("2x7x8") == 88 and without.rank("2x7x8") > 88
    assert with_hk.rank("8x2x8") == 100 and with_hk.rank("2x8x8") == 100
    built = with_hk.materialise("2x7x8").require_valid()
    assert built.fmt.dims == (2, 7, 8) and built.rank == 88
    assert any("constructed" in line for line in with_hk.explain("2x7x8"))
    # a search's start: the DP's scheme, credited as a construction
    start = combined_scheme([], "2x6x6", ring="z")
    assert start.rank == 57
    assert credit_of(start.provenance, start.rank, "z") == "combined"
    # over {-1, 0, 1}: as built for p = n, by signs or a change of basis for most others
    assert combined_scheme([], "2x8x8", ring="zt").rank == 100
    zt = combined_scheme([], "2x5x7", ring="zt")
    assert zt.rank == 56 and zt.ring is Ring.ZT and zt.verify(Ring.ZT).ok
    # <7,2,8>: the 0/1 window row's scheme has no signs and no change of basis found; another
    # sign pattern of that row gives one that reaches {-1, 0, 1}, at the Z record 88
    zt = combined_scheme([], "2x7x8", ring="zt")
    assert zt.rank == 88 and zt.ring is Ring.ZT and zt.verify(Ring.ZT).ok


def test_ternary_schemes_from_sign_patterns_and_blocks():
    from decomp.core.hopcroft_kerr import _sign_variants, _ternary

    assert coefficient_excess(hopcroft_kerr(7, 8)) > 0
    s = _sign_variants(7, 8)
    assert s is not None and s.rank == 88 and s.ternary and s.verify(Ring.ZT).ok
    assert _sign_variants(8, 9) is None  # R has 8 non-zeros: past the search's limit
    # <6,2,13> is cut into <6,2,6> and <6,2,7>, both ternary, so their sum is
    whole = _ternary(6, 13)
    assert whole is not None and whole.rank == hopcroft_kerr(6, 13).rank and whole.verify(Ring.ZT).ok
