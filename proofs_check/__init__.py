"""proofs_check: every step of the strong-lottery-ticket proofs, checked.

Symbolically (sympy) where a step is algebra, by Monte Carlo with a confidence interval where it
is probability. One module per lemma or proof step; each check returns a `CheckResult` and takes
the claim as an argument, so a wrong claim can be passed in and must fail. `run_all` runs the
published claims (corrected where they do not hold, with a finding); `main` is the command line.
This package may import `approx`; `approx` never imports it.
"""

from .result import CheckResult
from .runner import main, run_all

__all__ = ["CheckResult", "main", "run_all"]
