"""Measurement: the certified upper bound and the empirical lower estimate of the error, and
the bounds (lower bounds, tolerances) that are not one construction's."""
