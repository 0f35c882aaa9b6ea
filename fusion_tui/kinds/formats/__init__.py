"""FUSION's file formats, which the built-in simulator shares by design (it reads FUSION's
INI and writes FUSION's log lines and result files): the INI keys FUSION reads
(`keys.py`), the log lines (`loglines.py`) and the result files (`results.py`)."""
