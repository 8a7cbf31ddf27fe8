"""Exact splits with one term more than Jennrich's algorithm takes (solvers/rl/peel.py)."""

import itertools

import numpy as np
from known import strassen_terms, tensor_of_terms

from decomp.core.formats import Format
from decomp.solvers.rl.completion import residual_terms, split_values
from decomp.solvers.rl.game import rank_bound, slice_bound
from decomp.solvers.rl.jennrich import flattening_ranks, jennrich_terms
from decomp.solvers.rl.peel import directions, exact_terms, may_peel, peeled_terms

SHAPE = (4, 4, 4)


def _left(played):
    return Format(2, 2, 2).tensor() - tensor_of_terms(strassen_terms()[list(played)], SHAPE)


def test_directions_are_the_primitive_small_vectors_up_to_sign():
    d = directions(4)
    assert len(d) == 40                      # (3^4 - 1) / 2, all primitive with entries in {-1, 0, 1}
    assert len({tuple(x) for x in d} | {tuple(-x) for x in d}) == 80


def test_strassen_residuals_with_four_terms_left_all_complete_in_four():
    jennrich_alone = 0
    for played in itertools.combinations(range(7), 3):
        left = _left(played)
        jennrich_alone += jennrich_terms(left) is not None
        out = exact_terms(left)
        assert out is not None and len(out) == 4
        assert np.array_equal(tensor_of_terms(out, SHAPE), left)
        assert rank_bound(left, mod2=False) == 4
        assert np.array_equal(tensor_of_terms(residual_terms(left, mod2=False), SHAPE), left)
    # 18 of the 35 have only one mode of independent factors: Jennrich cannot, peeling can
    assert jennrich_alone == 17


def test_strassen_residuals_with_five_terms_left_complete_in_five():
    for played in itertools.combinations(range(7), 2):
        left = _left(played)
        assert max(flattening_ranks(left)) == 4 and jennrich_terms(left) is None
        out = peeled_terms(left)
        assert out is not None and len(out) == 5 and np.array_equal(tensor_of_terms(out, SHAPE), left)
        assert rank_bound(left, mod2=False) == 5 < slice_bound(left, mod2=False)
    # with six left there is no split of six terms
    assert all(peeled_terms(_left([i])) is None for i in range(7))


def test_terms_coplanar_with_the_peeled_one_are_resolved():
    # Peeling (a11 + a22)(b11 + b22)(c11 + c22) from these five, the others pair up
    # in every mode (w6 + w7 = w1 and the like): the pencil has two repeated
    # eigenvalues and the peeled term's scale between the two pairs is found by
    # guessing its u as well.
    left = _left((1, 3))
    out = peeled_terms(left)
    assert out is not None and len(out) == 5 and np.array_equal(tensor_of_terms(out, SHAPE), left)


def test_random_terms_with_one_more_than_the_dimension_are_recovered():
    rng = np.random.default_rng(1)
    D = directions(4)
    recovered = tried = 0
    for _ in range(60):
        terms = rng.integers(-1, 2, size=(5, 12))
        terms[0, 8:] = D[rng.integers(len(D))]          # one term along a guessable direction
        if not all(t[:4].any() and t[4:8].any() and t[8:].any() for t in terms):
            continue
        S = tensor_of_terms(terms, SHAPE)
        if max(flattening_ranks(S)) != 4 or jennrich_terms(S) is not None:
            continue
        tried += 1
        out = peeled_terms(S)
        if out is not None:
            recovered += 1
            assert len(out) == 5 and np.array_equal(tensor_of_terms(out, SHAPE), S)
    assert tried >= 30 and recovered >= 0.6 * tried


def test_the_pretest_never_rules_out_a_residual_that_peels():
    rng = np.random.default_rng(2)
    cases = [_left(p) for p in itertools.combinations(range(7), 2)]
    for _ in range(40):
        terms = rng.integers(-1, 2, size=(5, 12))
        cases.append(tensor_of_terms(terms, SHAPE))
    cases = np.array(cases)
    maybe = may_peel(cases)
    peels = np.array([peeled_terms(c) is not None for c in cases])
    assert peels.sum() >= 12
    assert not (peels & ~maybe).any()


def test_split_values_count_peeled_terms_within_the_goal():
    five, six = _left((0, 1)), _left((1,))
    v = split_values(np.array([five, six, five]), np.array([2, 1, 3]), complete_at=7)
    assert v[0] == -5                        # 2 moves + 5 terms = 7
    assert np.isnan(v[1])                    # six terms left: no peeled split
    assert np.isnan(v[2])                    # 3 + 5 > 7


def test_the_caller_cannot_change_the_cache():
    left = _left((0, 1))
    out = peeled_terms(left)
    out[:] = 0
    assert np.array_equal(tensor_of_terms(peeled_terms(left), SHAPE), left)
