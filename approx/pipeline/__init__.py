"""The pipeline: one target through a construction to a measured `RunResult` (`run`), the
table it prints (`report`), and the searches that do not know the proof (`search`)."""
