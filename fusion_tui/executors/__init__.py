"""Where runs execute, behind one interface (`executor`): `local` (a detached supervisor
on this machine) and `slurm` (a Slurm job whose payload is the same supervisor), named by
`registry`; `spawn` starts a supervisor process for either, and for a supervisor adopting
an orphaned run."""
