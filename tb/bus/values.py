"""Reading a signal's value in the monitors of tb/bus."""

from __future__ import annotations

__all__ = ["to_int"]


def to_int(value) -> int | None:
    """The value as an integer, None when it holds X or Z bits."""
    try:
        return int(value)
    except ValueError:
        return None
