import pytest

from decomp.core.errors import DecompError, MissingDependencyError
from decomp.solvers import api
from decomp.solvers.api import METHODS, Method, SolveResult, solve


def test_naive_method():
    res = solve("2x3x4", rank=24, method="naive", ring="z")
    assert res.success and res.scheme.verify().ok and res.best_rank == 24
    res = solve("2x3x4", rank=20, method="naive", ring="z")
    assert not res.success and res.status == "not_found"


def test_unknown_method_lists_valid():
    with pytest.raises(ValueError, match="valid methods are .*naive"):
        solve("2x2x2", 7, method="magic")


def test_unknown_option_lists_valid():
    with pytest.raises(TypeError, match="unknown option.*'naive'"):
        solve("2x2x2", 8, method="naive", bogus=1)


@pytest.mark.parametrize("rank,msg", [(0, ">= 1"), (-3, ">= 1"), (3, "impossible"), (2.5, "integer")])
def test_bad_rank(rank, msg):
    with pytest.raises(DecompError, match=msg):
        solve("2x2x2", rank, method="naive")


def test_missing_dependency_names_extra():
    api.register(Method("needs-missing", "decomp.solvers._no_such_module_", (api.Ring.Z,), extra="rl"))
    try:
        with pytest.raises(MissingDependencyError, match=r"decomp\[rl\]"):
            solve("2x2x2", 8, method="needs-missing", ring="z")
    finally:
        METHODS.pop("needs-missing")


def test_front_door_rejects_unverified_output(monkeypatch):
    """A solver that returns a wrong scheme is never reported as a success."""
    import types
    from decomp.core.scheme import Scheme

    def run(problem):
        f = problem.fmt
        U, V, W = f.naive_factors()
        bad = Scheme(f, U[:, 1:], V[:, 1:], W[:, 1:], ring=problem.ring)
        return SolveResult(True, "found", "trust me", bad, bad.rank)

    mod = types.ModuleType("decomp_fake_solver")
    mod.run = run
    monkeypatch.setitem(__import__("sys").modules, "decomp_fake_solver", mod)
    api.register(Method("liar", "decomp_fake_solver", (api.Ring.Z,)))
    try:
        res = solve("2x2x2", 8, method="liar", ring="z")
        assert not res.success and res.status == "rejected" and res.scheme is None
    finally:
        METHODS.pop("liar")
