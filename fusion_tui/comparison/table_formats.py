"""The comparison's table (`table.ResultTable`) as Markdown and as LaTeX (booktabs), for a
paper or its notes: the same rows, cells and legend as the terminal's text. Group labels
and notes come from configs, so they are escaped for each format (a `|` in Markdown, `&`,
`%`, `_`, `\\` ... in LaTeX), never passed through as markup.

    render_markdown(table: ResultTable) -> str
    render_latex(table: ResultTable, *, caption: str | None = None,
                 label: str | None = None) -> str
"""

from __future__ import annotations

import re

from fusion_tui.base.textsafe import one_line
from fusion_tui.comparison.table import ResultTable, TableCell, cell_text

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")
_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$",
                  "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
                  "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  "<": r"\textless{}", ">": r"\textgreater{}"}


def markdown_escape(text: str) -> str:
    """Text shown as it is in a Markdown table cell (one line, specials escaped)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text, 200))


def latex_escape(text: str) -> str:
    """Text shown as it is in LaTeX (one line, every special character escaped)."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in one_line(text, 200))


def _markdown_cell(cell: TableCell) -> str:
    return markdown_escape(cell_text(cell))


def render_markdown(table: ResultTable) -> str:
    """A pipe table (GitHub/pandoc), a row of differences under each load when there is a
    baseline, the legend as a paragraph under it."""
    header = [table.erlang_header] + [
        markdown_escape(c.label) + (f" ({markdown_escape(c.note)})" if c.note else "")
        for c in table.columns]
    lines = [f"**{markdown_escape(table.title)}**", "",
             "| " + " | ".join(header) + " |",
             "|" + "|".join(["---:"] * len(header)) + "|"]
    for row in table.rows:
        lines.append("| " + " | ".join([f"{row.erlang:g}",
                                        *(_markdown_cell(c) for c in row.cells)]) + " |")
        if table.has_baseline:
            lines.append("| " + " | ".join(["vs baseline", *(markdown_escape(c.relative)
                                                              for c in row.cells)]) + " |")
    if table.legend:
        lines += ["", *(markdown_escape(text) + "  " for text in table.legend)]
        lines[-1] = lines[-1].rstrip()
    return "\n".join(lines) + "\n"


def _latex_cell(cell: TableCell) -> str:
    """`0.1162 [0.1124, 0.1200]$^{**}$`: the numbers in text, the mark raised."""
    text = " ".join(t for t in (cell.value, cell.bounds) if t)
    text = latex_escape(text).replace("-", "$-$") if text != "-" else "--"
    return text + (f"$^{{{cell.mark}}}$" if cell.mark else "")


def render_latex(table: ResultTable, *, caption: str | None = None,
                 label: str | None = None) -> str:
    """A `table` float with a booktabs `tabular` (needs `\\usepackage{booktabs}`): a
    right-aligned column per group, the loads as the first column, the differences to the
    baseline in a row under each load, the legend as a footnote-sized paragraph."""
    count = len(table.columns)
    lines = [r"\begin{table}[t]", r"\centering", r"\small"]
    if caption is not None or table.title:
        lines.append(r"\caption{" + latex_escape(caption if caption is not None
                                                 else table.title) + "}")
    if label:
        lines.append(r"\label{" + re.sub(r"[^A-Za-z0-9:._-]", "-", label) + "}")
    lines += [r"\begin{tabular}{r" + "r" * count + "}", r"\toprule"]
    lines.append(" & ".join([latex_escape(table.erlang_header),
                             *(latex_escape(c.label) for c in table.columns)]) + r" \\")
    if any(c.note for c in table.columns):
        lines.append(" & ".join(["", *(r"\footnotesize " + latex_escape(c.note)
                                       if c.note else "" for c in table.columns)]) + r" \\")
    lines.append(r"\midrule")
    for row in table.rows:
        lines.append(" & ".join([f"{row.erlang:g}", *(_latex_cell(c) for c in row.cells)])
                     + r" \\")
        if table.has_baseline:
            lines.append(" & ".join([r"\footnotesize vs baseline", *(
                r"\footnotesize " + latex_escape(c.relative).replace("-", "$-$")
                if c.relative else "" for c in row.cells)]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if table.legend:
        lines += [r"\par\smallskip", r"{\footnotesize " + r" \\ ".join(
            latex_escape(text) for text in table.legend) + "}"]
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"
