"""Measures of the rl agent against known optimal schemes (rl.diagnostics)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

from decomp.core.formats import Format  # noqa: E402
from decomp.core.render import parse_algorithm  # noqa: E402
from decomp.core.rings import Ring  # noqa: E402
from decomp.solvers.rl.actions import ActionSpace, default_coefficients  # noqa: E402
from decomp.solvers.rl.diagnostics import (correct_moves, policy_hits, reference_moves,  # noqa: E402
                                           solve_rate)
from decomp.solvers.rl.evaluate import UniformEvaluator  # noqa: E402
from decomp.solvers.rl.mcts import play  # noqa: E402
from decomp.solvers.rl.train import Agent, config_for  # noqa: E402

from known import STRASSEN  # noqa: E402

TINY = dict(dim=16, heads=2, torso_layers=1, policy_layers=1, quantiles=4, batch=32, warmup_steps=20,
            train_per_round=5, simulations=16, samples=8, parallel_games=4, buffer=2000, max_moves=7)


def _references(ring):
    space = ActionSpace.make((4, 4, 4), default_coefficients(Ring.parse(ring)))
    strassen = parse_algorithm("2x2x2", STRASSEN).as_ring(ring)
    return space, reference_moves(strassen, space)


def test_the_strassen_orbit_over_gf2_is_36_schemes_each_term_in_one():
    space, refs = _references("gf2")
    assert refs.shape == (36, 7, 12)
    terms = {tuple(t) for ref in refs for t in ref}
    assert len(terms) == 252 == 36 * 7
    for ref in refs:
        U, V, W = space.factors(ref)
        scheme = parse_algorithm("2x2x2", STRASSEN).as_ring("gf2").with_factors(U, V, W)
        assert scheme.verify().ok
    # One term played: only its own scheme continues, so 6 correct moves are left.
    assert correct_moves(refs, []) == terms
    assert correct_moves(refs, [refs[5][2]]) == {tuple(t) for t in refs[5]} - {tuple(refs[5][2])}


def test_integer_references_are_valid_schemes_inside_the_coefficient_set():
    space, refs = _references("z")
    assert len(refs) > 1
    for ref in refs:
        assert space.legal(ref).all()
        U, V, W = space.factors(ref)
        assert parse_algorithm("2x2x2", STRASSEN).with_factors(U, V, W).verify().ok


def test_a_game_can_start_after_moves_already_played():
    space, refs = _references("gf2")
    T = Format(2, 2, 2).tensor() % 2
    moves = refs[0]
    residual = T - np.einsum("ri,rj,rk->ijk", *space.split(moves[:6]))
    ev = UniformEvaluator(space, 8, np.random.default_rng(0))
    # Six moves in, the move limit of 7 leaves one: the game ends after it.
    rec, = play([residual % 2], ev, space, 7, 8, 2, np.random.default_rng(0), starts=[(6, moves[4:6][::-1])])
    assert len(rec.actions) == 1 and rec.solution is not None and len(rec.solution) == 1
    assert rec.depths == [6]


def test_solve_rates_and_policy_hits_on_a_tiny_agent():
    agent = Agent(config_for("2x2x2", "gf2", seed=0, **TINY), device="cpu")
    agent.train_steps(5)
    space, refs = _references("gf2")
    # One move from the end, the finishing move is always offered: every game is solved.
    assert solve_rate(agent, agent.evaluator(), refs, 6, games=4) == 1.0
    assert solve_rate(agent, UniformEvaluator(space, 8, np.random.default_rng(0)), refs, 6, games=4) == 1.0
    hits = policy_hits(agent, refs, draws=16, paths=2)
    assert [h["depth"] for h in hits] == list(range(7))
    assert all(0.0 <= h["share"] <= 1.0 and 0 <= h["distinct"] <= 16 for h in hits)


def test_lookahead_priors_rank_candidates_by_their_childrens_values():
    from decomp.solvers.rl.evaluate import NetworkEvaluator
    from decomp.solvers.rl.game import rank_one_action

    agent = Agent(config_for("2x2x2", "gf2", seed=0, **TINY), device="cpu")
    space, refs = _references("gf2")
    last = refs[3][0]
    residual = np.einsum("i,j,k->ijk", *space.split(last)) % 2
    history = np.zeros((1, agent.config.history, space.length), dtype=np.int64)
    # At the last move every child is terminal, so its value is exact: 0 for the
    # finishing move, -rank bound for the others.
    for weight in (0.0, 1.0):
        ev = NetworkEvaluator(agent.model, space, 16, 7, seed=1, lookahead=weight)
        ((actions, priors),), _ = ev(residual[None], np.array([6]), history)
        assert np.isclose(priors.sum(), 1.0)
        finish = np.flatnonzero((actions == rank_one_action(residual, space)).all(axis=1))[0]
        if weight == 1.0:
            assert priors[finish] > 0.9 and priors.argmax() == finish
        else:                        # the draws' shares, with the finish raised to half before normalising
            assert priors[finish] < 0.9
