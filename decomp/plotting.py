"""Matplotlib set-up shared by every PNG the package writes: headless
backend, a clear error when the optional dependency is missing, atomic
writes."""

from __future__ import annotations

import io

from .core.errors import MissingDependencyError
from .core.io import atomic_write_bytes


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
