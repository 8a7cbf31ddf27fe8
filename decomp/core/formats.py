"""Matrix multiplication formats <n,m,p> and their tensors.

Convention (AlphaTensor's and the fmm catalogue's, used everywhere here):
T[i*m + j, j*p + k, k*n + i] = 1 for A (n x m), B (m x p), C = A B (n x p).
The third mode indexes C transposed: W row k*n + i is C[i, k].
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .errors import FormatError

# Dense tensors beyond this many entries are refused: every caller that wants
# one (verifier fallbacks, ALS) would run out of memory anyway.
MAX_DIM = 64

_PATTERN = re.compile(r"^\s*<?\s*(\d+)\s*[x,X×*]\s*(\d+)\s*[x,X×*]\s*(\d+)\s*>?\s*$")


@dataclass(frozen=True, order=True)
class Format:
    """The format <n,m,p>: A is n x m, B is m x p, C = A B is n x p."""

    n: int
    m: int
    p: int

    def __post_init__(self) -> None:
        for name, value in (("n", self.n), ("m", self.m), ("p", self.p)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise FormatError(f"format dimension {name} must be an integer, got {value!r}")
            if value < 1:
                raise FormatError(f"format dimensions must be >= 1, got <{self.n},{self.m},{self.p}>")
            if value > MAX_DIM:
                raise FormatError(
                    f"format <{self.n},{self.m},{self.p}> is too large (each dimension <= {MAX_DIM})"
                )
        object.__setattr__(self, "n", int(self.n))
        object.__setattr__(self, "m", int(self.m))
        object.__setattr__(self, "p", int(self.p))

    @classmethod
    def parse(cls, text: "str | Format | tuple[int, int, int]") -> "Format":
        """Parse '3x4x5', '3,4,5', '<3,4,5>' (or pass a Format / tuple through)."""
        if isinstance(text, Format):
            return text
        if isinstance(text, (tuple, list)):
            if len(text) != 3:
                raise FormatError(f"a format has three dimensions, got {list(text)}")
            return cls(*text)
        if not isinstance(text, str):
            raise FormatError(f"cannot read a format from {text!r}")
        match = _PATTERN.match(text)
        if not match:
            raise FormatError(
                f"malformed format {text!r}: write it as NxMxP, e.g. 3x4x5 (or 3,4,5 or <3,4,5>)"
            )
        return cls(*(int(g) for g in match.groups()))

    def __str__(self) -> str:
        return f"{self.n}x{self.m}x{self.p}"

    @property
    def dims(self) -> tuple[int, int, int]:
        return (self.n, self.m, self.p)

    @property
    def shape(self) -> tuple[int, int, int]:
        """Tensor shape (n*m, m*p, p*n): rows of U, V and W."""
        return (self.n * self.m, self.m * self.p, self.p * self.n)

    @property
    def naive_rank(self) -> int:
        return self.n * self.m * self.p

    @property
    def rank_lower_bound(self) -> int:
        """Largest flattening rank: no scheme can have fewer terms than this."""
        return max(self.shape)

    def lower_bound(self, ring) -> int:
        """The same over every ring: the flattenings are 0/1 matrices with one
        1 per column, of full rank in every field."""
        return self.rank_lower_bound

    @cached_property
    def ones(self) -> np.ndarray:
        """The n*m*p nonzero positions of T as an int64 array of shape (nmp, 3)."""
        n, m, p = self.dims
        i, j, k = np.meshgrid(np.arange(n), np.arange(m), np.arange(p), indexing="ij")
        out = np.stack([i * m + j, j * p + k, k * n + i], axis=-1).reshape(-1, 3)
        out.setflags(write=False)
        return out

    def tensor(self, dtype=np.int64) -> np.ndarray:
        """Dense T of shape (n*m, m*p, p*n)."""
        t = np.zeros(self.shape, dtype=dtype)
        a, b, c = self.ones.T
        t[a, b, c] = 1
        return t

    def naive_factors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The standard algorithm: one product A[i,j] B[j,k] per (i,j,k)."""
        rank = self.naive_rank
        mats = []
        for mode in range(3):
            f = np.zeros((self.shape[mode], rank), dtype=np.int64)
            f[self.ones[:, mode], np.arange(rank)] = 1
            mats.append(f)
        return mats[0], mats[1], mats[2]

    # Names of the matrix entries each factor row stands for (1-based, as in papers).
    def entry_names(self) -> tuple[list[str], list[str], list[str]]:
        n, m, p = self.dims
        big = max(n, m, p) > 9

        def name(letter: str, r: int, c: int) -> str:
            return f"{letter}[{r + 1},{c + 1}]" if big else f"{letter}{r + 1}{c + 1}"

        a = [name("A", i, j) for i in range(n) for j in range(m)]
        b = [name("B", j, k) for j in range(m) for k in range(p)]
        # W row k*n+i stands for C[i,k] (the tensor computes C transposed).
        c = [name("C", i, k) for k in range(p) for i in range(n)]
        return a, b, c
