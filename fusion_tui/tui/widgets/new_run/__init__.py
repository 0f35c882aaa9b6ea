"""The new-run form, by part: template, what the executor is asked (Slurm: its request),
configuration fields, sweep."""
