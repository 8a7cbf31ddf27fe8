"""Actions of the TensorGame as token sequences.

An action is one factor triple (u, v, w) written as a single integer vector
of length a+b+c (u, then v, then w) with entries in a coefficient set F.
The policy emits it autoregressively as tokens: the vector is cut into
chunks of `chunk` entries and each chunk is one token, a base-|F| number
(AlphaTensor's trick: a vocabulary of |F|^chunk per token instead of a flat
|F|^(a+b+c) action space, which for 3x3x3 over {-2..2} would be 5^27).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...core.errors import DecompError
from ...core.rings import Ring

# Largest token vocabulary the automatic chunk size allows: bigger chunks
# mean fewer decoding steps, but a softmax over more classes to learn.
MAX_VOCAB = 128


def default_coefficients(ring: Ring) -> tuple[int, ...]:
    """AlphaTensor's sets: {0,1} mod 2, {-2,...,2} over the integers."""
    if ring is Ring.GF2:
        return (0, 1)
    if ring is Ring.ZT:
        return (-1, 0, 1)
    return (-2, -1, 0, 1, 2)


@dataclass(frozen=True)
class ActionSpace:
    """Factor triples for a tensor of shape (a, b, c) with entries in F."""

    shape: tuple[int, int, int]
    coefficients: tuple[int, ...]
    chunk: int
    # The largest |entry| any term of a scheme may have (ring zt: 1), None
    # for no bound. Moves stay in F; terms that complete a residual
    # (completion.py) may leave F, but never this bound, or verification
    # would reject the scheme.
    entry_limit: int | None = None

    @classmethod
    def make(cls, shape, coefficients, chunk: int | None = None, entry_limit: int | None = None) -> "ActionSpace":
        coefficients = tuple(sorted({int(x) for x in coefficients}))
        if 0 not in coefficients or len(coefficients) < 2:
            raise DecompError(f"the coefficient set must contain 0 and a nonzero value, got {list(coefficients)}")
        length = int(sum(shape))
        if chunk is None:
            chunk = 1
            while len(coefficients) ** (chunk + 1) <= MAX_VOCAB and chunk < length:
                chunk += 1
        if not 1 <= chunk <= length:
            raise DecompError(f"token chunk must be between 1 and {length}, got {chunk}")
        if entry_limit is not None and entry_limit < max(abs(c) for c in coefficients):
            raise DecompError(f"moves with entries {list(coefficients)} exceed the entry limit {entry_limit}")
        return cls(tuple(int(s) for s in shape), coefficients, int(chunk),
                   None if entry_limit is None else int(entry_limit))

    @property
    def length(self) -> int:
        return sum(self.shape)

    @property
    def n_tokens(self) -> int:
        return -(-self.length // self.chunk)

    @property
    def vocab(self) -> int:
        return len(self.coefficients) ** self.chunk

    @property
    def mod2(self) -> bool:
        return self.coefficients == (0, 1)

    def _digits(self) -> np.ndarray:
        return len(self.coefficients) ** np.arange(self.chunk - 1, -1, -1, dtype=np.int64)

    def encode(self, actions: np.ndarray) -> np.ndarray:
        """(N, length) factor vectors -> (N, n_tokens) token ids."""
        actions = np.asarray(actions, dtype=np.int64)
        lut = {c: i for i, c in enumerate(self.coefficients)}
        idx = np.vectorize(lambda x: lut.get(int(x), -1), otypes=[np.int64])(actions) if actions.size else actions
        if actions.size and (idx < 0).any():
            bad = sorted({int(x) for x in actions[idx < 0]})
            raise DecompError(f"action entries {bad} are outside the coefficient set {list(self.coefficients)}")
        pad = self.n_tokens * self.chunk - self.length
        zero = lut[0]
        idx = np.concatenate([idx, np.full((idx.shape[0], pad), zero, dtype=np.int64)], axis=1)
        return idx.reshape(-1, self.n_tokens, self.chunk) @ self._digits()

    def decode(self, tokens: np.ndarray) -> np.ndarray:
        """(N, n_tokens) token ids -> (N, length) factor vectors."""
        tokens = np.asarray(tokens, dtype=np.int64)
        if tokens.size and (tokens.min() < 0 or tokens.max() >= self.vocab):
            raise DecompError(f"token ids must lie in [0, {self.vocab})")
        digits = (tokens[..., None] // self._digits()) % len(self.coefficients)
        flat = digits.reshape(tokens.shape[0], -1)[:, : self.length]
        return np.asarray(self.coefficients, dtype=np.int64)[flat]

    def split(self, actions: np.ndarray):
        """(..., length) -> u (..., a), v (..., b), w (..., c)."""
        a, b, _ = self.shape
        return actions[..., :a], actions[..., a:a + b], actions[..., a + b:]

    def factors(self, moves: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(r, length) moves -> a scheme's U (a, r), V (b, r), W (c, r)."""
        moves = np.asarray(moves, dtype=np.int64).reshape(-1, self.length)
        return tuple(np.ascontiguousarray(part.T) for part in self.split(moves))

    def legal(self, actions: np.ndarray) -> np.ndarray:
        """(N, length) -> bool (N,): entries in F and u, v, w all nonzero."""
        actions = np.asarray(actions, dtype=np.int64)
        in_set = np.isin(actions, self.coefficients).all(axis=1)
        nonzero = np.ones(actions.shape[0], dtype=bool)
        for part in self.split(actions):
            nonzero &= (part != 0).any(axis=1)
        return in_set & nonzero

    def canonical(self, actions: np.ndarray) -> np.ndarray:
        """Canonical signs: u (x) v (x) w = (-u) (x) (-v) (x) w = ..., so make
        the first nonzero entry of u and of v positive, moving signs to w.
        Halves the equivalent actions the policy has to spread mass over
        (a quarter, counting both sign flips)."""
        out = np.array(actions, dtype=np.int64, copy=True)
        if self.mod2 or out.size == 0:
            return out
        a, b, _ = self.shape
        for lo, hi in ((0, a), (a, a + b)):
            part = out[:, lo:hi]
            first = np.argmax(part != 0, axis=1)
            sign = np.sign(part[np.arange(len(out)), first])
            sign[sign == 0] = 1
            flip = sign < 0
            out[flip, lo:hi] *= -1
            out[flip, a + b:] *= -1
        # A sign moved onto w may leave F when F is asymmetric: keep the original then.
        ok = np.isin(out, self.coefficients).all(axis=1)
        out[~ok] = np.asarray(actions, dtype=np.int64)[~ok]
        return out
