import pytest

from decomp import solve
from decomp.core.errors import DecompError


def test_2x2x2_rank7_exact_with_fixed_seed():
    res = solve("2x2x2", 7, method="als", ring="z", seed=1, restarts=10)
    assert res.success and res.scheme.ring.value == "z" and res.scheme.verify().ok
    assert res.extra["exact"] >= 1 and res.extra["numeric_fits"] >= res.extra["exact"]


def test_near_solution_never_reported(monkeypatch):
    """A numeric fit that rounds to a wrong scheme must not become a success."""
    from decomp.solvers.als import solver as als
    from decomp.solvers.als import snap as als_snap

    def bad_snap(T, factors, values, **kw):
        out = [f.round() for f in als_snap.gauge_normalise(factors)]
        out[0][0, 0] += 1  # break it
        return out

    monkeypatch.setattr(als, "snap", bad_snap)
    res = solve("2x2x2", 7, method="als", ring="z", seed=1, restarts=3)
    assert not res.success and res.scheme is None and res.extra["exact"] == 0


def test_restarts_and_time_limit_honoured():
    res = solve("3x3x3", 22, method="als", ring="z", seed=1, restarts=2, max_iter=200)
    assert not res.success and res.extra["restarts"] == 2
    res = solve("3x3x3", 22, method="als", ring="z", seed=1, restarts=1000, max_iter=200, time_limit=1.0)
    assert res.status == "time_limit" and res.extra["restarts"] < 1000


def test_bad_options_refused():
    with pytest.raises(TypeError, match="valid options are .*restarts"):
        solve("2x2x2", 7, method="als", ring="z", iterations=5)
    with pytest.raises(DecompError, match="valid sets are"):
        solve("2x2x2", 7, method="als", ring="z", coefficients="big")
    with pytest.raises(DecompError, match="not gf2"):
        solve("2x2x2", 7, method="als", ring="gf2")
    with pytest.raises(DecompError, match="restarts must be"):
        solve("2x2x2", 7, method="als", ring="z", restarts=0)
    # numbers that used to fail deep inside numpy, or to run and find nothing
    for option, text in [({"tol": "abc"}, "tol must be a number"), ({"max_iter": 0}, "max_iter must be a whole"),
                         ({"regularisation": "x"}, "regularisation must be a number"),
                         ({"max_norm": -1}, "max_norm must be a number at least 1")]:
        with pytest.raises(DecompError, match=text):
            solve("2x2x2", 7, method="als", ring="z", **option)


def test_rank_above_the_optimum_is_found_not_a_crash():
    """Over-parametrised fits make the unregularised normal equations
    singular; the regularised stage's factors must carry on."""
    from decomp.core.targets import parse_target

    res = solve(parse_target("poly:3"), 8, method="als", ring="q", seed=1, restarts=3)
    assert res.success and res.scheme.rank <= 8 and res.scheme.verify().ok
