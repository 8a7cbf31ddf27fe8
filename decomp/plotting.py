"""Matplotlib set-up shared by every PNG the package writes: headless
backend, a clear error when the optional dependency is missing, atomic
writes."""

from __future__ import annotations

import io

from .core.errors import MissingDependencyError
from .core.files import atomic_write_bytes


def pyplot(option: str):
    """matplotlib.pyplot on the Agg backend; `option` names the CLI flag
    that asked for it, for the error message."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingDependencyError(f"{option} needs matplotlib: pip install 'decomp[plot]'") from None
    return plt


def save_png(fig, path, dpi: int = 120) -> None:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def plot_training(log, path, title: str) -> None:
    """Losses per training step and best rank per self-play game, from a
    training log.jsonl (lines cut by an interrupted run are skipped)."""
    import json
    from pathlib import Path

    rows = []
    for line in Path(log).read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    plt = pyplot("--plot")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    steps = [r["step"] for r in rows if "policy_loss" in r]
    ax1.plot(steps, [r["policy_loss"] for r in rows if "policy_loss" in r], label="policy")
    ax1.plot(steps, [r["value_loss"] for r in rows if "policy_loss" in r], label="value")
    ax1.set_xlabel("training step")
    ax1.set_ylabel("loss")
    ax1.legend()
    ranked = [r for r in rows if r.get("best_rank") is not None]
    ax2.step([r["games"] for r in ranked], [r["best_rank"] for r in ranked], where="post")
    ax2.set_xlabel("self-play games")
    ax2.set_ylabel("best rank played")
    fig.suptitle(title)
    fig.tight_layout()
    save_png(fig, path)


def plot_speedups(rows: list[dict], path, title: str) -> None:
    """Speed-up against the library matmul per size, one line per number of
    recursion levels (rows as `decomp bench --json` prints them)."""
    plt = pyplot("--plot")
    fig, ax = plt.subplots(figsize=(6, 4))
    for levels in sorted({d["levels"] for d in rows}):
        pts = [d for d in rows if d["levels"] == levels]
        ax.plot([d["size"] for d in pts], [d["speedup"] for d in pts], marker="o", label=f"{levels} level(s)")
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_xlabel("matrix size")
    ax.set_ylabel("speed-up vs library matmul")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    save_png(fig, path)
