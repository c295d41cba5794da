"""Experiments that answer the questions people ask about strong lottery tickets
(docs/questions.md): one module per question, each a function that runs the measurements
through the public API (`approx.pipeline.run.run`, the constructions' registry, the subset-sum
engine, `approx.measurement`) and returns JSON-able rows, and a function that summarises them
into the numbers the figures and the docs quote. The figures are drawn by
`approx.experiments.figures.questions`; the scripts in scripts/ are thin entry points.

- `budget`: one random network of P parameters, or K of P/K each?
- `separation`: Telgarsky's sawtooth, deep construction vs depth-2 random network.
- `composition`: how the error grows with depth, against the composition bounds.
- `width`: how wide is wide enough: n needed at the theorem's δ vs the theorem's n.
"""
