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
# Orseau: 1 is what the union bound of our width derivation proves (approx.constructions.orseau).
# Natale: c_amp of Theorem 3, not given numerically by the paper. 0.07 is OUR calibration at
# density 0.1: `approx tightness` on 4-4-4 and 8-8-8, ε = 0.1, 0.03, 0.01, 40 seeds, needs the
# C values 0.052 … 0.11 of Theorem 3's own formula (mean 0.074; docs/sparse.md). Like Pensia's,
# a typical-case constant, not a worst case: it under-asks on the rows that need more, and a
# 1×1 layer gets n = 1 (docs/proofs_check.md). Rounded down so that the default 16-16-16-4,
# ε = 0.01 run asks for n = 49, 49, 29, within the fixed-size search's reach.
# Burkholz 2022: no value we could read (docs/burkholz.md). 2.5 is OUR choice: with the
# construction's own formula (the n_{t+1} copies of layer t enter its log term), C = 2.5 asks for
# more than the n that `approx tightness` needs on every random ReLU 4-4-4 row (theorem n 22-28
# vs needed 21-22 at eps = 0.1 ... 0.01, delta = 0.1, 40 seeds); the fit of Pensia's log term
# alone gives C = 3.03, 95% CI [1.95, 4.11] (docs/burkholz.md, "Width").
# CNN (da Cunha et al. 2022): the paper's n_i = O(log(d_i^2 c_{i-1} c_i l / eps)) has no constant;
# 2.5 is Pensia's calibration carried over (on a 1x1 kernel both formulas are the same).
C = {
    "pensia": 2.5,
    "malach": 1.0,
    "orseau": 1.0,
    "natale": 0.07,
    "burkholz": 2.5,
    "cnn": 2.5,
}
NATALE_DENSITY = 0.1  # ticket density γ of the natale construction when none is given

# ---- Burkholz 2022's depth-(l+1) construction (approx.constructions.burkholz) ----------------
ACTIVATION = "relu"  # the activation of a random target (`approx run --activation`)
# From the authors' code (RelationalML/LT-existence, Utils/pruning.py, prune_layer_first): the
# first random layer's weights are Uniform[-2, 2], the biases of its bias units Uniform[0, 2].
BURKHOLZ_FIRST_RANGE = 2.0
# The pre-activation the constant units (which carry biases to later layers) are pruned to; 1 in
# the authors' code (parallel_constant_pruning).
BURKHOLZ_CONSTANT = 1.0
# Ours: for tanh and sigmoid the first random layer is drawn lambda times smaller and the second
# 1/(lambda*phi'(0)) times larger, so the first layer works where phi is nearly linear; its
# remainder enters the certified bound as ~lambda^2 (docs/burkholz.md, "Smooth activations").
# Smaller is more linear; for sigmoid, phi(0) = 1/2 makes the first layer's offsets grow like
# 1/lambda, which the bias units must cancel, so its lambda is a trade-off.
# Measured (8-8-4 target with biases, eps = 0.05, n = 32, 22, seed 0; docs/burkholz.md):
# tanh lambda = 1e-3 / 1e-4: certified 1.1e-3 / 3.1e-5; sigmoid lambda = 0.02 / 0.005 / 0.002:
# certified 2.8e-2 / 1.9e-3 / 5.6e-4, but at n = 8-14 the offsets defeat the bias subset sums for
# every lambda tried (per-parameter errors 65-660).
BURKHOLZ_LINEAR_SCALE = {"tanh": 1e-4, "sigmoid": 5e-3}
# Ours, sigmoid only: the second layer's weights from the bias units are drawn this many times
# sqrt(d_0) wider, so that their subset sums reach the offsets phi(0)*sum(b), whose spread grows
# like sqrt(d_0 n) (docs/burkholz.md, "Smooth activations").
BURKHOLZ_OFFSET_RANGE = 3.0

# ---- the empirical error (sphere sampling + local search; approx.measurement.empirical) -------
# Chosen by measurement against a much stronger reference search on nets with 8 to 784 inputs
# (docs/error.md: value and CPU seconds per choice).
EMPIRICAL_SAMPLES = 4096  # points of the unit sphere, one run
ASCENT_STEPS = 10  # local-search steps (line searches + sign flips) from the best points
ASCENT_STARTS = 128  # points the local search starts from
EMPIRICAL_POLISH_STEPS = 50  # projected Adam steps from the best half of them, at most
EMPIRICAL_POLISH_PER_STEP = 20  # ... this many per local-search step (a cheap search stays cheap)
EMPIRICAL_POLISH_LR = 0.01
# Iterated local search after it: rounds of copies of the best points, moved and searched again.
# Many short rounds from few points beat few long ones (docs/error.md, "How the budget was
# chosen"): the best maxima lie a small move from the best points found.
EMPIRICAL_RESTARTS = 16  # rounds
EMPIRICAL_RESTART_STEPS = 3  # local-search steps per round
EMPIRICAL_RESTART_ELITE = 4  # best points copied per round (ASCENT_STARTS copies in all)
# Expected length of the move of a copy, round by round in turn: the short move finds the
# better maxima next to a point, the long one leaves a basin the short one cannot.
EMPIRICAL_RESTART_SIGMAS = (0.1, 0.3)
# Above this many inputs a local-search step gains less per evaluation than a polish step:
# fewer starts, few local-search steps, no restarts, a longer polish (docs/error.md).
EMPIRICAL_FULL_DIM = 64
EMPIRICAL_HIGH_DIM_STARTS = 32
EMPIRICAL_HIGH_DIM_STEPS = 3
EMPIRICAL_HIGH_DIM_POLISH = 400
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
# Rows with more valid coefficients than one meet in the middle holds in that budget (48 at
# 2**30) are solved exactly by enumerating their e excess coefficients while e <= this: 2^e
# meet-in-the-middle solves of 48 coefficients, ~0.4 s each on one core here (16 -> ~6 s a
# row). Beyond it, a row is solved over a prefix of its coefficients, widened from
# PREFIX_START by PREFIX_STEP until the per-weight tolerance is met (approx.engine.subset_sum
# .any_size). A bound on time per row; the choice depends on the row alone, never on the clock.
EXACT_MAX_EXCESS = 4
PREFIX_START = 24  # ~0.3 ms a row; its optimum is typically ~1e-6 from the target
PREFIX_STEP = 8
# Refuse random networks whose weights and masks alone exceed this (bytes): a clear error in
# milliseconds instead of an out-of-memory kill half-way through sampling.
MAX_RANDOM_NET_BYTES = 12 * 2**30
# Bytes the empirical phase's forward passes may hold at once: the sphere points are evaluated
# in chunks of rows that fit (at least EMPIRICAL_MIN_ROWS rows per chunk).
EMPIRICAL_MEMORY_BUDGET = 2**30
# Rows per chunk of the empirical phase: at most this many (parallel chunks on CPU threads), at
# least EMPIRICAL_MIN_ROWS. A row's value does not depend on its chunk (single-threaded products,
# >= 16 rows; approx.measurement.empirical), so neither number changes a result.
EMPIRICAL_CHUNK_ROWS = 256
EMPIRICAL_MIN_ROWS = 16
# Chunks of the searched difference form (target-sized): this many bytes, 256-4,096 rows, split
# over the threads (in chunks of 256, torch's per-call overhead cost the default run 0.6 s).
EMPIRICAL_SEARCH_CHUNK_BYTES = 16 * 2**20
# Target files: refuse one whose tensors would need more than this as float64, before any of
# them is copied (a 1 KB file can hold an expanded tensor of billions of entries).
MAX_TARGET_BYTES = 2**30
# `approx run` prints its estimate of time and peak memory when the run should take longer
# than this (seconds).
ANNOUNCE_SECONDS = 5.0

# ---- sweeps and tightness ------------------------------------------------------------------
# A grid is refused above this many points (its size is counted before anything is built),
# and one of more than SWEEP_ANNOUNCE_POINTS points prints its size and time estimate first.
MAX_GRID_POINTS = 1_000_000
SWEEP_ANNOUNCE_POINTS = 10_000
# Points handed to the process pool at once: a grid is built and computed block by block, so
# memory does not grow with the grid.
SWEEP_BLOCK = 10_000
# Tightness runs every seed at every probed n: more seeds than this are refused.
MAX_TIGHTNESS_SEEDS = 10_000
SUBSET_SUM_TRIALS = 2000  # targets per subset-sum Monte Carlo grid point
MONTE_CARLO_TRIALS = 10_000  # targets of one coefficient_success call
MAX_N = 10_000  # width_factor -> n: no construction needs more samples per weight
TIGHTNESS_WIDTHS = (4, 4, 4)
TIGHTNESS_EPS = (0.1, 0.03, 0.01)
TIGHTNESS_DELTA = 0.1
TIGHTNESS_SEEDS = 40
TIGHTNESS_N_MAX = 30
# Constructions whose instances are not bound by the exact solver's 62 coefficients: Natale's
# fixed-size search takes n <= 62, Orseau's digit greedy calls no solver (its proven n is in
# the thousands, what it needs in the hundreds), nor does Malach's single best product, whose n
# grows like 1/eps (at 4-4-4 its formula asks n = 2,110 at eps = 0.1, found needed ~100;
# docs/experiments.md).
TIGHTNESS_N_MAX_BY_CONSTRUCTION = {"natale": 62, "orseau": 8192, "malach": 4096}
# Per construction where its formula needs other eps ranges than TIGHTNESS_EPS.
TIGHTNESS_EPS_BY = {"malach": (0.3, 0.2, 0.1)}
# Failures are counted by the tightest upper value a probe affords: the sandwich (exact for 1
# or 2 inputs), with this many boxes at most for more inputs; constructions the sandwich does
# not cover (approx.measurement.sandwich.covers) count by the certified bound.
TIGHTNESS_ERROR = "sandwich"
TIGHTNESS_SANDWICH_BOXES = 2000
# Sweeps on a Dask cluster (approx.experiments.cluster): the environment variable that names a
# scheduler when --scheduler is not given, and how long the driver waits to reach it.
SCHEDULER_ENV = "APPROX_SCHEDULER"
SCHEDULER_CONNECT_SECONDS = 10

# The thread policy of the `approx` command (approx.basics.threads), set in its environment
# before torch or numba load unless the user set them: idle OpenMP threads sleep at once
# instead of spinning (torch and numba each bring their own OpenMP runtime, and a pool that
# spins after each parallel region takes the core another pool or process needs;
# docs/performance.md). KMP_BLOCKTIME is the same for Intel's OpenMP (an MKL or conda torch).
THREAD_ENVIRONMENT = {"OMP_WAIT_POLICY": "PASSIVE", "KMP_BLOCKTIME": "0"}

EXPORT_FORMAT = "csv"  # approx export
# approx report: which proofs_check run the page shows. "quick" (the test suite's Monte Carlo
# sizes: ~20 s of CPU, half a minute on 2 shared cores) by default, because a page that records
# a study should say whether the proof steps its numbers rest on hold in the code that ran;
# "full" (the sample sizes of docs/proofs_check.md, ~20 min on 2 shared cores) on request;
# "none" leaves it out.
REPORT_PROOFS_CHECK = "quick"
REPORT_PROOFS_CHECK_MODES = ("quick", "full", "none")
PROOFS_CHECK_SEED = 0  # proofs_check's base seed (its Monte Carlo checks) when the report runs it
# approx plot: the figure style and, per style, the files written when --format is not given
PLOT_STYLE = "default"
PLOT_FORMATS = {"default": ("png", "pdf"), "paper": ("pdf",)}

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

# ---- baselines beside the constructions (approx compare; docs/search.md) --------------------
# The papers train on MNIST/CIFAR for tens of epochs (thousands of steps of SGD or Adam on
# batches of 60-128 images). Our problem is a regression on points of the unit sphere with a
# network of ~10^4 weights, where one step costs 2-3 ms on one core: each method gets a few
# thousand steps (seconds), so that `approx compare --widths 8,8,4 --n 16 --methods all` takes
# about a minute of CPU (docs/search.md), and every schedule is the paper's scaled down with
# its proportions kept.
COMPARE_METHODS = (
    "edge-popup",
    "greedy",
    "supermask",
    "imp",
    "gmp",
    "rigl",
    "evolution",
    "annealing",
)
COMPARE_TARGETS = ("random", "relu-chain", "circle")  # built-in targets of approx compare
COMPARE_TARGET = "random"
COMPARE_WIDTHS = (4, 4, 2)
COMPARE_N = 8
COMPARE_DEPTH = 2  # target depth of the relu-chain ticket
TRAIN_BATCH = 256  # sphere points per step, every trained baseline (edge-popup's batch)
TRAIN_EVAL_SAMPLES = 1024  # held-out sphere points on which searches pick what they keep
# Supermask (Zhou et al. 2019; their code, uber-research/deconstructing-lottery-tickets):
# frozen weights, mask logits, masks ~ Bernoulli(sigmoid(logit)) with a straight-through
# estimator. They train with SGD (momentum 0.9) at lr 100 for 2000 epochs of MNIST; Adam's step
# is scale-free, and 0.1 moves a logit from 0 to a decided +-2 in ~20 steps. The initial keep
# probability is not a default but a rule (approx.pipeline.search.supermask.initial_keep).
SUPERMASK_STEPS = 2000
SUPERMASK_LR = 0.1
SUPERMASK_EVAL_EVERY = 50
# Iterative magnitude pruning (Frankle & Carbin 2019): Adam at 1.2e-3 (their rate for the fully
# connected Lenet-300-100), prune 20% of each layer's remaining weights per round (their rate for
# fully connected layers; they prune the output layer at half that rate, we prune every layer at
# the same rate so that all reach the budget in the same round), rewind to the initial weights.
IMP_STEPS = 400  # training steps per round (theirs: 50,000 iterations of batch 60)
IMP_LR = 1.2e-3
IMP_PRUNE_FRACTION = 0.2
IMP_REWIND_STEP = 0  # 0: rewind to initialisation; k > 0: late rewinding to step k
# Gradual magnitude pruning (Zhu & Gupta 2017): sparsity s_t = s_f (1 - (1 - (t - t0)/(t1 - t0))^3)
# from s_i = 0, pruning every `GMP_EVERY` steps between t0 and t1, then fine-tuning (they prune
# over roughly the middle half of training, every 100-1000 steps).
GMP_STEPS = 2000
GMP_LR = 1.2e-3
GMP_START = 0.1  # t0 as a fraction of the steps
GMP_END = 0.6  # t1 as a fraction of the steps
GMP_EVERY = 50
# RigL (Evci et al. 2019): sparse from the start at the budget; every `RIGL_EVERY` steps until
# `RIGL_END` of training drop the fraction alpha/2 (1 + cos(pi t / T_end)) of each layer's
# active weights with the smallest magnitude and grow as many inactive ones with the largest
# gradient magnitude, at zero (their recommended Delta T = 100, alpha = 0.3, T_end = 75%).
RIGL_STEPS = 2000
RIGL_LR = 1.2e-3
RIGL_EVERY = 100
RIGL_ALPHA = 0.3
RIGL_END = 0.75
# Genetic algorithm over masks (our design; masks keep the budget in every layer): elitism,
# tournament selection, uniform crossover repaired to the budget, swap mutations.
EVOLUTION_POPULATION = 32
EVOLUTION_GENERATIONS = 300
EVOLUTION_ELITE = 2
EVOLUTION_TOURNAMENT = 3
EVOLUTION_SWAPS = 2  # kept <-> pruned swaps per layer per child
EVOLUTION_SAMPLES = 256  # fixed sphere points the fitness is measured on
# Simulated annealing over masks (our design): swap one kept and one pruned weight of a layer,
# Metropolis acceptance, geometric cooling from the mean |change| of random swaps down by
# `ANNEALING_COOLING`.
ANNEALING_STEPS = 10_000
ANNEALING_SAMPLES = 256
ANNEALING_COOLING = 1e-3  # final temperature / initial temperature
# Planted tickets (Fischer & Burkholz 2022): the circle ticket's number of ReLU directions.
CIRCLE_DIRECTIONS = 8

# ---- the questions of docs/questions.md (scripts/one_vs_many.py, depth_separation.py,
# error_vs_depth.py). Three scales each: "smoke" (the test, seconds), "quick" (the scripts'
# default: minutes on 2 shared cores, one thread), "full" (the paper figures: an hour or more).
QUESTION_SCALES = ("smoke", "quick", "full")

# How the error grows with depth: each construction at one per-layer n, every depth.
DEPTH_ERROR_N = {"pensia": 16, "malach": 128}  # samples per weight (errors e_i ~ 1e-3 … 1e-1)
DEPTH_ERROR_WIDTH = 4  # random targets d-d-…-d
DEPTH_ERROR = {
    "smoke": {"depths": (1, 2), "seeds": 2, "empirical_samples": 64, "ascent_steps": 5},
    "quick": {
        "depths": (1, 2, 4, 8, 16),
        "seeds": 10,
        "empirical_samples": 256,
        "ascent_steps": 20,
    },
    "full": {
        "depths": (1, 2, 3, 4, 6, 8, 12, 16, 24, 32),
        "seeds": 50,
        "empirical_samples": 1024,
        "ascent_steps": 50,
    },
}

# How wide is wide enough: tightness rows (n needed at δ vs the theorem's n) one factor at a time
# around the base (d, l) and the middle eps; eps per construction as approx tightness's. Quick
# counts failures by the certified bound (cheap; an upper value, so n needed is if anything
# high), full by the sandwich as approx tightness does.
WIDTH_IN_PRACTICE_DELTA = 0.1
WIDTH_IN_PRACTICE = {
    "smoke": {"constructions": ("pensia", "malach"), "widths": (2, 3), "depths": (1, 2),
              "base": (2, 1), "eps_count": 2, "seeds": 2, "error": "certified"},
    "quick": {"constructions": "all", "widths": (2, 4, 8), "depths": (1, 2, 3), "base": (4, 2),
              "eps_count": 3, "seeds": 5, "error": "certified"},
    "full": {"constructions": "all", "widths": (2, 3, 4, 6, 8, 12, 16), "depths": (1, 2, 3, 4, 6),
             "base": (4, 2), "eps_count": 3, "seeds": 40, "error": "sandwich"},
}  # fmt: skip

# One random network of P parameters, or K of P/K? P is set by n_total samples per weight;
# K divides n_total. A fresh random target per trial (widths), and one digits-trained target
# (hidden units, average pooling of the 8x8 images; approx.experiments.targets).
ONE_VS_MANY_EPS = 0.01
ONE_VS_MANY = {
    "smoke": {
        "widths": (2, 2, 2),
        "n_total": 8,
        "ks": (1, 2),
        "trials": 2,
        "digits": {"hidden": 4, "pool": 4, "n_total": 8, "trials": 1},
        "empirical_samples": 32,
        "ascent_steps": 0,
    },
    "quick": {
        "widths": (4, 4, 4),
        "n_total": 24,
        "ks": (1, 2, 4, 8),
        "trials": 100,
        "digits": {"hidden": 16, "pool": 2, "n_total": 24, "trials": 20},
        "empirical_samples": 256,
        "ascent_steps": 10,
    },
    "full": {
        "widths": (4, 4, 4),
        "n_total": 24,
        "ks": (1, 2, 3, 4, 6, 8, 12, 24),
        "trials": 500,
        "digits": {"hidden": 16, "pool": 2, "n_total": 24, "trials": 100},
        "empirical_samples": 1024,
        "ascent_steps": 50,
    },
}

# Depth separation: Telgarsky's sawtooth t^l, the deep construction (n samples per weight)
# vs depth-2 random networks of width 2^(l + b), b in width_bits, at most max_width.
SEPARATION_LEVEL = 0.25  # relative error at which the parameters needed are compared
SEPARATION = {
    "smoke": {
        "depths": (2,),
        "ns": (8, 16),
        "width_bits": (0, 2),
        "max_width": 16,
        "seeds": 1,
        "greedy_steps": 50,
        "empirical_samples": 32,
        "ascent_steps": 0,
        "gap_cases": ((2, 4),),  # (l, width): relaxation vs brute force over all subnetworks
    },
    "quick": {
        "depths": (2, 3, 4, 5, 6),
        "ns": (8, 12, 16, 20, 24, 28),
        "width_bits": tuple(b / 2 for b in range(-2, 13)),  # 2^(l-1) … 2^(l+6), half steps
        "max_width": 2048,
        "seeds": 6,
        "greedy_steps": 200,
        "empirical_samples": 64,
        "ascent_steps": 0,
        "gap_cases": ((2, 5), (3, 5), (2, 7), (3, 7)),
    },
    "full": {
        "depths": (2, 3, 4, 5, 6, 7, 8),
        "ns": (8, 12, 16, 20, 24, 28, 31),  # 2n <= 62: the exact solver's limit
        "width_bits": tuple(b / 2 for b in range(-2, 13)),
        "max_width": 8192,
        "seeds": 10,
        "greedy_steps": 1000,
        "empirical_samples": 256,
        "ascent_steps": 10,
        "gap_cases": ((2, 5), (3, 5), (2, 7), (3, 7), (4, 8)),
    },
}
