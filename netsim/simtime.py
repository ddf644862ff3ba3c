"""Simulation time for the link model: integer picoseconds.

Every time in ``netsim`` (event times, delays, durations in configs) is an ``int`` number of
picoseconds since the start of the simulation. Integers keep the arithmetic exact: one byte at
1 Gb/s is exactly 8000 ps and one cycle of the PYNQ-Z1 fabric clock (100 MHz) is exactly
10000 ps, so frame trains and kernel batches add up without rounding drift. Conversions from
rates and clocks round to the nearest picosecond once, at the edge.
"""

from __future__ import annotations

import re
from fractions import Fraction

PS_PER_S = 10**12
PS_PER_MS = 10**9
PS_PER_US = 10**6
PS_PER_NS = 10**3

_UNITS = {"s": PS_PER_S, "ms": PS_PER_MS, "us": PS_PER_US, "ns": PS_PER_NS, "ps": 1}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(s|ms|us|ns|ps)?\s*$")


def _exact(x: int | float | str | Fraction) -> Fraction:
    # Fraction(str(float)) keeps decimal literals such as 1e-6 exact instead of binary-rounded.
    return Fraction(str(x)) if isinstance(x, float) else Fraction(x)


def from_seconds(seconds: int | float | Fraction) -> int:
    """Seconds -> picoseconds, rounded to the nearest ps."""
    return round(_exact(seconds) * PS_PER_S)


def bits_to_ps(bits: int, rate_bps: int | float) -> int:
    """Time to serialise ``bits`` at ``rate_bps`` bits per second, rounded to the nearest ps."""
    if rate_bps <= 0:
        raise ValueError(f"line rate must be positive, got {rate_bps!r}")
    return round(Fraction(bits) * PS_PER_S / _exact(rate_bps))


def cycles_to_ps(cycles: int | float, clock_hz: int | float) -> int:
    """Duration of ``cycles`` clock cycles at ``clock_hz``, rounded to the nearest ps."""
    if clock_hz <= 0:
        raise ValueError(f"clock frequency must be positive, got {clock_hz!r}")
    return round(_exact(cycles) * PS_PER_S / _exact(clock_hz))


def parse_duration(text: str | int | float) -> int:
    """Parse ``"50us"``, ``"1.5 ms"``, ``"0"`` or a bare number of seconds into picoseconds.

    Numbers without a unit are seconds (so ``0.001`` is 1 ms); ints are also seconds.
    """
    if isinstance(text, (int, float)):
        return from_seconds(text)
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"cannot parse duration {text!r} (examples: 0, 50us, 1.5ms, 2e-6)")
    value, unit = m.groups()
    return round(Fraction(value) * _UNITS[unit or "s"])


def format_duration(ps: int) -> str:
    """Human-readable duration (for tables and error messages)."""
    for unit in ("s", "ms", "us", "ns"):
        if abs(ps) >= _UNITS[unit]:
            return f"{ps / _UNITS[unit]:.4g} {unit}"
    return f"{ps} ps"
