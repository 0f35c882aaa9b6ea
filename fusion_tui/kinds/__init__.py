"""Kinds of run: the interface (`kind.py`), one folder per kind (`builtin/`, `fusion/`),
`registry.py` from a simulator's name to its kind, and what kinds share: the command
template (`command.py`), FUSION's log-line format and result files, which the built-in
simulator writes too (`loglines.py`, `result_files.py`)."""
