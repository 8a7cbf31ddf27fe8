"""The exact GF(2) endgame (solvers/rl/span_split.py): span splits of
residuals and their one-term extension, checked against Strassen's scheme
mod 2 and random low-rank tensors."""

import itertools

import numpy as np

from decomp.core.formats import Format
from decomp.core.rings import matrix_rank
from decomp.solvers.rl.completion import residual_terms
from decomp.solvers.rl.game import rank_bound, slice_bound
from decomp.solvers.rl.span_split import (_rank_one_or_zero, _rank_one_or_zero_by_rows, flattening_ranks, gf2_terms,
                                          peeled_span_terms, span_terms)

from known import strassen_terms, tensor_of_terms

SHAPE = (4, 4, 4)


def _mod2(terms):
    return tensor_of_terms(terms, SHAPE) % 2


def test_every_strassen_residual_up_to_five_terms_splits_mod_2():
    terms = strassen_terms() % 2
    for k in (2, 3, 4, 5):
        for kept in itertools.combinations(range(7), k):
            left = _mod2(terms[list(kept)])
            split = span_terms(left)
            if k <= 4:                       # slice span of dimension k, spanned by rank-one elements
                assert split is not None and len(split) == k
            else:                            # five terms, flattening ranks at most 4: one must be peeled
                assert split is None
                split = gf2_terms(left)
                assert split is not None and len(split) == 5
            assert np.array_equal(_mod2(split), left)
            assert set(np.unique(split)) <= {0, 1}
            assert rank_bound(left, mod2=True) == k <= slice_bound(left, mod2=True)
            assert k == 2 or k < slice_bound(left, mod2=True)     # slice terms alone never reach it
            assert np.array_equal(_mod2(residual_terms(left, mod2=True)), left)


def test_six_terms_and_the_whole_tensor_are_refused():
    """One term is peeled, never two: six Strassen terms, or <2,2,2> itself
    (rank 7 mod 2, flattening ranks 4), keep their slice terms."""
    terms = strassen_terms() % 2
    for kept in itertools.combinations(range(7), 6):
        left = _mod2(terms[list(kept)])
        assert gf2_terms(left) is None
        assert rank_bound(left, mod2=True) == slice_bound(left, mod2=True)
    T = Format(2, 2, 2).tensor() % 2
    assert gf2_terms(T) is None and rank_bound(T, mod2=True) == 8


def test_random_terms_with_independent_first_factors_are_recovered():
    rng = np.random.default_rng(1)
    found = 0
    for _ in range(200):
        r = int(rng.integers(2, 5))
        u = rng.integers(0, 2, size=(r, 4))
        if matrix_rank(u, mod2=True) < r:
            continue
        vw = rng.integers(0, 2, size=(r, 8))
        if not (vw[:, :4].any(axis=1) & vw[:, 4:].any(axis=1)).all():
            continue
        S = _mod2(np.concatenate([u, vw], axis=1))
        split = span_terms(S)
        # the span test is exhaustive: r independent u's always split (r can
        # only drop when the terms are not a shortest decomposition)
        assert split is not None and len(split) <= r and np.array_equal(_mod2(split), S)
        found += 1
    assert found > 60


def test_a_peel_finds_a_term_added_to_a_span_split():
    rng = np.random.default_rng(2)
    tried = 0
    for _ in range(400):
        terms = rng.integers(0, 2, size=(5, 12))
        if not all(t[:4].any() and t[4:8].any() and t[8:].any() for t in terms):
            continue
        if matrix_rank(terms[1:, :4], mod2=True) < 4:
            continue
        S = _mod2(terms)
        if span_terms(S) is not None:            # a shorter or span split exists: nothing to peel
            continue
        split = peeled_span_terms(S)
        assert split is not None and len(split) <= 5 and np.array_equal(_mod2(split), S)
        tried += 1
    assert tried > 10


def test_rank_one_table_agrees_with_the_row_test():
    masks = np.arange(1 << 16, dtype=np.int64)
    assert np.array_equal(_rank_one_or_zero(masks, 4, 4), _rank_one_or_zero_by_rows(masks, 4, 4))
    # a 4x4 matrix of rank one, and one of rank two
    one = np.outer([1, 0, 1, 0], [0, 1, 1, 0]).ravel()
    two = (np.outer([1, 0, 0, 0], [1, 0, 0, 0]) + np.outer([0, 1, 0, 0], [0, 1, 0, 0])).ravel()
    bits = 1 << np.arange(15, -1, -1)
    assert _rank_one_or_zero(np.array([one @ bits]), 4, 4)[0]
    assert not _rank_one_or_zero(np.array([two @ bits]), 4, 4)[0]


def test_flattening_ranks_of_known_tensors():
    assert flattening_ranks(Format(2, 2, 2).tensor()) == [4, 4, 4]
    one = np.einsum("i,j,k->ijk", [1, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0, 1])
    assert flattening_ranks(one) == [1, 1, 1]
    # two terms with independent factors in every mode; 2 * e (x) e (x) e vanishes mod 2
    two = one + np.einsum("i,j,k->ijk", [0, 1, 0], [1, 0, 0, 0], [0, 0, 0, 1, 0])
    assert flattening_ranks(two) == [2, 2, 2]
    assert flattening_ranks(2 * two) == [0, 0, 0]
