"""A fault-injecting AXI4 RAM on cocotbext-axi: the memory behind a kernel's m_axi_hostmem
port (tb/host/driver.py) and behind the burst reader / writer of the stream library
(tb/units/tb_axi_mm2s.py, tb_axi_s2mm.py).

:class:`FaultyAxiRam` takes a full :class:`cocotbext.axi.AxiBus` (read and write sides share
one memory, as cocotbext-axi's ``AxiRam``), an ``AxiReadBus`` (read only, like
``AxiRamRead``) or an ``AxiWriteBus`` (write only, like ``AxiRamWrite``). Its sides are
cocotbext-axi's ``AxiRamRead`` / ``AxiRamWrite`` models on lean channel endpoints
(tb/bus/lean_streams.py: ``read_if``, ``write_if``; their ``ar_channel`` ... ``b_channel``
take pause generators); on top of them it answers SLVERR or DECERR for accesses inside
chosen address ranges and records every error response it returns in
:attr:`FaultyAxiRam.errors`.

How: cocotbext-axi answers SLVERR for a beat whose ``_read`` raises (for a write, for the
whole burst once any beat's ``_write`` raises); the wrapper raises for addresses in an error
range, and rewrites the response to DECERR on its way out of the R / B channel when the
range asks for DECERR.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from cocotb.simtime import get_sim_time
from cocotbext.axi.constants import AxiResp
from cocotbext.axi.memory import Memory

from tb.bus.lean_streams import LeanAxiRamRead, LeanAxiRamWrite

__all__ = ["BusError", "FaultyAxiRam"]

RESPONSES = {"SLVERR": AxiResp.SLVERR, "DECERR": AxiResp.DECERR}


@dataclass
class BusError:
    """One error response the RAM returned: when, for which access, at which address."""
    time_ns: float
    access: str      # "read" or "write"
    addr: int
    resp: str        # "SLVERR" or "DECERR"


class FaultyAxiRam(Memory):
    """AXI4 RAM (full, read-only or write-only bus) that answers SLVERR / DECERR inside
    chosen address ranges (:meth:`add_error_range`) and logs every error it returns."""

    def __init__(self, bus, clock, reset=None, reset_active_level=True, size=2**64, mem=None,
                 **kwargs):
        super().__init__(size, mem, **kwargs)
        # AxiBus has .read / .write; AxiReadBus has .ar; AxiWriteBus has .aw
        read = getattr(bus, "read", bus if hasattr(bus, "ar") else None)
        write = getattr(bus, "write", bus if hasattr(bus, "aw") else None)
        if read is None and write is None:
            raise TypeError(f"FaultyAxiRam needs an AxiBus, AxiReadBus or AxiWriteBus, got {bus!r}")
        self.read_if = (LeanAxiRamRead(read, clock, reset, reset_active_level, mem=self.mem)
                        if read is not None else None)
        self.write_if = (LeanAxiRamWrite(write, clock, reset, reset_active_level, mem=self.mem)
                         if write is not None else None)
        self.log = logging.getLogger("cocotb.tb.axi_ram")
        self.error_ranges: list[tuple[int, int, str, str]] = []   # (lo, hi, access, resp)
        self.errors: list[BusError] = []
        for access, iface in (("read", self.read_if), ("write", self.write_if)):
            if iface is not None:
                self._wrap(access, iface)

    @property
    def channels(self) -> list:
        """The cocotbext-axi channel models of the present sides (AW, W, B, AR, R order)."""
        out = []
        if self.write_if is not None:
            out += [self.write_if.aw_channel, self.write_if.w_channel, self.write_if.b_channel]
        if self.read_if is not None:
            out += [self.read_if.ar_channel, self.read_if.r_channel]
        return out

    def add_error_range(self, lo: int, hi: int, access: str = "read", resp: str = "SLVERR") -> None:
        """Answer `resp` for `access` ("read" / "write") of any address in [lo, hi)."""
        if access not in ("read", "write") or resp not in RESPONSES:
            raise ValueError(f"error range: access must be read/write and resp SLVERR/DECERR, "
                             f"got {access!r}, {resp!r}")
        side = self.read_if if access == "read" else self.write_if
        if side is None:
            raise ValueError(f"error range for {access}s on a bus without a {access} side")
        self.error_ranges.append((lo, hi, access, resp))

    def clear_error_ranges(self) -> None:
        self.error_ranges.clear()

    def _wrap(self, access: str, iface) -> None:
        inner = iface._read if access == "read" else iface._write
        channel = iface.r_channel if access == "read" else iface.b_channel
        field = "rresp" if access == "read" else "bresp"
        pending: list[str] = []     # responses of failed beats not yet sent

        async def checked(address, arg):
            for lo, hi, acc, resp in self.error_ranges:
                if acc == access and lo <= address < hi:
                    self.errors.append(BusError(get_sim_time("ns"), access, address, resp))
                    self.log.debug("%s on %s at 0x%x", resp, access, address)
                    pending.append(resp)
                    raise IOError(f"{resp} at 0x{address:x}")
            return await inner(address, arg)

        send = channel.send

        async def send_with_resp(tr):
            # cocotbext-axi has already set SLVERR for the failed beat (burst, for writes):
            # the first pending error of it decides the code.
            if getattr(tr, field) == AxiResp.SLVERR and pending:
                setattr(tr, field, RESPONSES[pending[0]])
                pending.clear()
            await send(tr)

        if access == "read":
            iface._read = checked
        else:
            iface._write = checked
        channel.send = send_with_resp
