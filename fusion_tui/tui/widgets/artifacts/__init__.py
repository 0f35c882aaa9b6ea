"""A run's output files: how one is previewed."""
