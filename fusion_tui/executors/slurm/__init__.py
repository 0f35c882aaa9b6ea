"""The Slurm executor: a run is one Slurm job whose payload is our supervisor.

`commands` calls Slurm's tools, `options` resolves and checks what is asked of Slurm,
`jobscript` writes the job script, `states` maps Slurm's states to run statuses,
`executor` submits and cancels, `settle` decides the outcome of a job that has left the
queue, and `watch` is the one poll cycle for every unfinished Slurm run.
"""
