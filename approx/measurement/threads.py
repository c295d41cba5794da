"""Torch on one thread for a stretch of work (`approx.basics.torch_threads`, where it lives so
that the constructions can use it too)."""

from __future__ import annotations

from ..basics.torch_threads import one_torch_thread

__all__ = ["one_torch_thread"]
