"""The bottom layer: the network model, masks, sampling, argument errors, defaults and
statistics. Nothing here imports another layer of approx."""
