"""What a Slurm run asks of Slurm (partition, time, CPUs, memory, account, QOS, sbatch
arguments); shown only when the executor is Slurm. Empty: the template's or the
settings' value."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input

from fusion_tui.base.settings import Settings
from fusion_tui.config.templates import Template
from fusion_tui.tui.widgets.new_run.rows import field_row

SLURM_FIELDS = (
    ("partition", "Partition", "default partition"),
    ("time", "Time limit", "e.g. 4:00:00 (default: the partition's)"),
    ("cpus_per_task", "CPUs per task", "1"),
    ("mem", "Memory", "e.g. 8G"),
    ("account", "Account", "default account"),
    ("qos", "QOS", "default QOS"),
    ("extra_args", "sbatch args", "e.g. --constraint=avx2"),
)


class SlurmFields(Vertical):
    def compose(self) -> ComposeResult:
        for key, label, hint in SLURM_FIELDS:
            yield field_row(label, Input(placeholder=hint, id=f"slurm-{key}", compact=True))

    def fill(self, template: Template, settings: Settings) -> None:
        """The template's request, else the settings' default."""
        for key, _, _ in SLURM_FIELDS:
            value = template.slurm_options.get(key) or getattr(settings, f"slurm_{key}") or ""
            self.query_one(f"#slurm-{key}", Input).value = str(value)

    def values(self) -> dict[str, str | None]:
        return {key: self.query_one(f"#slurm-{key}", Input).value for key, _, _ in SLURM_FIELDS}
