"""Training data without any known scheme, and the augmentations.

Synthetic demonstrations (AlphaTensor): draw r random factor triples, sum
them into a tensor, and the game on that tensor has a known r-move answer.
Played backwards, every state is a sum of the remaining factors, and
*any* of them is a correct next move (the swapping augmentation), so the
target action is drawn among the remaining ones. The value target is -r.

Change of basis: a game on T and a game on (P, Q, R) . T are the same
game, with every move mapped by u -> P u, v -> Q v, w -> R w. P, Q, R are
signed permutations (plain permutations over GF(2)): they keep moves inside
the coefficient set and keep sparse tensors sparse. A general invertible
basis is just as valid, but turns the sparse <n,m,p> into a dense tensor that
a network of our size cannot read: on 2x2x2 over GF(2), after 1500 training
steps, two rounds of 8 games cleared the tensor in 1 of 16 games from dense
bases and in 5 of 16 from permuted ones.
"""

from __future__ import annotations

import numpy as np

from .actions import ActionSpace


def random_actions(rng: np.random.Generator, n: int, space: ActionSpace) -> np.ndarray:
    """(n, length) random legal actions, sparse like real schemes' factors:
    each sample draws its own density, nonzero entries are mostly +-1."""
    coeffs = np.asarray(space.coefficients)
    nonzero = coeffs[coeffs != 0]
    weights = np.where(np.abs(nonzero) == 1, 1.0, 0.15)
    weights = weights / weights.sum()
    density = rng.uniform(0.15, 0.6, size=(n, 1))
    mask = rng.random((n, space.length)) < density
    values = rng.choice(nonzero, size=(n, space.length), p=weights)
    out = np.where(mask, values, 0)
    # u, v and w must each be nonzero: give an empty part one random entry.
    start = 0
    for size in space.shape:
        part = out[:, start:start + size]
        empty = ~part.any(axis=1)
        if empty.any():
            cols = rng.integers(0, size, size=int(empty.sum()))
            part[np.flatnonzero(empty), cols] = rng.choice(nonzero, size=int(empty.sum()), p=weights)
        start += size
    return space.canonical(out)


def synthetic_batch(rng: np.random.Generator, space: ActionSpace, n: int, max_rank: int,
                    max_moves: int, history: int) -> dict:
    """n supervised states: residual = sum of r random terms (1 <= r <= max_rank)."""
    ranks = rng.integers(1, max_rank + 1, size=n)
    terms = random_actions(rng, n * max_rank, space).reshape(n, max_rank, space.length)
    keep = np.arange(max_rank)[None, :] < ranks[:, None]
    u, v, w = space.split(terms * keep[..., None])
    residual = np.einsum("nri,nrj,nrk->nijk", u, v, w)
    if space.mod2:
        residual %= 2
    pick = (rng.random(n) * ranks).astype(np.int64)
    action = terms[np.arange(n), pick]
    # A plausible past: the moves before were other random terms.
    past = random_actions(rng, n * history, space).reshape(n, history, space.length)
    depth = (rng.random(n) * np.maximum(1, max_moves - ranks + 1)).astype(np.int64)
    past[np.arange(history)[None, :] >= depth[:, None]] = 0
    return {"residual": residual, "depth": depth, "history": past, "action": action,
            "value": -ranks.astype(np.float64)}


# --------------------------------------------------------- change of basis
def random_bases(rng: np.random.Generator, space: ActionSpace) -> list[np.ndarray]:
    """Three random basis changes, one per mode, each (size, size) int."""
    return [_random_basis(rng, size, space) for size in space.shape]


def _random_basis(rng, size: int, space: ActionSpace) -> np.ndarray:
    perm = np.eye(size, dtype=np.int64)[rng.permutation(size)]
    symmetric = not space.mod2 and all(-c in space.coefficients for c in space.coefficients)
    signs = rng.choice([-1, 1], size=size) if symmetric else np.ones(size, dtype=np.int64)
    return perm * signs[:, None]


def inverse_basis(m: np.ndarray) -> np.ndarray:
    """Inverse of a basis change from random_bases: a signed permutation's transpose."""
    return np.asarray(m).T.copy()


def transform_tensor(tensor: np.ndarray, bases, mod2: bool) -> np.ndarray:
    """(..., a, b, c) -> the same tensors in the new bases."""
    P, Q, R = bases
    out = np.einsum("ia,jb,kc,...abc->...ijk", P, Q, R, tensor)
    return out % 2 if mod2 else out


def transform_actions(actions: np.ndarray, bases, space: ActionSpace) -> np.ndarray:
    """(..., length) moves -> the same moves in the new bases."""
    parts = [part @ M.T for part, M in zip(space.split(np.asarray(actions, dtype=np.int64)), bases)]
    out = np.concatenate(parts, axis=-1)
    if space.mod2:
        out %= 2
    return out


def augment(rng: np.random.Generator, batch: dict, space: ActionSpace) -> dict:
    """Each sample in its own random basis (the value is unchanged)."""
    out = {k: np.array(v, copy=True) for k, v in batch.items()}
    for i in range(len(out["residual"])):
        bases = random_bases(rng, space)
        out["residual"][i] = transform_tensor(out["residual"][i], bases, space.mod2)
        out["action"][i] = transform_actions(out["action"][i], bases, space)
        hist = out["history"][i]
        live = hist.any(axis=1)
        hist[live] = transform_actions(hist[live], bases, space)
    out["action"] = space.canonical(out["action"])
    return out
