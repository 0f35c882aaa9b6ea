"""A sweep's point as text: in full for run names (`k_paths=2 seed=3`), compactly for
the run list (`k=2 ff s=3`). Standard library only: the run list's first frame uses it."""

from __future__ import annotations

import re


def point_label(point: dict[str, str]) -> str:
    """`k_paths=2 seed=3 erlang=300`: short keys, for run names and lists."""
    return " ".join(f"{k.partition('.')[2] or k}={v}" for k, v in point.items())


def compact_label(point: dict[str, str]) -> str:
    """`k=2 ff s=3` for `k_paths=2 allocation_method=first_fit seed=3`: a sweep run's
    differing parameters in the width of a list's column. A value that says what it is
    (a word such as `first_fit`) stands alone, its words' initials when it has several;
    a number or a list keeps its key, shortened to its first letter, or to its words'
    initials (then its whole name) where that letter is not unique."""
    named = {key: value for key, value in point.items() if not _says_itself(value)}
    keys = _short_keys([k.rpartition(".")[2] for k in named])
    parts = []
    for key, value in point.items():
        if key in named:
            parts.append(f"{keys[key.rpartition('.')[2]]}={_cut(value, 10)}")
        else:
            words = [w for w in re.split(r"[_\-\s]+", value) if w]
            parts.append("".join(w[0] for w in words).lower() if len(words) > 1
                         else _cut(value, 8))
    return " ".join(parts)


def _says_itself(value: str) -> bool:
    """A word (not a number, a truth value, a list or a dict) names what it is."""
    text = value.strip()
    if not text or text[0] in "[{(\"'" or text.lower() in ("true", "false", "none"):
        return False
    try:
        float(text)
    except ValueError:
        return any(ch.isalpha() for ch in text)
    return False


def _short_keys(names: list[str]) -> dict[str, str]:
    """Each name's shortest form among first letter, words' initials and the name, that
    no other name shares."""
    def forms(name: str) -> list[str]:
        words = [w for w in name.split("_") if w]
        return [name[:1], "".join(w[0] for w in words) if len(words) > 1 else name[:2], name]

    out = {}
    for name in names:
        others = [forms(n) for n in names if n != name]
        out[name] = next((form for level, form in enumerate(forms(name))
                          if all(o[level] != form for o in others)), name)
    return out


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def name_without_point(name: str | None, point: dict[str, str]) -> str:
    """A sweep run's name without the point its sweep appended (`point_label`): the
    sweep's own name, or the template's."""
    if not name:
        return ""
    label = point_label(point)
    return name[:-len(label)].rstrip() if label and name.endswith(label) else name
