"""approx: numerical checks of the strong lottery ticket theorems."""

__version__ = "0.1.0"
