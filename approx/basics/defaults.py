"""Every default value of approx, in one place.

The library's functions take their defaults from here and the command line passes None for an
option the user did not give, so a default is typed once. Where a default is a calibration or
a trade-off, the comment says which and why.
"""

from __future__ import annotations

# ---- one run ---------------------------------------------------------------------------------
EPS = 0.01  # target error sup_{||x||<=1} ||f(x) - g(x)||
DELTA = 0.01  # failure probability over the random network
CONSTRUCTION = "pensia"
SOLVER = "exact"
SEED = 0
DEVICE = "cpu"
DTYPE = "float64"
WIDTHS = (16, 16, 16, 4)  # the random target of a bare `approx run`

# Constant C of each construction's width formula when none is given.
# Pensia et al. 2020 prove n_i = C·log(d_{i-1} d_i l / min(ε, δ)) for a universal C they do not
# give. 2.5 is OUR calibration on random targets (`approx tightness`, failures counted by the
# sandwich's upper value, fits 2.39, 95% CI [2.17, 2.62], for Uniform targets scaled to
# ||W_i||_2 = 1, shapes 4-4 … 4-4-4-4, ε = 0.1 … 0.01; docs/experiments.md), not a worst-case
# constant: W = [[1]] at ε = δ = 0.01 misses ε on 54% of the random nets at this C, and 1.0% at
# C ≈ 6.1 (docs/proofs_check.md).
# Malach: 1 is what the union bound of our width derivation proves (approx.constructions.malach).
C = {"pensia": 2.5, "malach": 1.0}

# ---- the empirical error (sphere sampling + local search; approx.measurement.empirical) -------
# Chosen against a much stronger reference search on 16- to 8-input nets (docs/error.md).
EMPIRICAL_SAMPLES = 16384  # points of the unit sphere, one run
ASCENT_STEPS = 30  # local-search steps (line searches + sign flips) from the best points
ASCENT_STARTS = 128  # points the local search starts from
EMPIRICAL_POLISH_STEPS = 200  # projected Adam steps from the best half of them, at most
EMPIRICAL_POLISH_PER_STEP = 7  # ... this many per local-search step (a cheap search stays cheap)
EMPIRICAL_POLISH_LR = 0.01
EMPIRICAL_BATCH = 4096  # points per forward pass
# A sweep runs many points: a cheaper empirical estimate per point (the certified bound, which
# sweeps and figures read first, does not depend on it).
SWEEP_EMPIRICAL_SAMPLES = 1024
SWEEP_ASCENT_STEPS = 50
# Tightness only reads the certified error; its probes keep the empirical phase minimal.
TIGHTNESS_EMPIRICAL_SAMPLES = 64
TIGHTNESS_ASCENT_STEPS = 0

# ---- the sandwich (approx.measurement.sandwich): upper and lower values that close ------------
ERROR_METHOD = "certified"  # `approx run --error`: certified | sandwich
ERROR_METHODS = ("certified", "sandwich")
SANDWICH_BOXES = 100_000  # boxes bounded at most (deterministic budget; d_0 >= 3 only)
SANDWICH_TOL = 0.01  # stop once upper <= (1 + tol) * lower

# ---- memory --------------------------------------------------------------------------------
# Bytes one subset-sum call may hold in workspace (chunks of rows are sized to fit).
SOLVER_MEMORY_BUDGET = 2**30
# Refuse random networks whose weights and masks alone exceed this (bytes): a clear error in
# milliseconds instead of an out-of-memory kill half-way through sampling.
MAX_RANDOM_NET_BYTES = 12 * 2**30

# ---- sweeps and tightness ------------------------------------------------------------------
SUBSET_SUM_TRIALS = 2000  # targets per subset-sum Monte Carlo grid point
MONTE_CARLO_TRIALS = 10_000  # targets of one coefficient_success call
MAX_N = 10_000  # width_factor -> n: no construction needs more samples per weight
TIGHTNESS_WIDTHS = (4, 4, 4)
TIGHTNESS_EPS = (0.1, 0.03, 0.01)
TIGHTNESS_DELTA = 0.1
TIGHTNESS_SEEDS = 40
TIGHTNESS_N_MAX = 30
# Per construction where its formula needs other ranges (Malach's n grows like 1/eps: at
# 4-4-4 its formula asks n = 2,110 at eps = 0.1, found needed ~100; docs/experiments.md).
TIGHTNESS_EPS_BY = {"malach": (0.3, 0.2, 0.1)}
TIGHTNESS_N_MAX_BY = {"malach": 4096}
# Failures are counted by the tightest upper value a probe affords: the sandwich (exact for 1
# or 2 inputs), with this many boxes at most for more inputs.
TIGHTNESS_ERROR = "sandwich"
TIGHTNESS_SANDWICH_BOXES = 2000

# ---- searches that do not know the proof (approx search) ------------------------------------
SEARCH_WIDTHS = (4, 4, 2)
SEARCH_N = 8
SEARCH_METHODS = ("edge-popup", "greedy")
EDGE_POPUP_DENSITY = 0.3  # fraction of each layer's weights kept
EDGE_POPUP_STEPS = 2000
EDGE_POPUP_LR = 0.01
EDGE_POPUP_BATCH = 256
EDGE_POPUP_EVAL_EVERY = 50
EDGE_POPUP_EVAL_SAMPLES = 1024
GREEDY_SAMPLES = 512  # sphere points the greedy search fits
GREEDY_MAX_STEPS = 2000  # moves per layer pair
