"""What every figure shares: the non-interactive backend, labels, panels and saving."""

from __future__ import annotations

from pathlib import Path

import matplotlib

from ...basics.files import write_atomic

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ERROR_LABEL = "error  sup$_{\\|x\\|_2\\leq 1}$ $\\|f(x)-g(x)\\|_2$  (absolute, output units)"


def save(fig, out_dir: Path, stem: str, formats: tuple[str, ...]) -> list[Path]:
    paths = []
    for fmt in formats:
        p = Path(out_dir) / f"{stem}.{fmt}"
        dpi = 150 if fmt == "png" else None
        write_atomic(
            p,
            lambda tmp, fmt=fmt, dpi=dpi: fig.savefig(
                tmp, dpi=dpi, format=fmt, bbox_inches="tight"
            ),
        )
        paths.append(p)
    plt.close(fig)
    return paths


def panels(k: int, cols: int = 3):
    """A figure with k panels, at most `cols` per row; the unused ones hidden."""
    rows = -(-k // cols)
    fig, axes = plt.subplots(
        rows, min(k, cols), figsize=(6 * min(k, cols), 4.5 * rows), squeeze=False
    )
    flat = list(axes.flat)
    for ax in flat[k:]:
        ax.set_visible(False)
    return fig, flat[:k]
