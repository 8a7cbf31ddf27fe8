"""Projections between formats (decomp/core/projection.py) and the
`--start projected` walk start."""

import json

import numpy as np
import pytest

from conftest import run_cli
from decomp.core.combine import project
from decomp.core.errors import DecompError
from decomp.core import symmetry as sym
from decomp.core.formats import Format
from decomp.core.projection import (basis_projection, best_basis_pair, best_projection, greedy_projection,
                                    projected_start, vanishing)
from decomp.core.scheme import Scheme
from decomp.core.store import Catalogue


def test_projection_of_alphatensor_4x5x5_gives_4x4x5_rank_66(alphatensor_r):
    """Dropping the best index of AlphaTensor's 4x5x5 rank 76 removes ten
    terms (checked by hand last stop); the result is a valid Z scheme."""
    s = next(x for x in alphatensor_r if x.fmt.dims == (4, 5, 5))
    p = best_projection(s, "4x4x5")
    assert p.fmt.dims == (4, 4, 5) and p.rank == 66 and p.verify("z").ok
    assert p.provenance["source"].startswith("projection of")
    assert best_projection(s, "5x5x5") is None and best_projection(s, "4x5x5") is None


# Unimodular (det 1) and invertible mod 2, with no unit vector among the
# rows of X^T or X^-1: after this change of basis no coordinate index of the
# naive algorithm is "clean", so dropping one removes no term at all.
DENSE_X = [[1, 1, 0], [0, 1, 1], [1, 1, 1]]


@pytest.mark.parametrize("ring", ["z", "gf2"])
def test_change_of_basis_undoes_a_sandwich_that_coordinates_cannot(ring):
    """The naive 3x3x3 algorithm sandwiched by DENSE_X on A's rows: dropping
    a coordinate index keeps all 27 terms, the change-of-basis drop finds
    the direction the sandwich moved the index to and gets 2x3x3's naive
    rank 18 (9 for 1x3x3), valid over the ring."""
    f = Format(3, 3, 3)
    s = sym.sandwich(Scheme(f, *f.naive_factors(), ring=ring), DENSE_X, np.eye(3, dtype=int), np.eye(3, dtype=int))
    assert s.verify().ok
    assert greedy_projection(s, (2, 3, 3)).rank == 27
    gone, y, c = best_basis_pair(s)
    assert gone == 9 and abs(sum(a * b for a, b in zip(y, c))) % 2 == 1
    for dims, rank in (((2, 3, 3), 18), ((1, 3, 3), 9)):
        p = basis_projection(s, dims)
        assert p.fmt.dims == dims and p.rank == rank and p.ring.value == ring and p.verify().ok
        assert p.provenance["source"] == "projection of 3x3x3"
    assert best_projection(s, "2x3x3").rank == 18


def test_a_scrambled_alphatensor_scheme_projects_as_well_as_the_original(alphatensor_f2):
    """AlphaTensor's 4x5x5 rank 76 over GF(2), in a random basis of every
    axis: its coordinate projections to 4x4x5 get worse than the
    original's 66, the change-of-basis one does not (over GF(2) a single
    drop's best pair is found whatever the basis)."""
    s = next(x for x in alphatensor_f2 if x.fmt.dims == (4, 5, 5))
    assert best_projection(s, "4x4x5").rank == 66
    rng = np.random.default_rng(5)

    def invertible(k):
        while True:
            M = rng.integers(0, 2, (k, k))
            if round(np.linalg.det(M)) % 2:
                return M

    t = sym.sandwich(s, invertible(4), invertible(5), invertible(5))
    assert t.verify().ok and greedy_projection(sym.permute(t, (5, 4, 5)), (4, 4, 5)).rank > 66
    p = best_projection(t, "4x4x5")
    assert p.rank <= 66 and p.ring.value == "gf2" and p.verify().ok


def test_ternary_and_rational_schemes_keep_their_coefficients(alphatensor_r):
    """Over {-1,0,1} a change of basis is kept only if it stays ternary;
    over Q (fractions) projections are by coordinates only."""
    s = next(x for x in alphatensor_r if x.fmt.dims == (4, 5, 5)).as_ring("zt")
    p = best_projection(s, "4x4x5")
    assert p.rank == 66 and p.ring.value == "zt" and set(p.coefficients) <= {-1, 0, 1} and p.verify().ok
    q = next(x for x in alphatensor_r if x.ring.value == "q")
    assert basis_projection(q, tuple(d - 1 if i == 0 else d for i, d in enumerate(q.fmt.dims))) is None


@pytest.mark.parametrize("dims", [(2, 3, 4), (3, 3, 3), (3, 4, 5), (4, 4, 4)])
def test_vanishing_counts_match_projecting_each_index(alphatensor_r, dims):
    s = next(x for x in alphatensor_r if x.fmt.dims == dims)
    for axis in range(3):
        counts = vanishing(s, axis)
        for x in range(dims[axis]):
            keep = [list(range(d)) for d in dims]
            del keep[axis][x]
            p = project(s, keep)
            assert s.rank - p.rank == counts[x] and p.verify().ok


def test_projected_start_refuses_an_empty_catalogue_in_one_line(alphatensor_r):
    small = [x for x in alphatensor_r if max(x.fmt.dims) <= 3]
    with pytest.raises(DecompError, match="no z scheme of a format up to 3 indices above 4x4x5"):
        projected_start(small, "4x4x5", "z")
    s = projected_start(alphatensor_r, "3x3x4", "z")
    assert s.fmt.dims == (3, 3, 4) and s.verify("z").ok and s.rank < 36


def test_solve_from_a_projected_start(tmp_path, capsys, alphatensor_r):
    """From AlphaTensor's 2x3x3 rank 15 the best 2x2x3 projection has rank
    at most 12; a ternary walk from it reaches the optimum, 11."""
    res = tmp_path / "cat"
    cat = Catalogue(res)
    cat.add(next(x for x in alphatensor_r if x.fmt.dims == (2, 3, 3)))
    assert best_projection(next(x for x in alphatensor_r if x.fmt.dims == (2, 3, 3)), "2x2x3").rank <= 12
    code, out, err = run_cli(["solve", "2x2x3", "--rank", "11", "--method", "flip", "--ring", "z", "--start",
                              "projected", "-o", "walk_ring=zt", "--seed", "1", "--time-limit", "60",
                              "--results", res, "--json"], capsys)
    d = json.loads(out)
    assert code == 0 and d["success"] and d["scheme"]["rank"] == 11
    assert np.array(d["scheme"]["U"]).shape == (4, 11) and d["scheme"]["provenance"]["walk_ring"] == "zt"
    code, _, err = run_cli(["solve", "5x5x5", "--rank", "93", "--method", "flip", "--ring", "z", "--start",
                            "projected", "--results", res], capsys)
    assert code == 2 and "no z scheme of a format up to 3 indices above 5x5x5" in err and "Traceback" not in err


def test_a_ternary_walk_starts_from_a_ternary_projection(tmp_path, capsys, alphatensor_r):
    """AlphaTensor's 3x3x3 rank 23 in a basis with larger entries projects
    to 2x3x3 rank 16 outside {-1, 0, 1}; a ternary walk's start is then the
    standard algorithm's projection (18) and, without it, a one-line error."""
    X = [[1, 1, 0], [0, 1, 1], [0, 0, 1]]
    s = next(x for x in alphatensor_r if x.fmt.dims == (3, 3, 3))
    t = sym.sandwich(s, X, np.eye(3, dtype=int), np.eye(3, dtype=int))
    naive = Scheme(Format(3, 3, 3), *Format(3, 3, 3).naive_factors(), ring="z")
    loose = projected_start([t, naive], "2x3x3", "z")
    assert loose.rank == 16 and max(abs(int(v)) for v in loose.coefficients) > 1
    tight = projected_start([t, naive], "2x3x3", "z", ternary=True)
    assert tight.rank == 18 and set(tight.coefficients) <= {-1, 0, 1} and tight.verify("z").ok
    res = tmp_path / "cat"
    Catalogue(res).add(t)
    code, _, err = run_cli(["solve", "2x3x3", "--rank", "15", "--ring", "z", "--start", "projected",
                            "-o", "walk_ring=zt", "--results", res], capsys)
    assert code == 2 and "with a projection in {-1, 0, 1} to project from" in err and "Traceback" not in err
