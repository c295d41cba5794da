"""The one exception type for bad input, and the scalar checks that raise it.

Library functions validate their arguments once, at the public boundary, and raise
`InvalidArgument` with a message that names the argument and its value. The CLI turns it
into one line on stderr and exit code 2; anything else escaping is a bug. This module does
not import torch (tensor checks live in `approx.basics.tensor_checks`).
"""

from __future__ import annotations

import math


class InvalidArgument(ValueError):
    """An argument a user passed is out of range, the wrong shape, or unsupported."""

    def for_options(self, offered) -> str:
        """The message for a caller that offers only the arguments in `offered` (the CLI: a
        command's flags; None: all of them). The message itself, unless it advises several
        options (`approx.pipeline.memory_refusal`)."""
        return str(self)


class TargetAssumptionError(InvalidArgument):
    """The target network breaks an assumption of the chosen theorem (e.g. ||W_i||_2 > 1)."""


def check_open_unit(name: str, value: float) -> float:
    """`value` must be a finite number strictly inside (0, 1) (used for eps and delta)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgument(f"{name}={value!r} must be a number in (0, 1)")
    if not (0.0 < value < 1.0) or math.isnan(value):
        raise InvalidArgument(f"{name}={value!r} must be in (0, 1)")
    return float(value)


def check_positive_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgument(f"{name}={value!r} must be a positive integer")
    return value


def check_positive_number(name: str, value: float) -> float:
    """A finite number > 0 (e.g. a constant C, a learning rate)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgument(f"{name}={value!r} must be a positive number")
    if not (math.isfinite(value) and value > 0):
        raise InvalidArgument(f"{name}={value!r} must be a finite number > 0")
    return float(value)


def as_tuple(name: str, value, what: str) -> tuple:
    """`value` (a list, tuple or other iterable) as a tuple; refused naming `name` where it is
    not iterable (`widths=3`, `input_shape=None` where a shape is required)."""
    if isinstance(value, (str, bytes)):
        raise InvalidArgument(f"{name}={value!r} must be {what}")
    try:
        return tuple(value)
    except TypeError:
        raise InvalidArgument(f"{name}={value!r} must be {what}") from None
