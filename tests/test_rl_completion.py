"""Unfinished TensorGames completed into schemes (solvers/rl/completion.py)."""

import numpy as np
import pytest

from decomp.core.errors import DecompError
from decomp.core.formats import Format
from decomp.core.render import parse_algorithm
from decomp.core.rings import Ring, matrix_rank
from decomp.core.scheme import Scheme
from decomp.solvers.rl.actions import ActionSpace
from decomp.solvers.rl.completion import best_completion, residual_terms
from decomp.solvers.rl.slice_terms import bounded_matrix_terms, matrix_terms
from decomp.solvers.rl.game import apply, rank_bound, slice_bound

from known import STRASSEN


def _sum(terms, space, mod2):
    u, v, w = space.split(np.asarray(terms, dtype=np.int64))
    out = np.einsum("ni,nj,nk->ijk", u, v, w)
    return out % 2 if mod2 else out


@pytest.mark.parametrize("mod2", [True, False])
def test_matrix_terms_are_an_exact_rank_decomposition(mod2):
    rng = np.random.default_rng(3)
    for _ in range(200):
        m = rng.integers(-3, 4, size=(rng.integers(1, 6), 3)) @ rng.integers(-2, 3, size=(3, rng.integers(1, 6)))
        m = m % 2 if mod2 else m
        terms = matrix_terms(m, mod2)
        rebuilt = sum((np.outer(x, y) for x, y in terms), np.zeros_like(m))
        assert ((rebuilt % 2 if mod2 else rebuilt) == m).all()
        assert len(terms) == matrix_rank(m, mod2)


def test_integer_matrix_needing_euclid_steps_stays_integral():
    # rank 2 over Q, with no unit entry to pivot on: the terms are still integers
    m = np.array([[4, 6, 10], [6, 9, 14]])
    terms = matrix_terms(m, mod2=False)
    assert len(terms) == 2
    assert (sum(np.outer(x, y) for x, y in terms) == m).all()


@pytest.mark.parametrize("mod2", [True, False])
def test_residual_terms_meet_the_rank_bound(mod2):
    rng = np.random.default_rng(5)
    space = ActionSpace.make((4, 6, 6), (0, 1) if mod2 else (-2, -1, 0, 1, 2))
    for _ in range(10):
        t = rng.integers(-2, 3, size=(4, 6, 6))
        t = t % 2 if mod2 else t
        terms = residual_terms(t, mod2)
        assert len(terms) == rank_bound(t, mod2)
        assert (_sum(terms, space, mod2) == t).all()
    assert len(residual_terms(Format(2, 2, 2).tensor(), mod2)) == 8


def test_five_strassen_moves_complete_to_rank_7():
    strassen = parse_algorithm("2x2x2", STRASSEN)
    U, V, W = (np.asarray(f, dtype=np.int64) for f in strassen.factors)
    moves = np.concatenate([U.T, V.T, W.T], axis=1)
    space = ActionSpace.make((4, 4, 4), (-2, -1, 0, 1, 2))
    target = Format(2, 2, 2).tensor()
    # a wrong move at the end: the best prefix stops before it
    wrong = np.array([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0])
    left = target
    for m in moves[:5]:
        left = apply(left[None], m[None], space)[0]
    assert slice_bound(left, False) == 2          # the last two terms sit in different slices
    terms, played = best_completion(target, list(moves[:5]) + [wrong], space)
    # the earliest best prefix wins: 2 moves, then the 5 terms of a peeled split (peel.py)
    assert played == 2 and len(terms) == 7
    scheme = Scheme(Format(2, 2, 2), *space.factors(terms), ring=Ring.Z)
    assert scheme.verify().ok


def test_unfinished_games_give_verified_schemes_marked_as_completed():
    pytest.importorskip("torch")
    from decomp.solvers.rl.train import Agent, config_for

    tiny = dict(dim=16, heads=2, torso_layers=1, policy_layers=1, quantiles=4, warmup_steps=0,
                simulations=4, samples=8, parallel_games=3, lookahead=0.5)
    found = Agent(config_for("2x2x2", "z", seed=0, **tiny), device="cpu").self_play()
    assert found and all(s.verify().ok and s.rank <= 8 for s in found)
    done = [s for s in found if "completed_from_residual" in s.provenance]
    assert done and all(s.provenance["moves_played"] + s.provenance["completed_from_residual"] == s.rank
                        for s in done)
    off = Agent(config_for("2x2x2", "z", seed=0, complete_games=0, **tiny), device="cpu").self_play()
    assert all("completed_from_residual" not in s.provenance for s in off)


def _strassen_gf2():
    s = parse_algorithm("2x2x2", STRASSEN)
    U, V, W = (np.asarray(f, dtype=np.int64) % 2 for f in s.factors)
    return np.concatenate([U.T, V.T, W.T], axis=1), ActionSpace.make((4, 4, 4), (0, 1))


def test_search_completes_a_residual_within_the_goal():
    from decomp.solvers.rl.evaluate import UniformEvaluator, _priors
    from decomp.solvers.rl.mcts import Tree, play

    # Over GF(2): slice terms complete Strassen after 5 moves, the span split
    # (span_split.py) after 3 or 4, its one-term extension after 2; one
    # correct move is not enough.
    moves, space = _strassen_gf2()
    target = Format(2, 2, 2).tensor() % 2
    states = [target]
    for m in moves:
        states.append(apply(states[-1][None], m[None], space)[0])
    for depth in (2, 3, 4, 5):
        root = Tree(states[depth], space, 7, 2, depth=depth, complete_at=7).root
        assert root.terminal and root.completable and root.value == -(7 - depth)
        assert not Tree(states[depth], space, 7, 2, depth=depth).root.terminal
    assert not Tree(states[1], space, 7, 2, depth=1, complete_at=7).root.terminal

    noise = UniformEvaluator(space, 6, np.random.default_rng(0))

    def evaluator(res, depth, hist):
        return ([_priors(np.concatenate([moves[1:2], noise.draw(6)]), space, r) for r in res],
                np.array([-float(rank_bound(r, True)) for r in res]))

    left = states[1]
    rec, = play([left], evaluator, space, 7, 32, 2, np.random.default_rng(0), stop_at=7,
                starts=[(1, moves[:1])], complete_at=7)
    assert rec.solution is not None and len(rec.solution) == 6 and rec.completed == 5
    assert (rec.solution[0] == moves[1]).all()
    assert (_sum(rec.solution, space, True) == left).all()


def test_lookahead_puts_its_weight_on_a_drawn_move_whose_child_splits():
    torch = pytest.importorskip("torch")
    from decomp.solvers.rl.demos import random_actions
    from decomp.solvers.rl.train import Agent, config_for

    tiny = dict(dim=16, heads=2, torso_layers=1, policy_layers=1, quantiles=4, samples=8, lookahead=0.9)
    agent = Agent(config_for("2x2x2", "z", seed=0, **tiny), device="cpu")
    s = parse_algorithm("2x2x2", STRASSEN)
    moves = agent.space.canonical(np.concatenate([np.asarray(f, dtype=np.int64).T for f in s.factors], axis=1))
    left = Format(2, 2, 2).tensor()
    for m in moves[:2]:
        left = apply(left[None], m[None], agent.space)[0]
    # the policy "draws" the third Strassen move among seven random ones
    drawn = np.concatenate([random_actions(np.random.default_rng(0), 7, agent.space), moves[2:3]])
    tokens = torch.as_tensor(agent.space.encode(drawn))[None]
    hist = np.zeros((1, 2, agent.space.length), dtype=np.int64)
    for goal, expect_sure in ((7, True), (6, False)):
        evaluator = agent.evaluator(complete_at=goal)
        evaluator.model.sample = lambda cells, k, temperature, generator: (tokens, None)
        (actions, priors), = evaluator(left[None], np.array([2]), hist)[0]
        prior = priors[(actions == moves[2]).all(axis=1)][0]
        # 3 moves, then 4 terms split from the residual: a rank-7 finish
        assert (prior >= 0.9) == expect_sure


def test_bounded_matrix_terms_stay_within_the_entry_limit():
    # Hermite reduces this to (1, 1) (x) (1, 1) + (0, 1) (x) (0, -2): not a zt term
    m = np.array([[1, 1], [1, -1]])
    assert max(np.abs(y).max() for _, y in matrix_terms(m, mod2=False)) == 2
    terms = bounded_matrix_terms(m, limit=1)
    assert len(terms) == 2
    assert max(max(np.abs(x).max(), np.abs(y).max()) for x, y in terms) == 1
    assert (sum(np.outer(x, y) for x, y in terms) == m).all()
    rng = np.random.default_rng(4)
    for _ in range(200):
        m = rng.integers(-3, 4, size=(rng.integers(1, 5), rng.integers(1, 5)))
        if not m.any():
            continue
        terms = bounded_matrix_terms(m, limit=1)
        assert (sum(np.outer(x, y) for x, y in terms) == m).all()
        assert all(np.abs(x).max() <= 1 and np.abs(y).max() <= 1 for x, y in terms)
        assert len(terms) >= matrix_rank(m, mod2=False)


def test_an_entry_beyond_the_limit_costs_a_term_more():
    unit = np.zeros((4, 4, 4), dtype=np.int64)
    unit[1, 2, 3] = 2
    assert rank_bound(unit, mod2=False) == 1
    assert rank_bound(unit, mod2=False, limit=1) == 2
    terms = residual_terms(unit, mod2=False, limit=1)
    assert len(terms) == 2 and np.abs(terms).max() == 1
    assert (_sum(terms, ActionSpace.make((4, 4, 4), (-1, 0, 1)), False) == unit).all()


def test_zt_completions_are_zt_schemes():
    """Ring zt's residual terms stay in {-1, 0, 1} (they would often leave it
    unbounded), are exactly as many as the bound charged, and sum to the
    residual; whole games complete to schemes that verify over zt."""
    rng = np.random.default_rng(0)
    fmt = Format(2, 2, 2)
    T = fmt.tensor()
    zt = ActionSpace.make((4, 4, 4), (-1, 0, 1), entry_limit=1)
    left_unbounded = 0
    for _ in range(150):
        moves = rng.integers(-1, 2, size=(rng.integers(1, 4), zt.length))
        moves = moves[zt.legal(moves)]
        residual = T.copy()
        for m in moves:
            residual = apply(residual[None], m[None], zt)[0]
        terms = residual_terms(residual, mod2=False, limit=1)
        left_unbounded += np.abs(residual_terms(residual, mod2=False)).max() > 1
        assert np.abs(terms).max() <= 1
        assert len(terms) == rank_bound(residual, mod2=False, limit=1)
        assert (_sum(terms, zt, False) == residual).all()
        scheme_terms, _ = best_completion(T, list(moves), zt)
        assert Scheme(fmt, *zt.factors(scheme_terms), ring=Ring.ZT).verify().ok
    assert left_unbounded > 50


def test_moves_cannot_exceed_the_entry_limit():
    with pytest.raises(DecompError, match="exceed the entry limit 1"):
        ActionSpace.make((4, 4, 4), (-2, -1, 0, 1, 2), entry_limit=1)
