"""`fusion-tui report` and `reproduce` as a user runs them (child processes, a real store,
run folders made by the real sweep manager and finished by the simulator's own result
writer): the figure renders (pdftoppm) and reads (pdftotext), the LaTeX compiles
(pdflatex, when installed), the bundle rebuilds the same frozen configs, and a bundle or
an output folder that does not hold is refused in one line with nothing made."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from conftest import make_settings
from finished_sweeps import finished_sweep
from helpers import Cli

from fusion_tui.base.settings import Settings
from fusion_tui.services import Services
from fusion_tui.sweeps.grid import Grid, parse_axis
from fusion_tui.sweeps.manager import SweepDetail, point_of

LOADS = [100.0, 200.0, 300.0, 400.0, 500.0]
BASELINE = "allocation_method=first_fit,k_paths=1"
OKABE_ORANGE = (0xE6, 0x9F, 0x00)
# Every character LaTeX, Markdown or a shell would take for markup, in a sweep's name.
HOSTILE_NAME = "fit & study_1 50% #2 {x} ~y ^z \\end{document} $HOME `id` 'q' | <b>"


def _level(point: dict[str, str], erlang: float) -> float:
    k = int(point["routing_settings.k_paths"])
    fit = 1.2 if point["general_settings.allocation_method"] == "best_fit" else 1.0
    growth: float = (erlang / 100) ** 1.5
    return 0.002 * growth / k * fit


def _sweep(svc: Services, name: str = "fit study") -> SweepDetail:
    grid = Grid((parse_axis("routing_settings.k_paths=1,3"),
                 parse_axis("general_settings.allocation_method=first_fit,best_fit")),
                (1, 2, 3))
    return finished_sweep(svc, grid, LOADS, _level, name=name)


@pytest.fixture
def lite(tmp_path: Path, sqlite_url: str,
         services_with: Callable[[Settings], Services]) -> tuple[Settings, Services]:
    settings = make_settings(tmp_path, sqlite_url)
    return settings, services_with(settings)


def _ok(cli: Cli, settings: Settings, *args: str) -> Any:
    out = cli(settings, *args, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _refused(out: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2 and one line on stderr holding `words`."""
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("fusion-tui: "), out.stderr
    for word in words:
        assert word in out.stderr, out.stderr


def _latex_document(body: str) -> str:
    return "\n".join([r"\documentclass{article}",
                      r"\usepackage{booktabs}", r"\usepackage{pgf}" if _has_pgf() else "",
                      r"\begin{document}", body, r"\end{document}", ""])


def _has_pgf() -> bool:
    found = shutil.which("kpsewhich")
    return found is not None and subprocess.run(
        [found, "pgf.sty"], capture_output=True, text=True).stdout.strip() != ""


def _compiles(folder: Path, body: str) -> None:
    """The body compiles in a plain article (pdflatex, halting on the first error); where
    no TeX is installed, its environments and braces balance at least."""
    if shutil.which("pdflatex") is None:
        begins = re.findall(r"\\begin\{(\w+)\}", body)
        ends = re.findall(r"\\end\{(\w+)\}", body)
        assert sorted(begins) == sorted(ends)
        unescaped = re.sub(r"\\[{}]", "", body)
        assert unescaped.count("{") == unescaped.count("}")
        return
    (folder / "doc.tex").write_text(_latex_document(body))
    out = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                         cwd=folder, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-3000:]
    assert (folder / "doc.pdf").read_bytes().startswith(b"%PDF")


def _png_pixels(path: Path) -> Any:
    import matplotlib.image

    return matplotlib.image.imread(str(path))


def test_report_writes_figures_tables_appendix_and_bundle(
        cli: Cli, lite: tuple[Settings, Services], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    if shutil.which("pdftoppm") is None:
        pytest.skip("needs poppler-utils (pdftoppm, pdftotext)")
    settings, svc = lite
    detail = _sweep(svc, name=HOSTILE_NAME)
    paper = tmp_path / "paper"
    made = _ok(cli, settings, "report", detail.sweep.id, "-o", str(paper),
               "--baseline", BASELINE)
    expected = {"blocking.pdf", "blocking.svg", "table.md", "table.tex", "provenance.md",
                "provenance.tex", "bundle.tar.gz"}
    assert expected <= set(made["files"]) and made["series"] == 4
    assert sorted(p.name for p in paper.iterdir()) == sorted(made["files"])

    # The PDF: one page, an IEEE column wide (3.5 in at 100 dpi), with the series drawn
    # in the palette; keep the PNG for a person to look at (KEEP_REPORT_PNG).
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(paper / "blocking.pdf"),
                    str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1
    if os.environ.get("KEEP_REPORT_PNG"):
        shutil.copy(pages[0], os.environ["KEEP_REPORT_PNG"])
    pixels = _png_pixels(pages[0])
    assert pixels.shape[1] == 350
    rgb = (pixels[:, :, :3] * 255).round().astype(int)
    orange = ((abs(rgb - OKABE_ORANGE)).sum(axis=2) < 30).sum()
    assert orange > 50  # the second series, in Okabe-Ito orange
    text = subprocess.run(["pdftotext", str(paper / "blocking.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "Traffic load (Erlang)" in text and "Blocking probability" in text
    assert "k_paths, allocation_method" in text and "3, best_fit" in text  # the legend
    assert "\N{MULTIPLICATION SIGN}" not in text  # no 2.2x10^-1 ticks
    assert "study" not in text  # no title by default (the sweep's name)
    ElementTree.parse(paper / "blocking.svg")

    # The tables: a row per load (and one of differences under it), a column per group.
    markdown = (paper / "table.md").read_text()
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + 2 * len(LOADS) and all(r.count(" | ") == 4 for r in rows)
    assert "k\\_paths=1 allocation\\_method=first\\_fit (baseline)" in rows[0]
    assert "paired (3 seeds)" in re.sub(r"\\(.)", r"\1", markdown)  # Markdown's escapes off
    latex = (paper / "table.tex").read_text()
    assert r"\toprule" in latex and r"\bottomrule" in latex

    # The appendix: every run's config hash, and commands a shell splits back into argv.
    appendix = (paper / "provenance.md").read_text()
    for run in detail.runs:
        assert run.config_hash and run.config_hash in appendix
    commands = [shlex.split(line) for line in appendix.splitlines()
                if line.startswith("fusion-tui ")]
    assert len(commands) == len(detail.runs) + 2
    assert ["fusion-tui", "reproduce", "bundle.tar.gz"] in commands
    made_by = next(c for c in commands if c[1:3] == ["sweep", "new"])
    assert made_by[made_by.index("--grid") + 1] == "routing_settings.k_paths=1,3"
    assert made_by[made_by.index("-n") + 1] == HOSTILE_NAME

    body = "\n".join([latex, (paper / "provenance.tex").read_text(),
                      *([r"\input{blocking.pgf}"] if (paper / "blocking.pgf").exists()
                        and _has_pgf() else [])])
    _compiles(paper, body)


def _frozen(svc: Services, detail: SweepDetail) -> dict[tuple[tuple[str, str], ...],
                                                         tuple[str, str | None]]:
    """Each run's point -> (its config.ini text, its config hash)."""
    return {tuple(sorted(point_of(r).items())): (svc.manager.paths(r).config.read_text(),
                                                 r.config_hash) for r in detail.runs}


def test_bundle_round_trip_gives_the_same_frozen_configs_and_hashes(
        cli: Cli, settings: Settings, services_with: Callable[[Settings], Services],
        tmp_path: Path) -> None:
    svc = services_with(settings)
    detail = _sweep(svc, name="it's $HOME; `x`")
    paper = tmp_path / "paper"
    _ok(cli, settings, "report", detail.sweep.id, "-o", str(paper), "--no-figures")
    before = _frozen(svc, detail)

    made = _ok(cli, settings, "reproduce", str(paper / "bundle.tar.gz"))
    assert [m["from"] for m in made] == [detail.sweep.id] and made[0]["runs"] == 12
    again = svc.sweeps.detail(made[0]["sweep"])
    assert again.sweep.name == detail.sweep.name and again.grid == detail.grid
    assert _frozen(svc, again) == before

    # The unpacked folder, through the bundle's own script (a folder whose name a shell
    # would split or expand: the script quotes it).
    unpacked = tmp_path / "my 'bundle' $x"
    with tarfile.open(paper / "bundle.tar.gz") as tar:
        tar.extractall(unpacked, filter="data")
    script = unpacked / "bundle" / "reproduce.sh"
    env = cli.env(settings, PATH=f"{Path(sys.executable).parent}{os.pathsep}"
                                 f"{os.environ.get('PATH', '')}")
    out = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    newest = svc.sweeps.listing()[0].sweep
    assert newest.id not in (detail.sweep.id, again.sweep.id)
    assert _frozen(svc, svc.sweeps.detail(newest.id)) == before


def _members(bundle: Path) -> list[tuple[tarfile.TarInfo, bytes | None]]:
    with tarfile.open(bundle) as tar:
        return [(m, tar.extractfile(m).read() if m.isreg() else None)  # type: ignore[union-attr]
                for m in tar.getmembers()]


def _write(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _extra(name: str, data: bytes | None = b"x", kind: bytes = tarfile.REGTYPE,
           link: str = "") -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info, data


def _tampered(members: list[tuple[tarfile.TarInfo, bytes | None]],
              ) -> list[tuple[tarfile.TarInfo, bytes | None]]:
    """A config's `k_paths` changed, the manifest left as it was."""
    return [(i, d.replace(b"k_paths = 1", b"k_paths = 2") if d and i.name.endswith(".ini")
             else d) for i, d in members]


def _rehashed(members: list[tuple[tarfile.TarInfo, bytes | None]],
              ) -> list[tuple[tarfile.TarInfo, bytes | None]]:
    """A config changed and the manifest's file hashes made to match it, but not the
    run's config hash."""
    import hashlib

    changed = _tampered(members)
    manifest = json.loads(next(d for i, d in changed if i.name.endswith("manifest.json")
                               ) or b"")
    for info, data in changed:
        name = info.name.partition("/")[2]
        if name in manifest["files"] and data is not None:
            manifest["files"][name] = hashlib.sha256(data).hexdigest()
    text = json.dumps(manifest).encode()
    return [(i, text if i.name.endswith("manifest.json") else d) for i, d in changed]


HOSTILE: dict[str, tuple[Callable[[list[tuple[tarfile.TarInfo, bytes | None]]],
                                  list[tuple[tarfile.TarInfo, bytes | None]]], str]] = {
    "a config changed": (_tampered, "does not match its sha256"),
    "manifest rehashed": (_rehashed, "does not match run"),
    "a member climbs out": (lambda m: [*m, _extra("bundle/../../evil.txt")],
                            "would leave the bundle"),
    "an absolute member": (lambda m: [*m, _extra("/tmp/fusion-tui-evil.txt")],
                           "would leave the bundle"),
    "a symbolic link": (lambda m: [*m, _extra("bundle/configs/link.ini", None,
                                              tarfile.SYMTYPE, "/etc/passwd")],
                        "a link or a special file"),
    "a hard link": (lambda m: [*m, _extra("bundle/configs/hard.ini", None, tarfile.LNKTYPE,
                                          "/etc/passwd")], "a link or a special file"),
    "a device": (lambda m: [*m, _extra("bundle/dev", None, tarfile.CHRTYPE)],
                 "a link or a special file"),
    "no manifest": (lambda m: [(i, d) for i, d in m if not i.name.endswith("manifest.json")],
                    "no manifest.json"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_bundle_that_does_not_hold_is_refused_and_nothing_is_made(
        cli: Cli, lite: tuple[Settings, Services], tmp_path: Path, case: str) -> None:
    settings, svc = lite
    detail = _sweep(svc)
    paper = tmp_path / "paper"
    _ok(cli, settings, "report", detail.sweep.id, "-o", str(paper), "--no-figures")
    change, words = HOSTILE[case]
    hostile = _write(tmp_path / "hostile.tar.gz", change(_members(paper / "bundle.tar.gz")))
    cwd = tmp_path / "deep" / "er"
    cwd.mkdir(parents=True)
    runs_before = sorted(os.listdir(settings.runs_dir))
    out = cli.run("reproduce", str(hostile), env=cli.env(settings), cwd=cwd)
    _refused(out, *words.split(" | "))
    assert [s.sweep.id for s in svc.sweeps.listing()] == [detail.sweep.id]
    assert sorted(os.listdir(settings.runs_dir)) == runs_before
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/fusion-tui-evil.txt").exists()


def test_an_unpacked_bundle_with_a_link_in_it_is_refused(
        cli: Cli, lite: tuple[Settings, Services], tmp_path: Path) -> None:
    settings, svc = lite
    detail = _sweep(svc)
    paper = tmp_path / "paper"
    _ok(cli, settings, "report", detail.sweep.id, "-o", str(paper), "--no-figures")
    with tarfile.open(paper / "bundle.tar.gz") as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    made = _ok(cli, settings, "reproduce", str(tmp_path / "unpacked"))  # the folder above
    assert [m["from"] for m in made] == [detail.sweep.id]
    folder = tmp_path / "unpacked" / "bundle"
    config = next((folder / "configs").rglob("*.ini"))
    outside = tmp_path / "outside.ini"
    outside.write_text(config.read_text())
    config.unlink()
    config.symlink_to(outside)  # same content, but through a link: never followed
    _refused(cli(settings, "reproduce", str(folder)), "a link or a special file")
    _refused(cli(settings, "reproduce", str(tmp_path / "missing.tar.gz")), "missing.tar.gz")
    assert len(svc.sweeps.listing()) == 2  # the original and the one rebuilt above


def test_the_output_folder_is_new_empty_or_forced_and_never_a_link(
        cli: Cli, lite: tuple[Settings, Services], tmp_path: Path) -> None:
    settings, svc = lite
    sweep_id = _sweep(svc).sweep.id
    report = ("report", sweep_id, "--no-figures")

    full = tmp_path / "full"
    full.mkdir()
    (full / "table.md").write_text("mine")
    _refused(cli(settings, *report, "-o", str(full)), "not empty", "--force")
    assert (full / "table.md").read_text() == "mine" and len(list(full.iterdir())) == 1
    _ok(cli, settings, *report, "-o", str(full), "--force")
    assert (full / "table.md").read_text() != "mine" and (full / "bundle.tar.gz").is_file()

    target = tmp_path / "target"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    _refused(cli(settings, *report, "-o", str(link), "--force"), "symbolic link")
    assert list(target.iterdir()) == []

    trap = tmp_path / "trap"
    trap.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (trap / "provenance.md").symlink_to(victim)
    _refused(cli(settings, *report, "-o", str(trap), "--force"), "symbolic link")
    assert victim.read_text() == "keep" and sorted(p.name for p in trap.iterdir()) == [
        "provenance.md"]  # every name checked before the first file was written

    _refused(cli(settings, *report, "-o", str(tmp_path / "no" / "such")), "does not exist")
    assert not (tmp_path / "no").exists()
    run_id = svc.sweeps.detail(sweep_id).runs[0].id
    _refused(cli(settings, "report", run_id, "-o", str(tmp_path / "x")), "report takes sweeps")
    assert not (tmp_path / "x").exists()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_without_matplotlib_the_report_has_its_tables_and_says_how_to_get_figures(
        cli: Cli, lite: tuple[Settings, Services], tmp_path: Path) -> None:
    settings, svc = lite
    sweep_id = _sweep(svc).sweep.id
    blocker = tmp_path / "blocker" / "matplotlib"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('blocked for this test')\n")
    paper = tmp_path / "paper"
    out = cli(settings, "report", sweep_id, "-o", str(paper), PYTHONPATH=str(blocker.parent))
    assert out.returncode == 0, out.stderr
    notes = [line for line in out.stdout.splitlines() if line.startswith("note: ")]
    assert notes == ["note: no figures: they need matplotlib (pip install "
                     "'fusion-tui[plots]')"]
    assert sorted(p.name for p in paper.iterdir()) == [
        "bundle.tar.gz", "provenance.md", "provenance.tex", "table.md", "table.tex"]


def _retemplated(members: list[tuple[tarfile.TarInfo, bytes | None]], template: str,
                 ) -> list[tuple[tarfile.TarInfo, bytes | None]]:
    """A bundle made consistently (hashes and all) for another template name."""
    import hashlib

    def data(name: str) -> Any:
        return json.loads(next(d for i, d in members if i.name.endswith(name)) or b"")

    specs = data("sweeps.json")
    for spec in specs:
        spec["template"] = template
    sweeps_text = json.dumps(specs).encode()
    manifest = data("manifest.json")
    for run in manifest["runs"]:
        run["template"] = template
    manifest["files"]["sweeps.json"] = hashlib.sha256(sweeps_text).hexdigest()
    manifest_text = json.dumps(manifest).encode()
    return [(i, sweeps_text if i.name.endswith("sweeps.json") else manifest_text
             if i.name.endswith("manifest.json") else d) for i, d in members]


def test_a_bundle_whose_template_is_not_here_is_refused_before_anything_is_made(
        cli: Cli, lite: tuple[Settings, Services], tmp_path: Path) -> None:
    settings, svc = lite
    first, second = _sweep(svc, name="one"), _sweep(svc, name="two")
    paper = tmp_path / "paper"
    _ok(cli, settings, "report", first.sweep.id, second.sweep.id, "-o", str(paper),
        "--no-figures")
    elsewhere = _write(tmp_path / "elsewhere.tar.gz",
                       _retemplated(_members(paper / "bundle.tar.gz"), "no_such_template"))
    _refused(cli(settings, "reproduce", str(elsewhere)), "unknown template 'no_such_template'")
    assert len(svc.sweeps.listing()) == 2

    made = _ok(cli, settings, "reproduce", str(paper / "bundle.tar.gz"))
    assert [m["from"] for m in made] == [first.sweep.id, second.sweep.id]
    for old, new in zip((first, second), made, strict=True):
        assert _frozen(svc, svc.sweeps.detail(new["sweep"])) == _frozen(svc, old)


def test_a_run_folder_changed_since_leaves_the_bundle_out_and_says_why(
        cli: Cli, lite: tuple[Settings, Services], tmp_path: Path) -> None:
    settings, svc = lite
    detail = _sweep(svc)
    config = svc.manager.paths(detail.runs[0]).config
    config.write_text(config.read_text() + "\n; edited by hand\n")
    paper = tmp_path / "paper"
    made = _ok(cli, settings, "report", detail.sweep.id, "-o", str(paper), "--no-figures")
    assert "bundle.tar.gz" not in made["files"] and not (paper / "bundle.tar.gz").exists()
    assert made["notes"] == [f"no bundle.tar.gz: run {detail.runs[0].id}: its config.ini no "
                             "longer matches its config hash (changed after the run was "
                             "made); not bundled"]
    assert (paper / "table.md").is_file() and (paper / "provenance.md").is_file()
