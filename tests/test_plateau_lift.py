"""Lifting along a plateau (solvers/flip/plateau_lift.py): a GF(2) scheme
that does not lift to Z, and a neighbour a few flips away that does."""

from pathlib import Path

from decomp import solve
from decomp.core.io import read_json
from decomp.core.lift import lift_gf2
from decomp.core.rings import Ring
from decomp.solvers.flip.plateau_lift import PlateauWalk, lift_on_plateau
from decomp.solvers.gf2.rng import generator

# a 3x3x3 rank 23 scheme a GF(2) walk reached (seed 0), which does not lift
NO_LIFT = Path(__file__).parent / "data" / "gf2_3x3x3_r23_no_lift.json"


def test_the_fixture_does_not_lift():
    s = read_json(NO_LIFT)
    assert s.rank == 23 and s.ring is Ring.GF2 and s.verify().ok
    assert lift_gf2(s).scheme is None


def test_a_plateau_neighbour_lifts():
    s = read_json(NO_LIFT)
    res, point, flips = lift_on_plateau(s, generator(1), points=64, flips=20_000)
    assert res.scheme is not None and res.scheme.ring is Ring.Z and res.scheme.verify().ok
    assert res.scheme.rank <= 23 and point.rank == res.scheme.rank and flips > 0
    assert "plateau point" in res.message
    assert (point.as_ring(Ring.GF2).U != s.U % 2).any() or point.rank < 23  # a different scheme


def test_no_points_no_walk():
    s = read_json(NO_LIFT)
    res, point, flips = lift_on_plateau(s, generator(1), points=0)
    assert res.scheme is None and point is s and flips == 0


def test_plateau_points_never_rise_in_rank():
    s = read_json(NO_LIFT)
    walk = PlateauWalk(s, generator(3))
    ranks = [walk.next_point(5_000).rank for _ in range(5)]
    assert all(r <= 23 for r in ranks) and ranks == sorted(ranks, reverse=True)


def test_solve_over_z_from_a_gf2_scheme_at_the_target_lifts_on_its_plateau(flip_kernels_compiled):
    res = solve("3x3x3", 23, method="flip", ring="z", seed=4, time_limit=60, start=read_json(NO_LIFT))
    assert res.success and res.scheme.ring is Ring.Z and res.scheme.verify().ok
    assert "plateau point" in res.extra["lift"]


def test_lift_points_0_keeps_the_old_behaviour(flip_kernels_compiled):
    res = solve("3x3x3", 23, method="flip", ring="z", seed=4, time_limit=3, start=read_json(NO_LIFT),
                lift_points=0, search="walk")
    assert "plateau point" not in res.extra.get("lift", "")
