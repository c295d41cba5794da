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
# give. 2.5 is OUR calibration on random targets (`approx tightness` fits 2.44, 95% CI
# [2.26, 2.61], for Uniform targets scaled to ||W_i||_2 = 1, shapes 4-4 … 8-8-8, ε = 0.1 … 0.01;
# docs/experiments.md), not a worst-case constant: W = [[1]] at ε = δ = 0.01 misses ε on about
# half of the random nets at this C (docs/proofs_check.md).
# Malach: 1 is what the union bound of our width derivation proves (approx.constructions.malach).
C = {"pensia": 2.5, "malach": 1.0}

# ---- the empirical error (sphere sampling + projected gradient ascent) -----------------------
EMPIRICAL_SAMPLES = 4096  # points of the unit sphere, one run
ASCENT_STEPS = 100  # projected gradient-ascent steps from the best points
ASCENT_STARTS = 16  # points the ascent starts from
EMPIRICAL_BATCH = 1024  # points per forward pass
# A sweep runs many points: a cheaper empirical estimate per point (the certified bound, which
# sweeps and figures read first, does not depend on it).
SWEEP_EMPIRICAL_SAMPLES = 1024
SWEEP_ASCENT_STEPS = 50
# Tightness only reads the certified error; its probes keep the empirical phase minimal.
TIGHTNESS_EMPIRICAL_SAMPLES = 64
TIGHTNESS_ASCENT_STEPS = 0

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
