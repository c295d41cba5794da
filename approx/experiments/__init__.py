"""Experiments: sweep grids, the resumable runner and store, tightness, the subset-sum Monte
Carlo, and figures (the only package that imports matplotlib)."""
