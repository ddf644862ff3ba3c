"""The signals of an AXI4 / AXI4-Lite interface, found by name in a cocotb scope.

An interface is the signals ``<prefix>_<NAME>`` of a scope, with any capitalisation
(``m_axi_hostmem_AWVALID`` and ``m_axi_awvalid`` both work). Per channel, the tables below
name its payload fields and which of them an interface must have (ID, LOCK, CACHE, PROT,
QOS, REGION, USER, STRB and RESP are optional); a bus may be read-only or write-only.
"""

from __future__ import annotations

__all__ = ["find_signal", "bus_channels", "AXI4_CHANNELS", "AXIL_CHANNELS", "CHANNEL_ORDER"]

CHANNEL_ORDER = ("AW", "W", "B", "AR", "R")


def find_signal(scope, prefix: str, name: str, required: bool = True):
    """Handle of ``<prefix>_<name>`` in `scope`, matching the name case-insensitively
    (tries upper and lower case first, then scans the scope's children once)."""
    base = f"{prefix}_" if prefix else ""
    for cand in (base + name.upper(), base + name.lower(), base + name,
                 prefix + name.upper() if prefix else None):
        if cand is None:
            continue
        try:
            return getattr(scope, cand)
        except AttributeError:
            pass
    want = (base + name).lower()
    cache = getattr(scope, "_axi_checker_names", None)
    if cache is None:
        cache = {}
        try:
            for child in scope:
                cache[child._name.lower()] = child
        except (TypeError, AttributeError):
            pass
        try:
            scope._axi_checker_names = cache
        except AttributeError:
            pass
    if want in cache:
        return cache[want]
    if required:
        raise AttributeError(f"{getattr(scope, '_name', scope)} has no signal {base + name} "
                             f"(any capitalisation)")
    return None


# Per channel: (VALID-READY prefix, payload fields: (name, required)).
AXI4_CHANNELS = {
    "AW": [("ADDR", True), ("LEN", True), ("SIZE", False), ("BURST", False), ("ID", False),
           ("LOCK", False), ("CACHE", False), ("PROT", False), ("QOS", False),
           ("REGION", False), ("USER", False)],
    "W": [("DATA", True), ("STRB", False), ("LAST", True), ("USER", False)],
    "B": [("RESP", False), ("ID", False), ("USER", False)],
    "AR": [("ADDR", True), ("LEN", True), ("SIZE", False), ("BURST", False), ("ID", False),
           ("LOCK", False), ("CACHE", False), ("PROT", False), ("QOS", False),
           ("REGION", False), ("USER", False)],
    "R": [("DATA", True), ("RESP", False), ("LAST", True), ("ID", False), ("USER", False)],
}
AXIL_CHANNELS = {
    "AW": [("ADDR", True), ("PROT", False)],
    "W": [("DATA", True), ("STRB", False)],
    "B": [("RESP", False)],
    "AR": [("ADDR", True), ("PROT", False)],
    "R": [("DATA", True), ("RESP", False)],
}


def bus_channels(scope, prefix: str) -> dict[str, tuple]:
    """{channel: (valid, ready)} for the AW/W/B/AR/R channels present under `prefix`
    (a read-only bus has no AW/W/B and so on), as the watchdog watches them."""
    out = {}
    for ch in CHANNEL_ORDER:
        v = find_signal(scope, prefix, ch + "VALID", required=False)
        r = find_signal(scope, prefix, ch + "READY", required=False)
        if v is not None and r is not None:
            out[ch] = (v, r)
    return out

