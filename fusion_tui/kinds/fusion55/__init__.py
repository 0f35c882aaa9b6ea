"""FUSION's 5.5 line as a kind of run: tag v5.5.1 and the `feature/grooming-new` branch
(a top-level `run_sim.py`, no `fusion/` package)."""
