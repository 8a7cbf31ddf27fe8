"""ALS over cyclic-symmetric schemes (als symmetry=cyclic, solvers/als/cyclic.py)."""

import numpy as np
import pytest

from decomp import solve
from decomp.core.errors import DecompError
from decomp.core.formats import Format
from decomp.solvers.als import cyclic as als_cyclic


@pytest.mark.parametrize("n,rank,symmetric", [(2, 7, 1), (3, 23, 2), (3, 23, 5)])
def test_expanded_unknowns_make_a_rotation_invariant_tensor(n, rank, symmetric):
    """Any values of the tied unknowns give terms that rotate into each
    other, so their tensor is unchanged by (a, b, c) -> (b, c, a)."""
    column = als_cyclic.expansion(n, rank, symmetric)
    assert column.max() + 1 == (symmetric + 3 * ((rank - symmetric) // 3)) * n * n
    theta = np.random.default_rng(0).standard_normal(column.max() + 1)
    U, V, W = als_cyclic.expand(theta, column, n * n, rank)
    X = np.einsum("ar,br,cr->abc", U, V, W)
    assert np.allclose(X, np.transpose(X, (1, 2, 0)))


def test_symmetric_fit_of_2x2x2_rank_7():
    T = Format(2, 2, 2).tensor().astype(float)
    results = [als_cyclic.cyclic_fit(T, 7, 1, np.random.default_rng(seed))[1] for seed in range(4)]
    assert min(results) < 1e-8  # fits, unlike plain parafac from random starts (README)


def test_3x3x3_rank_23_exact_over_z_from_a_symmetric_fit():
    """The #5 target case: the first restart with seed 1 fits and snaps to an
    exact integer scheme (about 12 s here; plain fits did not in 30 minutes)."""
    res = solve("3x3x3", 23, method="als", ring="z", seed=1, symmetry="cyclic", time_limit=600)
    assert res.success and res.scheme.rank == 23 and res.scheme.verify().ok
    assert res.scheme.ring.value == "z" and res.extra["symmetric_terms"] == 2


@pytest.mark.parametrize("fmt,rank,options,text", [
    ("3x3x3", 23, {"symmetry": "mirror"}, "symmetry must be none or cyclic"),
    ("3x3x3", 23, {"fixed_terms": 2}, "fixed_terms needs symmetry=cyclic"),
    ("2x2x3", 11, {"symmetry": "cyclic"}, "needs a square format"),
    ("3x3x3", 23, {"symmetry": "cyclic", "fixed_terms": 4}, "must be a multiple of 3"),
    ("3x3x3", 23, {"symmetry": "cyclic", "backend": "pytorch"}, "fits with numpy"),
])
def test_bad_cyclic_options_refused(fmt, rank, options, text):
    with pytest.raises(DecompError, match=text):
        solve(fmt, rank, method="als", ring="z", restarts=1, **options)
