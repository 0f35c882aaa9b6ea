"""The new-run form, by part: template, Slurm request, configuration fields, sweep."""
