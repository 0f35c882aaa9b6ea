"""The reproduction bundle: a .tar.gz holding each sweep's spec, the frozen config.ini of
each of its runs, a manifest with every file's sha256 and each run's config hash, and a
shell script that rebuilds the sweeps (`fusion-tui reproduce`).

Reading one trusts nothing in it: members are names, not paths (absolute names, `..`,
links, devices and anything but regular files are refused; nothing is extracted to
disk), sizes are bounded, and a file whose sha256 differs from the manifest's, or a
config whose hash differs from its run's, refuses the whole bundle (one line, exit 2).
A bundle may also be the folder a .tar.gz was unpacked into: read the same way, and a
link in it is refused, never followed.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import json
import os
import stat
import tarfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from fusion_tui import __version__
from fusion_tui.base.errors import ConfigError
from fusion_tui.base.faults import FaultError
from fusion_tui.base.safefile import read_bytes
from fusion_tui.base.textsafe import one_line
from fusion_tui.report.commands import shell_line, sweep_command
from fusion_tui.runs.provenance import config_hash
from fusion_tui.store.models import Run, Sweep
from fusion_tui.sweeps.grid import Axis, Grid
from fusion_tui.sweeps.manager import grid_of, point_of

FORMAT = "fusion-tui reproduction bundle"
VERSION = 1
MANIFEST = "manifest.json"
SWEEPS = "sweeps.json"
SCRIPT = "reproduce.sh"
FILE_LIMIT = 1 << 20  # a config.ini, as a run folder's is read
TOTAL_LIMIT = 256 << 20
MEMBER_LIMIT = 50_000


@dataclass(frozen=True)
class FrozenRun:
    """One run of a bundled sweep: its point, name, template and frozen config."""

    run_id: str
    name: str | None
    template: str
    simulator: str
    point: dict[str, str]
    config: str
    config_hash: str


@dataclass(frozen=True)
class BundledSweep:
    spec: dict[str, Any]  # id, name, template, overrides, grid, seeds, split_loads, executor
    runs: list[FrozenRun]


def sweep_spec(sweep: Sweep) -> dict[str, Any]:
    """What `reproduce` needs of a sweep: its name, template, overrides and executor, and
    its grid field by field (all of `Grid`'s fields, so the bundle keeps what a grid
    holds)."""
    grid = grid_of(sweep)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(grid):
        value = getattr(grid, f.name)
        fields[f.name] = list(value) if isinstance(value, tuple) else value
    fields["axes"] = [[a.key, list(a.values)] for a in grid.axes]
    return {"id": sweep.id, "name": sweep.name, "template": sweep.template,
            "overrides": json.loads(sweep.overrides_json), "executor": sweep.executor,
            "grid": fields}


def grid_from(fields: dict[str, Any]) -> Grid:
    """The `Grid` of `sweep_spec`'s fields (validated as any grid is: ConfigError)."""
    rest = dict(fields)
    axes = tuple(Axis(str(k), tuple(str(v) for v in vs)) for k, vs in rest.pop("axes"))
    options: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                               for k, v in rest.items()}
    return Grid(axes, **options)


def _script(sweeps: Sequence[Sweep]) -> str:
    """The shell script: rebuild from the folder it sits in (every word quoted); the
    commands that made the sweeps from their templates are comments, one line each."""
    made = [f"#   {one_line(shell_line(sweep_command(s)), 100_000)}" for s in sweeps]
    return "\n".join([
        "#!/bin/sh",
        "# Rebuilds the sweeps of this bundle from their frozen configs (the same configs,",
        "# so the same config hashes): run it from anywhere after unpacking the bundle.",
        "# They were made, from their templates as they were then, by:",
        *made,
        "set -eu",
        'here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)',
        'exec fusion-tui reproduce -- "$here"', ""])


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build(sweeps: Sequence[tuple[Sweep, Sequence[Run]]], frozen: dict[str, str]) -> bytes:
    """The bundle as .tar.gz bytes, the same bytes for the same sweeps (fixed times and
    owners). `frozen` is each run's config.ini text by run id; a config that no longer
    matches its run's hash is a fault (the run folder was changed)."""
    files: dict[str, bytes] = {}
    runs_out = []
    for sweep, runs in sweeps:
        for run in runs:
            text = frozen[run.id]
            if run.config_hash is not None and config_hash(text) != run.config_hash:
                raise FaultError(f"run {run.id}: its config.ini no longer matches its config "
                                 "hash (changed after the run was made); not bundled")
            name = f"configs/{sweep.id}/{run.id}.ini"
            files[name] = text.encode("utf-8")
            runs_out.append({"id": run.id, "sweep": sweep.id, "name": run.name,
                             "template": run.template, "simulator": run.simulator,
                             "point": point_of(run), "config": name,
                             "config_hash": config_hash(text)})
    files[SWEEPS] = (json.dumps([sweep_spec(s) for s, _ in sweeps], indent=1) + "\n").encode()
    files[SCRIPT] = _script([s for s, _ in sweeps]).encode("utf-8")
    manifest = {"format": FORMAT, "version": VERSION, "made_by": f"fusion-tui {__version__}",
                "runs": runs_out, "files": {k: _sha256(v) for k, v in sorted(files.items())}}
    files[MANIFEST] = (json.dumps(manifest, indent=1) + "\n").encode("utf-8")
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in [MANIFEST, *sorted(k for k in files if k != MANIFEST)]:
            info = tarfile.TarInfo(f"bundle/{name}")
            info.size, info.mode, info.mtime = len(files[name]), 0o644, 0
            if name == SCRIPT:
                info.mode = 0o755
            tar.addfile(info, io.BytesIO(files[name]))
    return raw.getvalue()


def _member_name(raw: str, where: str) -> str:
    """A member's name as a relative path inside the bundle, or ConfigError for a name
    that would leave it."""
    path = PurePosixPath(raw)
    if path.is_absolute() or ".." in path.parts or "\\" in raw or "\x00" in raw:
        raise ConfigError(f"{where}: member {raw!r} would leave the bundle; refused")
    return "/".join(p for p in path.parts if p != ".")


def _unwrapped(members: dict[str, bytes]) -> dict[str, bytes]:
    """The members without the one folder they all sit in, if they do (`bundle/` as
    `report` packs it, or whatever it was renamed to; a folder that holds the unpacked
    one)."""
    tops = {name.partition("/")[0] for name in members}
    if len(tops) == 1 and all("/" in name for name in members):
        return {name.partition("/")[2]: data for name, data in members.items()}
    return members


def _tar_members(path: Path, where: str) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(path, mode="r:*") as tar:
            for count, member in enumerate(tar):
                if count >= MEMBER_LIMIT:
                    raise ConfigError(f"{where}: more than {MEMBER_LIMIT} members")
                name = _member_name(member.name, where)
                if member.isdir():
                    continue
                if not member.isreg():
                    raise ConfigError(f"{where}: member {member.name!r} is a link or a "
                                      "special file; a bundle holds files only")
                total += member.size
                if member.size > FILE_LIMIT or total > TOTAL_LIMIT:
                    raise ConfigError(f"{where}: member {member.name!r} is too large")
                handle = tar.extractfile(member)
                if handle is None:
                    raise ConfigError(f"{where}: member {member.name!r} cannot be read")
                if name in out:
                    raise ConfigError(f"{where}: member {member.name!r} is there twice")
                out[name] = handle.read(FILE_LIMIT + 1)
    except (tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ConfigError(f"{where}: not a readable .tar.gz ({exc})") from None
    return out


def _folder_members(root: Path, where: str) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    total = 0
    for folder, dirs, names in os.walk(root, followlinks=False):
        for name in [*dirs, *names]:
            full = Path(folder) / name
            mode = os.lstat(full).st_mode
            rel = full.relative_to(root).as_posix()
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode):
                raise ConfigError(f"{where}: {rel} is a link or a special file; a bundle "
                                  "holds files only (links are never followed)")
            if len(out) >= MEMBER_LIMIT:
                raise ConfigError(f"{where}: more than {MEMBER_LIMIT} files")
            try:
                data = read_bytes(full, FILE_LIMIT)
            except OSError as exc:
                raise ConfigError(f"{where}: {rel}: {exc.strerror or exc}") from None
            total += len(data)
            if total > TOTAL_LIMIT:
                raise ConfigError(f"{where}: larger than {TOTAL_LIMIT >> 20} MiB")
            out[rel] = data
    return out


def read(path: Path) -> list[BundledSweep]:
    """The sweeps of the bundle at `path` (.tar.gz or its unpacked folder), checked
    against its manifest; ConfigError (one line) for anything that does not hold."""
    where = f"bundle {path}"
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        raise ConfigError(f"{where}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(mode):
        raise ConfigError(f"{where}: a symbolic link; name the bundle itself")
    if stat.S_ISDIR(mode):
        members = _unwrapped(_folder_members(path, where))
    elif stat.S_ISREG(mode):
        members = _unwrapped(_tar_members(path, where))
    else:
        raise ConfigError(f"{where}: neither a .tar.gz nor a folder")
    return _checked(members, where)


def _json_member(members: dict[str, bytes], name: str, where: str) -> Any:
    if name not in members:
        raise ConfigError(f"{where}: no {name}")
    try:
        return json.loads(members[name])
    except (ValueError, UnicodeDecodeError):
        raise ConfigError(f"{where}: {name} is not JSON") from None


def _checked(members: dict[str, bytes], where: str) -> list[BundledSweep]:
    manifest = _json_member(members, MANIFEST, where)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ConfigError(f"{where}: {MANIFEST} is not a fusion-tui bundle's manifest")
    if manifest.get("version") != VERSION:
        raise ConfigError(f"{where}: bundle version {manifest.get('version')!r}; this "
                          f"fusion-tui reads version {VERSION}")
    hashes = manifest.get("files")
    if not isinstance(hashes, dict) or SWEEPS not in hashes:
        raise ConfigError(f"{where}: {MANIFEST} lists no files")
    for name, digest in hashes.items():
        if name not in members:
            raise ConfigError(f"{where}: {name}, listed in {MANIFEST}, is missing")
        if _sha256(members[name]) != digest:
            raise ConfigError(f"{where}: {name} does not match its sha256 in {MANIFEST}; "
                              "the bundle was changed")
    try:
        specs = {s["id"]: s for s in json.loads(members[SWEEPS])}
        frozen: dict[str, list[FrozenRun]] = {sid: [] for sid in specs}
        for r in manifest["runs"]:
            text = members[r["config"]].decode("utf-8") if r["config"] in hashes else None
            if text is None:
                raise ConfigError(f"{where}: run {r['id']}'s config is not in {MANIFEST}")
            if config_hash(text) != r["config_hash"]:
                raise ConfigError(f"{where}: {r['config']} does not match run {r['id']}'s "
                                  "config hash")
            frozen[r["sweep"]].append(FrozenRun(
                str(r["id"]), r["name"], str(r["template"]), str(r["simulator"]),
                {str(k): str(v) for k, v in r["point"].items()}, text, r["config_hash"]))
    except (KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: {MANIFEST} or {SWEEPS} is malformed ({exc!r})") from None
    return [BundledSweep(spec, frozen[sid]) for sid, spec in specs.items()]
