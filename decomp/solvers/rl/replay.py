"""Replay buffer of played positions: a ring of fixed-size integer arrays,
so it saves to and loads from a plain npz."""

from __future__ import annotations

import numpy as np

from ...core.errors import DecompError
from .actions import ActionSpace

FIELDS = ("residual", "depth", "history", "action", "value")


class ReplayBuffer:
    def __init__(self, capacity: int, space: ActionSpace, history: int):
        self.capacity, self.space, self.history = int(capacity), space, int(history)
        L = space.length
        self.data = {
            "residual": np.zeros((self.capacity,) + space.shape, dtype=np.int16),
            "depth": np.zeros(self.capacity, dtype=np.int64),
            "history": np.zeros((self.capacity, self.history, L), dtype=np.int8),
            "action": np.zeros((self.capacity, L), dtype=np.int8),
            "value": np.zeros(self.capacity, dtype=np.float64),
        }
        self.size = 0
        self.next = 0

    def __len__(self) -> int:
        return self.size

    def add(self, residual, depth, history, action, value) -> None:
        # Residual entries start small and move by at most max|F|^3 a move;
        # int16 holds any reachable game, the clip only guards the cast.
        i = self.next
        self.data["residual"][i] = np.clip(residual, -32767, 32767)
        self.data["depth"][i] = depth
        self.data["history"][i] = history
        self.data["action"][i] = action
        self.data["value"][i] = value
        self.next = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, rng: np.random.Generator, n: int) -> dict:
        idx = rng.integers(0, self.size, size=n)
        return {k: v[idx].astype(np.int64 if k != "value" else np.float64) for k, v in self.data.items()}

    def state(self) -> dict:
        out = {k: v[: self.size] for k, v in self.data.items()}
        out["next"] = np.array([self.next])
        return out

    def restore(self, arrays: dict) -> None:
        try:
            size = len(arrays["residual"])
            if size > self.capacity:
                raise ValueError("more rows than the capacity")
            for k in FIELDS:
                if arrays[k].shape[1:] != self.data[k].shape[1:] or len(arrays[k]) != size:
                    raise ValueError(f"field {k} has shape {arrays[k].shape}")
                self.data[k][:size] = arrays[k]
            self.size = size
            self.next = int(arrays["next"][0]) % self.capacity
        except (KeyError, ValueError, IndexError) as exc:
            raise DecompError(f"replay buffer does not fit this game: {exc}") from None
