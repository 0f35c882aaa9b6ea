"""The report's provenance appendix (Markdown and LaTeX): per group, the config hash of
each run, the simulator and its version (fusion-tui's own, or FUSION's commit), the
hosts, the dates, and the exact fusion-tui commands that re-create each run; per sweep,
the command that made it and the one that rebuilds it from the bundle."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fusion_tui.comparison.compare import Comparison, Group
from fusion_tui.report.commands import reproduce_command, run_command, shell_line, sweep_command
from fusion_tui.report.escape import latex_text, markdown_code_block, markdown_text
from fusion_tui.store.models import Run, Sweep


@dataclass(frozen=True)
class GroupFacts:
    """What the appendix says about one group, as plain text (escaped when written)."""

    label: str
    runs: int
    hashes: list[str]
    simulators: list[str]
    hosts: list[str]
    created: str
    finished: str
    commands: list[str]


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def _version(run: Run) -> str:
    prov = json.loads(run.provenance_json) if run.provenance_json else {}
    simulator = prov.get("simulator", run.simulator)
    if prov.get("fusion_commit"):
        return f"{simulator} (FUSION commit {prov['fusion_commit']})"
    version = prov.get("simulator_version") or prov.get("fusion_tui_version") or "?"
    return f"{simulator} {version}"


def _host(run: Run) -> str:
    prov = json.loads(run.provenance_json) if run.provenance_json else {}
    return str(run.hostname or prov.get("host") or "-")


def group_facts(group: Group, sweeps: dict[str, Sweep]) -> GroupFacts:
    runs = sorted((d.run for d in group.runs), key=lambda r: (r.created_at, r.id))
    created = [r.created_at for r in runs]
    finished = [r.completed_at for r in runs if r.completed_at is not None]
    return GroupFacts(
        group.label, len(runs), [r.config_hash or "-" for r in runs],
        sorted({_version(r) for r in runs}), sorted({_host(r) for r in runs}),
        f"{_when(min(created))} to {_when(max(created))}" if created else "-",
        _when(max(finished)) if finished else "not finished",
        [shell_line(run_command(r, sweeps.get(r.sweep_id or ""))) for r in runs])


def facts_of(comparison: Comparison, sweeps: Sequence[Sweep]) -> list[GroupFacts]:
    """Each group's facts, in the comparison's order (both renderings use them)."""
    by_id = {s.id: s for s in sweeps}
    return [group_facts(g, by_id) for g in comparison.groups]


def markdown(facts: Sequence[GroupFacts], sweeps: Sequence[Sweep], bundle: str) -> str:
    out = ["# Provenance", ""]
    if sweeps:
        out += ["## Sweeps", ""]
        for sweep in sweeps:
            out += [f"Sweep `{sweep.id}` {markdown_text(sweep.name or '')} "
                    f"(template {markdown_text(sweep.template)}, made "
                    f"{_when(sweep.created_at)}), as it was made:", "",
                    markdown_code_block([shell_line(sweep_command(sweep))]), ""]
        out += ["The same frozen configs (so the same config hashes), from the bundle:", "",
                markdown_code_block([shell_line(reproduce_command(bundle))]), ""]
    out += ["## Groups", ""]
    for group in facts:
        out += [f"### {markdown_text(group.label)}", "",
                f"- runs: {group.runs}",
                f"- simulator: {', '.join(markdown_text(s) for s in group.simulators)}",
                f"- hosts: {', '.join(markdown_text(h) for h in group.hosts)}",
                f"- created: {group.created}; last finished: {group.finished}",
                "- config hashes (sha256 of each run's frozen config.ini): "
                + ", ".join(f"`{h}`" for h in group.hashes), "",
                "Each run, re-created from its template:", "",
                markdown_code_block(group.commands), ""]
    return "\n".join(out)


def _latex_commands(commands: list[str]) -> list[str]:
    """Command lines in a typewriter list that may break at spaces (LaTeX-escaped)."""
    return [r"\begin{itemize}\small", *(rf"\item \texttt{{{latex_text(c, 100_000)}}}"
                                        for c in commands), r"\end{itemize}"]


def latex(facts: Sequence[GroupFacts], sweeps: Sequence[Sweep], bundle: str) -> str:
    """The appendix as a LaTeX fragment (`\\input` it; needs no package)."""
    out = [r"\section*{Provenance}"]
    for sweep in sweeps:
        out += [rf"\subsection*{{Sweep \texttt{{{sweep.id}}} {latex_text(sweep.name or '')}}}",
                rf"Template \texttt{{{latex_text(sweep.template)}}}, made "
                rf"{_when(sweep.created_at)}, as it was made:",
                *_latex_commands([shell_line(sweep_command(sweep))])]
    if sweeps:
        out += ["The same frozen configs (so the same config hashes), from the bundle:",
                *_latex_commands([shell_line(reproduce_command(bundle))])]
    for group in facts:
        out += [rf"\subsection*{{{latex_text(group.label)}}}", r"\begin{itemize}",
                rf"\item runs: {group.runs}",
                rf"\item simulator: {latex_text(', '.join(group.simulators))}",
                rf"\item hosts: {latex_text(', '.join(group.hosts))}",
                rf"\item created: {group.created}; last finished: {group.finished}",
                r"\item config hashes (sha256 of each run's frozen config.ini):",
                r"\begin{itemize}\footnotesize",
                *(rf"\item \texttt{{{latex_text(h)}}}" for h in group.hashes),
                r"\end{itemize}", r"\end{itemize}", "Each run, re-created from its template:",
                *_latex_commands(group.commands)]
    return "\n".join(out) + "\n"
