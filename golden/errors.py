"""The one exception type for bad user input (files, configs, arrays), and the one way a name
is looked up in a table of known ones (networks, platforms)."""

from __future__ import annotations

from typing import Mapping, TypeVar

T = TypeVar("T")


class BnnInputError(ValueError):
    """Bad input to bnnsplit-tb: the message names the file, field or value and what was expected."""


def known(table: Mapping[str, T], name, default: str, what: str) -> T:
    """table[name] (None: table[default]); an unknown name is a BnnInputError that lists the
    known ones ("unknown <what> 'x'; known <what>s: a, b")."""
    key = default if name is None else name
    if not isinstance(key, str) or key not in table:
        raise BnnInputError(f"unknown {what} {name!r}; known {what}s: {', '.join(table)}")
    return table[key]
