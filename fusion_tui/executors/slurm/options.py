"""What a run asks of Slurm: partition, account, QOS, time limit, memory, CPUs per task
and extra `sbatch` arguments, resolved settings < template < run and checked by form.

The controller's own check (`sbatch --test-only`, `sinfo`) comes later, in the executor;
here nothing is asked of Slurm.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.settings import Settings
from fusion_tui.executors.slurm.describe import SLURM

KEYS = ("partition", "account", "qos", "time", "mem", "cpus_per_task", "extra_args")

_NAME = re.compile(r"[A-Za-z0-9_.\-+]{1,128}\Z")
_MEM = re.compile(r"\d{1,9}[KMGT]?\Z", re.IGNORECASE)
_TIME = re.compile(r"(?:(\d+)-(\d+)(?::(\d+)(?::(\d+))?)?|(\d+)(?::(\d+)(?::(\d+))?)?)\Z")
_UNLIMITED = ("UNLIMITED", "INFINITE")
# sbatch options fusion-tui sets itself, or that have their own setting.
_RESERVED = {
    "-o": "output", "--output": "output", "-e": "error", "--error": "error",
    "-D": "chdir", "--chdir": "chdir", "-J": "job-name", "--job-name": "job-name",
    "--parsable": "parsable", "--wrap": "wrap", "--signal": "signal", "--export": "export",
    "-a": "array", "--array": "array", "-i": "input", "--input": "input",
    "--test-only": "test-only", "-W": "wait", "--wait": "wait", "--open-mode": "open-mode",
    "-p": "partition", "--partition": "partition", "-A": "account", "--account": "account",
    "-q": "qos", "--qos": "qos", "-t": "time", "--time": "time", "--mem": "mem",
    "-c": "cpus_per_task", "--cpus-per-task": "cpus_per_task",
}


def time_limit_seconds(text: str) -> int | None:
    """Slurm's `--time` forms as seconds; None for UNLIMITED. ValueError if malformed."""
    if text.upper() in _UNLIMITED:
        return None
    m = _TIME.fullmatch(text)
    if not m:
        raise ValueError(text)
    d, dh, dm, ds, mins, ms, hs = m.groups()
    if d is not None:
        return ((int(d) * 24 + int(dh)) * 60 + int(dm or 0)) * 60 + int(ds or 0)
    if hs is not None:  # hours:minutes:seconds
        return (int(mins) * 60 + int(ms)) * 60 + int(hs)
    return int(mins) * 60 + int(ms or 0)


@dataclass(frozen=True)
class SlurmOptions:
    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    time: str | None = None
    mem: str | None = None
    cpus_per_task: int | None = None
    extra_args: tuple[str, ...] = ()

    @property
    def time_limit_seconds(self) -> int | None:
        return time_limit_seconds(self.time) if self.time else None

    def warning_seconds(self, settings: Settings) -> int:
        """How long before the time limit the run is stopped (its results saved): the
        setting, but never more than a quarter of the limit."""
        limit = self.time_limit_seconds
        wanted = int(SLURM.table.value(settings, "signal_seconds"))
        return wanted if limit is None else min(wanted, limit // 4)

    def sbatch_options(self) -> list[str]:
        """The `#SBATCH` options these stand for."""
        out = []
        for flag, value in (("--partition", self.partition), ("--account", self.account),
                            ("--qos", self.qos), ("--time", self.time), ("--mem", self.mem),
                            ("--cpus-per-task", self.cpus_per_task)):
            if value is not None:
                out.append(f"{flag}={value}")
        return [*out, *self.extra_args]

    def as_values(self) -> dict[str, str | None]:
        """These options as a run gives them to `resolve` (text; None when unset)."""
        values = {k: None if v is None else str(v) for k, v in asdict(self).items()
                  if k != "extra_args"}
        values["extra_args"] = shlex.join(self.extra_args) or None
        return values

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["extra_args"] = list(self.extra_args)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SlurmOptions:
        values: dict[str, Any] = {k: data.get(k) for k in KEYS}
        values["extra_args"] = tuple(data.get("extra_args") or ())
        return cls(**values)


def _check(key: str, value: str, where: str) -> Any:
    def bad(expected: str) -> ConfigError:
        return ConfigError(f"{where}: {key}: expected {expected}, got {value!r}")

    if key in ("partition", "account", "qos"):
        if not _NAME.match(value):
            raise bad("a Slurm name (letters, digits, . _ - +)")
        return value
    if key == "time":
        try:
            seconds = time_limit_seconds(value)
        except ValueError:
            raise bad("a Slurm time limit (minutes, HH:MM:SS, D-HH:MM:SS or UNLIMITED)") \
                from None
        if seconds is not None and seconds < 60:
            raise bad("at least one minute")
        return value
    if key == "mem":
        if not _MEM.match(value):
            raise bad("a memory size such as 4000, 8G or 512M")
        return value.upper()
    if key == "cpus_per_task":
        if not value.isdigit() or not 1 <= int(value) <= 4096:
            raise bad("a whole number from 1 to 4096")
        return int(value)
    try:
        args = tuple(shlex.split(value))
    except ValueError as exc:
        raise bad(f"sbatch arguments ({exc})") from None
    for arg in args:
        flag = arg.split("=", 1)[0]
        if flag in _RESERVED:
            own = _RESERVED[flag]
            hint = f"use the {own} option" if own in KEYS else "fusion-tui sets it itself"
            raise ConfigError(f"{where}: extra_args: {flag} is not allowed here ({hint})")
        if any(ch in arg for ch in "\n\r\0"):
            raise bad("arguments without line breaks")
    return args


def resolve(settings: Settings, template: Mapping[str, str],
            run: Mapping[str, str | None], template_name: str = "template") -> SlurmOptions:
    """Settings, then the template's `[fusion_tui]` keys, then the run's own values;
    each checked by form, the first bad one a ConfigError saying where it came from."""
    values: dict[str, Any] = {}
    for key in KEYS:
        setting = settings.given(f"slurm_{key}")
        if setting not in (None, ""):
            values[key] = _check(key, str(setting), settings.source_of(f"slurm_{key}"))
        if template.get(key, "").strip():
            values[key] = _check(key, template[key].strip(),
                                 f"template {template_name!r} [fusion_tui]")
        given = run.get(key)
        if given is not None and given.strip():
            values[key] = _check(key, given.strip(), "--" + key.replace("_", "-"))
    return SlurmOptions(**values)
