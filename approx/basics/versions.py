"""The software versions every stored result records, so a number traces back to its code."""

from __future__ import annotations

import platform

import numpy as np
import torch

from .. import __version__


def software_versions() -> dict[str, str]:
    return {
        "approx": __version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
