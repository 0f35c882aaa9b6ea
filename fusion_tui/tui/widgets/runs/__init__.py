"""The run list: its table of runs."""
