"""Schemes as GF(2) bit masks and back: the layout every GF(2) kernel works
on (words.py: one uint64 per factor, or several when a factor has more than
64 entries)."""

from __future__ import annotations

import numpy as np

from ...core.formats import Format
from ...core.rings import Ring
from ...core.scheme import Scheme
from .words import WORD_BITS, empty_factors, words_for


def to_bits(s: Scheme, capacity: int, words: int | None = None) -> np.ndarray:
    """Factors as bit masks: F[mode, t] is one uint64 when every factor fits
    in 64 bits, else F[mode, t, :] holds the words (or as many words as
    asked); bit q is row q of U/V/W column t. Columns past the rank are zero."""
    words = words or words_for(max(s.fmt.shape))
    F = empty_factors(3, capacity, words)
    for mode, mat in enumerate(s.as_ring(Ring.GF2).factors):
        bits = np.asarray(mat, dtype=np.uint8) & 1
        rows = bits.shape[0]
        padded = np.zeros((WORD_BITS * words, s.rank), dtype=np.uint64)
        padded[:rows] = bits
        weights = np.left_shift(np.uint64(1), np.arange(WORD_BITS, dtype=np.uint64))
        packed = (padded.reshape(words, WORD_BITS, s.rank) * weights[None, :, None]).sum(axis=1, dtype=np.uint64)
        F[mode, : s.rank] = packed[0] if words == 1 else packed.T
    return F


def from_bits(F: np.ndarray, r: int, fmt: Format, provenance: dict) -> Scheme:
    """The GF(2) scheme of the first r terms of F (not verified here: the
    caller verifies what leaves its solver)."""
    mats = []
    shifts = np.arange(WORD_BITS, dtype=np.uint64)
    for mode, rows in enumerate(fmt.shape):
        cols = F[mode, :r].reshape(r, -1)  # (terms, words)
        bits = (cols[:, :, None] >> shifts) & np.uint64(1)  # (terms, words, 64)
        mats.append(bits.reshape(r, -1)[:, :rows].T.astype(np.int64))
    return Scheme(fmt, *mats, ring=Ring.GF2, provenance=provenance)
