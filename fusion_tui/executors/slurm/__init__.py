"""The Slurm executor: a run is one Slurm job whose payload is our supervisor.

`executor` is the executor interface over the rest: `commands` calls Slurm's tools,
`options` resolves and checks what is asked of Slurm, `jobscript` writes the job script,
`submission` checks a request and sbatches it, `cancelling` scancels, `lookup` finds a
job by its name, `jobs` holds the jobs' rows and the shared poll time, `states` maps
Slurm's states to run statuses, `settle` decides the outcome of a job that has left the
queue, and `watch` is the one poll cycle for every unfinished Slurm run.
"""
