"""Checkpoints: weights and optimizer state in safetensors (never pickle),
the configuration and counters in JSON beside them, the replay buffer as a
plain npz read with allow_pickle=False.

Every file is written atomically and config.json last, so an interrupted
save leaves the previous checkpoint readable: a reader only trusts the
files config.json names, with the sizes it records.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ...core.errors import DecompError
from ...core.files import atomic_write_bytes

SCHEMA = "decomp.rl-checkpoint/1"
CONFIG = "config.json"
FILES = ("model.safetensors", "optimizer.safetensors", "buffer.npz")


class CheckpointError(DecompError):
    pass


def _optimizer_tensors(optimizer) -> dict:
    """Adam's per-parameter state as flat named tensors (safetensors has no nesting)."""
    import torch

    out = {}
    state = optimizer.state_dict()["state"]
    for idx, st in state.items():
        for name, value in st.items():
            t = value if torch.is_tensor(value) else torch.tensor(value)
            out[f"{idx}.{name}"] = t.detach().cpu().contiguous()
    return out


def _load_optimizer(optimizer, tensors: dict) -> None:
    sd = optimizer.state_dict()
    state: dict = {}
    for key, value in tensors.items():
        idx, name = key.split(".", 1)
        state.setdefault(int(idx), {})[name] = value
    sd["state"] = state
    optimizer.load_state_dict(sd)


def save(directory, model, optimizer, meta: dict, buffer: dict, torch_rng) -> Path:
    import torch
    from safetensors.torch import save as st_save

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    files = {
        "model.safetensors": st_save({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}),
        "optimizer.safetensors": st_save(dict(_optimizer_tensors(optimizer),
                                              **{"__torch_rng__": torch_rng.to(torch.uint8)})),
    }
    buf = _npz_bytes(buffer)
    files["buffer.npz"] = buf
    for name, data in files.items():
        atomic_write_bytes(d / name, data)
    meta = dict(meta, schema=SCHEMA, files={name: len(data) for name, data in files.items()})
    atomic_write_bytes(d / CONFIG, (json.dumps(meta, indent=1) + "\n").encode())
    return d


def _npz_bytes(arrays: dict) -> bytes:
    import io

    out = io.BytesIO()
    np.savez_compressed(out, **{k: np.asarray(v) for k, v in arrays.items()})
    return out.getvalue()


def read_meta(directory) -> dict:
    d = Path(directory)
    path = d / CONFIG
    if not d.is_dir():
        raise CheckpointError(f"checkpoint {d} does not exist (train one with: decomp train --out {d})")
    if not path.is_file():
        raise CheckpointError(f"{d} is not a checkpoint: {CONFIG} is missing")
    try:
        meta = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"checkpoint {path} is corrupt: {exc}") from None
    if not isinstance(meta, dict) or meta.get("schema") != SCHEMA:
        raise CheckpointError(f"{path} is not a {SCHEMA} file")
    files = meta.get("files")
    if not isinstance(files, dict):
        raise CheckpointError(f"{path} names no files")
    if set(files) != set(FILES):
        raise CheckpointError(f"{path} must name exactly the files {', '.join(FILES)}")
    for name, size in files.items():
        f = d / str(name)
        if not f.is_file() or f.stat().st_size != size:
            raise CheckpointError(f"checkpoint {d} is incomplete or corrupt: {name} is missing or has the wrong size")
    return meta


def load(directory, model, optimizer):
    """Load weights and optimizer state; returns (meta, buffer dict, torch rng state)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    d = Path(directory)
    meta = read_meta(d)
    try:
        weights = load_file(str(d / "model.safetensors"))
        opt = load_file(str(d / "optimizer.safetensors"))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"checkpoint {d} is corrupt: {exc}") from None
    try:
        model.load_state_dict(weights, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise CheckpointError(f"checkpoint {d} does not fit this network: {first}") from None
    rng = opt.pop("__torch_rng__", None)
    if optimizer is not None:
        try:
            _load_optimizer(optimizer, opt)
        except (ValueError, KeyError, RuntimeError) as exc:
            raise CheckpointError(f"checkpoint {d}: optimizer state does not fit: {exc}") from None
    try:
        with np.load(d / "buffer.npz", allow_pickle=False) as z:
            buffer = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError) as exc:
        raise CheckpointError(f"checkpoint {d}: replay buffer is corrupt: {exc}") from None
    return meta, buffer, rng
