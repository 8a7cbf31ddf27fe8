"""Exact low-rank decomposition of integer residuals (solvers/rl/jennrich.py)."""

import itertools

import numpy as np
from known import strassen_terms, tensor_of_terms

from decomp.core.formats import Format
from decomp.solvers.rl.completion import residual_terms
from decomp.solvers.rl.game import rank_bound, slice_bound
from decomp.solvers.rl.jennrich import flattening_ranks, jennrich_terms


def test_random_small_integer_terms_are_recovered_exactly():
    rng = np.random.default_rng(0)
    shape = (4, 5, 6)
    recovered = 0
    for _ in range(40):
        r = int(rng.integers(2, 5))
        terms = rng.integers(-2, 3, size=(r, sum(shape)))
        S = tensor_of_terms(terms, shape)
        if max(flattening_ranks(S)) < r:
            continue                       # degenerate draw: a shorter decomposition exists
        out = jennrich_terms(S)
        if out is None:
            continue
        recovered += 1
        assert len(out) == r
        assert np.array_equal(tensor_of_terms(out, shape), S)
        # the same rank-one terms, in some order (the decomposition is unique)
        assert sorted(tensor_of_terms(t[None], shape).tobytes() for t in out) == \
            sorted(tensor_of_terms(t[None], shape).tobytes() for t in terms)
    assert recovered >= 25


def test_strassen_residuals_four_moves_in_complete_in_three_terms():
    moves = strassen_terms()
    target = Format(2, 2, 2).tensor()
    for played in itertools.combinations(range(7), 4):
        left = target - tensor_of_terms(moves[list(played)], (4, 4, 4))
        out = jennrich_terms(left)
        assert out is not None and len(out) == 3
        assert np.array_equal(tensor_of_terms(out, (4, 4, 4)), left)
        assert rank_bound(left, mod2=False) == 3 < slice_bound(left, mod2=False) or slice_bound(left, False) == 3
        assert len(residual_terms(left, mod2=False)) == 3
        # over GF(2) there is no eigenvalue split, but the span split (span_split.py) finds them
        assert rank_bound(left % 2, mod2=True) == 3 < slice_bound(left % 2, mod2=True)


def test_no_decomposition_where_the_rank_exceeds_the_flattening_ranks():
    T = Format(2, 2, 2).tensor()              # rank 7, flattenings of rank 4
    assert jennrich_terms(T) is None
    assert rank_bound(T, mod2=False) == 8


def test_a_decomposition_that_needs_complex_numbers_is_refused():
    # slices I and a rotation: rank 2 over C, 3 over R, so not two integer terms
    S = np.zeros((2, 2, 2), dtype=np.int64)
    S[:, :, 0] = [[1, 0], [0, 1]]
    S[:, :, 1] = [[0, -1], [1, 0]]
    assert jennrich_terms(S) is None
    assert rank_bound(S, mod2=False) == slice_bound(S, mod2=False) == 4      # two full-rank slices


def test_the_zero_residual_needs_no_terms_and_the_input_is_not_changed():
    assert jennrich_terms(np.zeros((2, 3, 4), dtype=np.int64)).shape == (0, 9)
    S = tensor_of_terms(np.array([[1, -1, 2, 0, 1, 1, 0, 1, -2], [0, 1, 1, 1, 0, 2, 1, 1, 1]]), (2, 3, 4))
    before = S.copy()
    out = jennrich_terms(S)
    out[:] = 0                                # a caller's copy: the cache is not touched
    assert np.array_equal(S, before) and np.array_equal(tensor_of_terms(jennrich_terms(S), (2, 3, 4)), S)


def test_the_batched_pretest_never_rules_out_a_residual_that_splits():
    from decomp.solvers.rl.actions import ActionSpace
    from decomp.solvers.rl.demos import random_actions
    from decomp.solvers.rl.jennrich import may_split

    rng = np.random.default_rng(1)
    space = ActionSpace.make((4, 4, 4), (-2, -1, 0, 1, 2))
    moves = strassen_terms()
    kids = []
    for k in (2, 3, 4):
        base = Format(2, 2, 2).tensor() - tensor_of_terms(moves[:k], (4, 4, 4))
        drawn = np.concatenate([moves[k:], random_actions(rng, 150, space)])
        kids += [base - tensor_of_terms(m[None], (4, 4, 4)) for m in drawn]
    kids = np.array(kids)
    exact = np.array([jennrich_terms(k) is not None for k in kids])
    maybe = may_split(kids)
    assert not (exact & ~maybe).any()
    assert exact.sum() >= 12 and maybe.sum() < len(kids) // 2      # it does rule out most


def test_split_values_are_exact_only_within_the_goal():
    from decomp.solvers.rl.completion import split_values

    moves = strassen_terms()
    four_in = Format(2, 2, 2).tensor() - tensor_of_terms(moves[:4], (4, 4, 4))
    naive = Format(2, 2, 2).tensor()
    values = split_values(np.array([four_in, four_in, naive]), np.array([4, 5, 0]), complete_at=7)
    assert values[0] == -3.0                   # 4 moves + 3 terms = 7
    assert np.isnan(values[1])                 # 5 + 3 > 7
    assert np.isnan(values[2])                 # rank 7 does not split into 4 terms
