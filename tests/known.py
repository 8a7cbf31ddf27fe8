"""Classical schemes for the tests (kept in the package, where the benches use them too),
and the term-list helpers the exact-split tests share."""

import numpy as np

from decomp.core.classical import LADERMAN, STRASSEN
from decomp.core.render import parse_algorithm

__all__ = ["LADERMAN", "STRASSEN", "strassen_terms", "tensor_of_terms"]


def tensor_of_terms(terms, shape):
    """The tensor sum of (k, a+b+c) factor triples."""
    u, v, w = np.split(np.asarray(terms, dtype=np.int64), np.cumsum(shape[:2]), axis=1)
    return np.einsum("ni,nj,nk->ijk", u, v, w)


def strassen_terms():
    """Strassen's 7 terms as (7, 12) factor triples over the integers."""
    s = parse_algorithm("2x2x2", STRASSEN)
    return np.concatenate([np.asarray(f, dtype=np.int64).T for f in s.factors], axis=1)
