"""The one parser of run filters: the app's `/` field (`status:running tag:baseline
template:minimal sweep:ID k_paths=3` plus free text) and the command line's `--status
--tag --template --sweep --where` both build their `RunFilter` here.

In the field, words are split at blanks outside quotes (quotes group words); a word
`status:`, `tag:`, `template:` or `sweep:` followed by its value is that filter, a word
with `=` (outside quotes) is a parameter filter, and every other word is free text,
the words joined with single spaces. A quoted word is always text.
"""

from __future__ import annotations

from collections.abc import Iterable

from fusion_tui.base.errors import ConfigError
from fusion_tui.store.labels import check_tag
from fusion_tui.store.params import ParamFilter
from fusion_tui.store.query import FIELDS, RunFilter
from fusion_tui.store.status import RunStatus

_HEX = frozenset("0123456789abcdef")


def parse_statuses(values: Iterable[str]) -> frozenset[RunStatus]:
    """Statuses from words that may hold comma lists, any case (`running,failed`)."""
    out = set()
    for value in values:
        if not value.strip(", "):
            raise ConfigError("status: empty; expected one of "
                              f"{', '.join(s.value.lower() for s in RunStatus)}")
        for word in value.split(","):
            word = word.strip().upper()
            if not word:
                continue
            try:
                out.add(RunStatus(word))
            except ValueError:
                raise ConfigError(f"status {word.lower()!r}: expected one of "
                                  f"{', '.join(s.value.lower() for s in RunStatus)}") from None
    return frozenset(out)


def parse_sweep(value: str) -> str:
    """A sweep id or a prefix of one (4+ hex characters)."""
    value = value.strip().lower()
    if len(value) < 4 or len(value) > 12 or not set(value) <= _HEX:
        raise ConfigError(f"sweep {value!r}: expected a sweep id or its first 4+ characters")
    return value


def parse_template(value: str) -> str:
    value = value.strip()
    if not value or len(value) > 100 or any(ord(ch) < 32 for ch in value):
        raise ConfigError(f"template {value!r}: expected a template's name")
    return value


def build_filter(*, statuses: Iterable[str] = (), tags: Iterable[str] = (),
                 template: str | None = None, sweep: str | None = None,
                 where: Iterable[str] = (), text: str = "") -> RunFilter:
    """A filter from its parts as typed, each checked (ConfigError naming the part)."""
    return RunFilter(statuses=parse_statuses(statuses),
                     tags=frozenset(check_tag(t) for t in tags),
                     template=parse_template(template) if template is not None else None,
                     sweep=parse_sweep(sweep) if sweep is not None else None,
                     params=tuple(ParamFilter.parse(w) for w in where), text=text.strip())


def parse_filter(text: str) -> RunFilter:
    """The app's filter field as a `RunFilter`; ConfigError naming the word that is wrong."""
    parts: dict[str, list[str]] = {name: [] for name in FIELDS}
    where: list[str] = []
    free: list[str] = []
    for word, quoted in _words(text):
        name, colon, value = word.partition(":")
        if not quoted and colon and name.lower() in FIELDS:
            parts[name.lower()].append(value)
        elif not quoted and "=" in word:
            where.append(word)
        else:
            free.append(word)
    for name in ("template", "sweep"):
        if len(parts[name]) > 1:
            raise ConfigError(f"{name}: given {len(parts[name])} times; a run has one")
    return build_filter(statuses=parts["status"] or (), tags=parts["tag"],
                        template=parts["template"][0] if parts["template"] else None,
                        sweep=parts["sweep"][0] if parts["sweep"] else None,
                        where=where, text=" ".join(free))


def _words(text: str) -> list[tuple[str, bool]]:
    """The words of `text` split at blanks outside quotes (' or "), each with whether any
    of it was quoted; an unclosed quote runs to the end (the field is typed live)."""
    words: list[tuple[str, bool]] = []
    word: list[str] = []
    quote: str | None = None
    quoted = False
    for ch in text:
        if quote is not None:
            if ch == quote:
                quote = None
            else:
                word.append(ch)
        elif ch in "'\"":
            quote, quoted = ch, True
        elif ch.isspace():
            if word or quoted:
                words.append(("".join(word), quoted))
            word, quoted = [], False
        else:
            word.append(ch)
    if word or quoted:
        words.append(("".join(word), quoted))
    return words
