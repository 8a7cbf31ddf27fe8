"""Projections between formats (decomp/core/projection.py) and the
`--start projected` walk start."""

import json

import numpy as np
import pytest

from conftest import run_cli
from decomp.core.combine import project
from decomp.core.errors import DecompError
from decomp.core.projection import best_projection, projected_start, vanishing
from decomp.core.store import Catalogue


def test_projection_of_alphatensor_4x5x5_gives_4x4x5_rank_66(alphatensor_r):
    """Dropping the best index of AlphaTensor's 4x5x5 rank 76 removes ten
    terms (checked by hand last stop); the result is a valid Z scheme."""
    s = next(x for x in alphatensor_r if x.fmt.dims == (4, 5, 5))
    p = best_projection(s, "4x4x5")
    assert p.fmt.dims == (4, 4, 5) and p.rank == 66 and p.verify("z").ok
    assert p.provenance["source"].startswith("projection of")
    assert best_projection(s, "5x5x5") is None and best_projection(s, "4x5x5") is None


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
