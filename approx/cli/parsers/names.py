"""The names the parsers list (constructions, solvers, dtypes, plot styles, export formats),
written out so that `approx --help` need not import the modules that hold them: those load
torch, numba, matplotlib or sqlite. tests/test_cli_startup.py checks that each tuple equals its
source, in the order the help text prints it. (`approx compare`'s methods are listed from
`defaults.COMPARE_METHODS`, checked the same way.)"""

CONSTRUCTIONS = ("burkholz", "cnn", "malach", "natale", "orseau", "pensia")  # sorted
SOLVERS = ("exact", "greedy", "brute", "milp", "fewest", "fixed")  # approx.engine.subset_sum
DTYPES = ("float32", "float64")  # approx.basics.devices
PLOT_STYLES = ("default", "paper")  # approx.experiments.figures.common.STYLES
EXPORT_FORMATS = ("csv", "json")  # approx.experiments.export.FORMATS
