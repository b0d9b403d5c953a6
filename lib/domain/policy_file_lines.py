"""Find the line of a key or table in TOML text, so policy errors point where the operator must edit.

tomllib gives values without positions. This reads the text line by line, tracking the table headers, and
records where each key path first appears. It does not parse values: a path that it cannot find falls back to
its nearest enclosing table (and finally to line 1), which is always a useful place to look.
"""

from __future__ import annotations

import re

PathPart = str | int
Path = tuple[PathPart, ...]

_ARRAY_TABLE = re.compile(r"^\s*\[\[\s*(?P<name>[^\]]+?)\s*\]\]")
_TABLE = re.compile(r"^\s*\[\s*(?P<name>[^\]\[]+?)\s*\]")
_SIMPLE_KEY = r'(?:[A-Za-z0-9_-]+|"[^"]*"|\'[^\']*\')'
_KEY = re.compile(rf"^\s*(?P<key>{_SIMPLE_KEY}(?:\s*\.\s*{_SIMPLE_KEY})*)\s*=")
_PART = re.compile(r'\s*(?:"(?P<dq>[^"]*)"|\'(?P<sq>[^\']*)\'|(?P<bare>[A-Za-z0-9_-]+))\s*')


def split_dotted(name: str) -> tuple[str, ...]:
    """`customers."a.b".x` -> ("customers", "a.b", "x")."""
    parts: list[str] = []
    for piece in _split_outside_quotes(name):
        match = _PART.fullmatch(piece)
        text = piece.strip() if match is None else (match["dq"] or match["sq"] or match["bare"] or "")
        parts.append(text)
    return tuple(parts)


def _split_outside_quotes(name: str) -> list[str]:
    pieces, current, quote = [], "", ""
    for char in name:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == ".":
            pieces.append(current)
            current = ""
            continue
        current += char
    pieces.append(current)
    return pieces


class LineLocator:
    """Line numbers (1-based) of key paths; array tables are indexed from 0, as in the parsed data."""

    def __init__(self, text: str) -> None:
        self._lines: dict[Path, int] = {}
        counts: dict[tuple[str, ...], int] = {}
        prefix: Path = ()
        in_multiline = ""
        for number, line in enumerate(text.splitlines(), start=1):
            if in_multiline:
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = ""
                continue
            if (array := _ARRAY_TABLE.match(line)) is not None:
                name = split_dotted(array["name"])
                index = counts.get(name, 0)
                counts[name] = index + 1
                prefix = (*name, index)
                self._lines.setdefault(prefix, number)
                self._lines.setdefault(name, number)
            elif (table := _TABLE.match(line)) is not None:
                prefix = split_dotted(table["name"])
                self._lines.setdefault(prefix, number)
            elif (key := _KEY.match(line)) is not None:
                self._lines.setdefault((*prefix, *split_dotted(key["key"])), number)
                for marker in ('"""', "'''"):
                    if line.count(marker) % 2 == 1:
                        in_multiline = marker

    def line_of(self, path: Path) -> int:
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return 1


def field_name(path: Path) -> str:
    """A key path as an operator writes it, e.g. stages[2].suspend or customers."a b".limit."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", part):
            text += f".{part}" if text else part
        else:
            text += f'."{part}"' if text else f'"{part}"'
    return text or "(top level)"
