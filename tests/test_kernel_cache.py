"""The first-use notice: which numba kernels a run still has to compile."""

from __future__ import annotations

import importlib
import sys

import pytest

from approx.basics.kernel_cache import uncached
from approx.pipeline import run as run_mod
from approx.pipeline.kernels import kernels_to_compile
from approx.pipeline.plan import plan_run

KERNEL = """
from numba import njit


@njit(cache=True)
def twice(x):
    return 2 * x
"""


def test_a_kernel_counts_as_uncompiled_until_numba_has_cached_it(tmp_path, monkeypatch):
    """Before its first call (no cache index) a kernel is listed; after it, neither the same
    dispatcher nor a fresh one for the same source (the module reloaded: it reads the index
    numba wrote) is; an edited source makes the index stale, and it is listed again."""
    path = tmp_path / "toy_kernel.py"
    path.write_text(KERNEL)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    mod = importlib.import_module("toy_kernel")
    try:
        assert uncached([mod.twice]) == ("twice",)
        assert mod.twice(3) == 6
        assert uncached([mod.twice]) == ()
        mod = importlib.reload(mod)
        assert not mod.twice.signatures and uncached([mod.twice]) == ()
        path.write_text(KERNEL.replace("2 * x", "3 * x") + "\n# edited\n")
        mod = importlib.reload(mod)
        assert uncached([mod.twice]) == ("twice",)
    finally:
        sys.modules.pop("toy_kernel", None)
    assert uncached([object()]) == ()  # not a dispatcher: cannot tell, so no notice


COMMON = dict(eps=0.1, delta=0.1, C=None, solver="exact", seed=0, device="cpu", dtype="float64",
              ascent_steps=0, weight_tolerance=None, empirical_samples=16)  # fmt: skip


@pytest.mark.parametrize(
    ("construction", "kernels"),
    [("pensia", {"exact_rows", "accumulate"}), ("natale", {"fixed_rows", "accumulate"}),
     ("burkholz", {"exact_rows"}), ("malach", {"accumulate"}), ("orseau", {"accumulate"})],
)  # fmt: skip
def test_each_construction_checks_the_kernels_it_calls(construction, kernels, monkeypatch):
    """Which kernels each construction's run calls (with every cache taken as empty)."""
    monkeypatch.setattr("approx.engine.subset_sum.kernels.uncached", _all_names)
    monkeypatch.setattr("approx.measurement.stored.uncached", _all_names)
    plan = plan_run(None, (4, 4, 2), construction=construction, n=None, **COMMON)
    assert set(kernels_to_compile(plan)) == kernels


def _all_names(dispatchers):
    return tuple(d.__name__ for d in dispatchers)


def test_the_notice_is_one_line_before_the_run_and_only_with_progress(monkeypatch, capsys):
    monkeypatch.setattr(run_mod, "kernels_to_compile", lambda plan: ("exact_rows",))
    run_mod.run(widths=(3, 2), n=3, empirical_samples=16, ascent_steps=0, progress=True)
    err = capsys.readouterr().err
    assert "first use on this machine: compiling exact_rows" in err
    run_mod.run(widths=(3, 2), n=3, empirical_samples=16, ascent_steps=0)
    assert "first use" not in capsys.readouterr().err
