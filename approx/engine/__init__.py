"""The engine: batched subset-sum solvers on torch tensors (CPU kernels and a CUDA path).

It knows no construction: every caller hands it coefficient rows, targets and valid masks.
"""
