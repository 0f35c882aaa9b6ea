"""The flags of `new` and `sweep new` that say where runs execute and what they ask of
Slurm (named like the settings' [slurm] keys)."""

from __future__ import annotations

import argparse

SLURM_FLAGS = ("partition", "account", "qos", "time", "mem", "cpus_per_task", "extra_args")


def add_slurm_flags(s: argparse.ArgumentParser) -> None:
    s.add_argument("--executor", "-x", choices=["local", "slurm"],
                   help="where the runs execute (default: the template's, else the setting)")
    slurm = s.add_argument_group("Slurm (with --executor slurm; override settings/template)")
    slurm.add_argument("--partition", "-p")
    slurm.add_argument("--account", "-A")
    slurm.add_argument("--qos")
    slurm.add_argument("--time", help="time limit, e.g. 30, 4:00:00, 2-00:00:00")
    slurm.add_argument("--mem", help="memory per node, e.g. 8G")
    slurm.add_argument("--cpus-per-task", "-c")
    slurm.add_argument("--sbatch-args", dest="extra_args", metavar="ARGS",
                       help="more sbatch options, e.g. '--gres=gpu:1 --constraint=avx2'")


def slurm_options(args: argparse.Namespace) -> dict[str, str | None]:
    """The Slurm flags given (None where not), for the run or sweep manager."""
    return {key: getattr(args, key) for key in SLURM_FLAGS}
