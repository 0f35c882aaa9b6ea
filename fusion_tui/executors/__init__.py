"""Where runs execute: `local` (a detached supervisor on this machine) and `slurm`
(a Slurm job whose payload is the same supervisor)."""
