"""Text from outside (names, labels, config values, hosts) made literal in the report's
Markdown and LaTeX: it prints as it is and never turns into markup, a command or a
broken document. Control characters and terminal escapes are made visible first."""

from __future__ import annotations

import re

from fusion_tui.base.textsafe import one_line

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
                  "|": r"\textbar{}", "-": "-{}"}  # `-{}`: no `--` dash ligature in commands
_LATEX_TABLE = str.maketrans(_LATEX_SPECIAL)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")
_BACKTICKS = re.compile(r"`+")


def latex_text(text: str, limit: int = 400) -> str:
    """One line of text as LaTeX that prints it literally."""
    return one_line(text, limit).translate(_LATEX_TABLE)


def markdown_text(text: str, limit: int = 400) -> str:
    """One line of text as Markdown that prints it literally (also inside a table cell)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text, limit))


def markdown_code_block(lines: list[str]) -> str:
    """Lines in a fenced block whose fence no line can close: longer than any run of
    backticks inside (command lines are kept exact: they are shell-quoted, one a line)."""
    longest = max((len(m) for line in lines for m in _BACKTICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return "\n".join([f"{fence}sh", *lines, fence])
