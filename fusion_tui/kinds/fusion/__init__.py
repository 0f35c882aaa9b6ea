"""FUSION's `run_sim` as a kind of run (`kind.py`): FUSION 6.1's rules for its
configuration (`schema.py`), its set-up (`doctor.py`), its result folder followed and
copied into the run (`results.py`, `mirror.py`). Nothing here imports Textual or the
store."""
