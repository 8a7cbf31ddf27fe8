import numpy as np
import pytest

from decomp.core.errors import FormatError
from decomp.core.formats import Format


@pytest.mark.parametrize("text", ["3x4x5", "3,4,5", "<3,4,5>", " < 3 , 4 , 5 > ", "3X4X5"])
def test_parse_spellings(text):
    assert Format.parse(text) == Format(3, 4, 5)


@pytest.mark.parametrize("text,msg", [("2x2", "malformed"), ("0x2x2", ">= 1"), ("axbxc", "malformed"),
                                      ("2x2x2x2", "malformed"), ("", "malformed"), ("99x2x2", "too large")])
def test_parse_errors(text, msg):
    with pytest.raises(FormatError, match=msg):
        Format.parse(text)


def test_tensor_convention():
    f = Format(2, 3, 4)
    t = f.tensor()
    assert t.shape == (6, 12, 8)
    assert t.sum() == 24
    # T[i*m+j, j*p+k, k*n+i] = 1
    for i in range(2):
        for j in range(3):
            for k in range(4):
                assert t[i * 3 + j, j * 4 + k, k * 2 + i] == 1
    dense_from_sparse = np.zeros_like(t)
    a, b, c = f.ones.T
    dense_from_sparse[a, b, c] = 1
    assert (dense_from_sparse == t).all()


def test_lower_bound_and_naive():
    f = Format(2, 3, 4)
    assert f.rank_lower_bound == 12
    assert f.naive_rank == 24
    assert str(f) == "2x3x4"
